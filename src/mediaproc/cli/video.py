"""``mediaproc video``: convert, snapshot(s), sprite, animation, concat, info.

Each command takes the operation's parameters as ``KEY=VALUE`` words after the source — exactly the
keys the operation model defines (validated and shell-completed from it) — and runs through the
same service as ``mediaproc process``; ``mediaproc ops video/convert`` lists the keys.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from mediaproc.cli.common import (
    ConcurrencyOpt,
    DryRunOpt,
    ExpiresOpt,
    JsonOpt,
    MaxSourceSizeOpt,
    QuietOpt,
    SkipExistingOpt,
    StrictOpt,
    TimeoutOpt,
    ToOpt,
    UrlOpt,
    VerifyOpt,
    WaitOpt,
    run_chain,
    state,
)
from mediaproc.cli.complete import complete_params, complete_source

app = typer.Typer(help="Video: convert, snapshot(s), sprite, animation, concat, info.", no_args_is_help=True)

SourceArg = Annotated[
    str,
    typer.Argument(help="Local file, oss://BUCKET/KEY or cos://BUCKET-APPID/KEY.", autocompletion=complete_source),
]
InputOpt = Annotated[
    list[str] | None, typer.Option("--input", help="Append PATH[,ss=MS][,t=MS] after the source (repeatable).")
]
PreInputOpt = Annotated[
    list[str] | None, typer.Option("--pre-input", help="Prepend PATH[,ss=MS][,t=MS] before the source (repeatable).")
]


def _completer(op_name: str) -> Callable[[typer.Context, str], list[str]]:
    """Complete ``KEY=`` from the operation model, leaving out keys already on the line."""
    base = complete_params(op_name)

    def complete(ctx: typer.Context, incomplete: str) -> list[str]:
        if "=" in incomplete:
            return base(incomplete)
        words = (ctx.params.get("params") if ctx is not None else None) or []
        given = {w.partition("=")[0] for w in words if "=" in w}
        return [c for c in base(incomplete) if c.rstrip("=") not in given]

    return complete


def params_arg(op_name: str) -> object:
    """The ``KEY=VALUE`` words of one operation, completed from the operation model."""
    return typer.Argument(
        help=f"Parameters as KEY=VALUE words; `mediaproc ops {op_name}` lists them.",
        autocompletion=_completer(op_name),
        show_default=False,
    )


def run_op(
    ctx: typer.Context,
    op_name: str,
    source: str,
    params: list[str] | None,
    *,
    json: bool = False,
    quiet: bool = False,
    **options: object,
) -> None:
    """Validate the words against the operation model, then run it like ``mediaproc process``."""
    from mediaproc.ops.parse import format_op, parse_op

    st = state(ctx, json=json, quiet=quiet)
    op = parse_op(op_name, params or [])
    run_chain(st, source, [format_op(op)], label=op_name, **options)  # type: ignore[arg-type]


def run_info(ctx: typer.Context, op_name: str, source: str, *, to: str | None, dry_run: bool, json: bool) -> None:
    run_chain(state(ctx, json=json), source, [op_name], to=to, dry_run=dry_run)


@app.command("convert")
def convert(
    ctx: typer.Context,
    source: SourceArg,
    params: Annotated[list[str] | None, params_arg("video/convert")] = None,
    to: ToOpt = None,
    url: UrlOpt = False,
    expires: ExpiresOpt = 3600,
    wait: WaitOpt = True,
    timeout: TimeoutOpt = None,
    concurrency: ConcurrencyOpt = None,
    skip_existing: SkipExistingOpt = False,
    verify: VerifyOpt = False,
    strict: StrictOpt = False,
    max_source_size: MaxSourceSizeOpt = None,
    dry_run: DryRunOpt = False,
    json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Transcode: container (f), codecs, size (s, scaletype), bitrate, crf, fps, trim (ss, t).

    Without vcodec the video stream is copied (remuxed), as on OSS."""
    run_op(
        ctx,
        "video/convert",
        source,
        params,
        json=json,
        quiet=quiet,
        to=to,
        url=url,
        expires=expires,
        wait=wait,
        timeout=timeout,
        concurrency=concurrency,
        skip_existing=skip_existing,
        dry_run=dry_run,
        verify=verify,
        strict=strict,
        max_source_size=max_source_size,
    )


@app.command("snapshot")
def snapshot(
    ctx: typer.Context,
    source: SourceArg,
    params: Annotated[list[str] | None, params_arg("video/snapshot")] = None,
    to: ToOpt = None,
    url: UrlOpt = False,
    expires: ExpiresOpt = 3600,
    timeout: TimeoutOpt = None,
    concurrency: ConcurrencyOpt = None,
    skip_existing: SkipExistingOpt = False,
    verify: VerifyOpt = False,
    strict: StrictOpt = False,
    max_source_size: MaxSourceSizeOpt = None,
    dry_run: DryRunOpt = False,
    json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """One frame at t ms as jpg/png (t=0 first frame; m=fast: the keyframe at or before t)."""
    run_op(
        ctx,
        "video/snapshot",
        source,
        params,
        json=json,
        quiet=quiet,
        to=to,
        url=url,
        expires=expires,
        timeout=timeout,
        concurrency=concurrency,
        skip_existing=skip_existing,
        dry_run=dry_run,
        verify=verify,
        strict=strict,
        max_source_size=max_source_size,
    )


@app.command("snapshots")
def snapshots(
    ctx: typer.Context,
    source: SourceArg,
    params: Annotated[list[str] | None, params_arg("video/snapshots")] = None,
    to: ToOpt = None,
    wait: WaitOpt = True,
    timeout: TimeoutOpt = None,
    verify: VerifyOpt = False,
    strict: StrictOpt = False,
    max_source_size: MaxSourceSizeOpt = None,
    dry_run: DryRunOpt = False,
    json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Many frames (every inter ms, num evenly, or keyframes) as PREFIX_0_1.jpg, PREFIX_0_2.jpg, ...

    --to is a key prefix without extension, or a folder."""
    run_op(
        ctx,
        "video/snapshots",
        source,
        params,
        json=json,
        quiet=quiet,
        to=to,
        wait=wait,
        timeout=timeout,
        dry_run=dry_run,
        verify=verify,
        strict=strict,
        max_source_size=max_source_size,
    )


@app.command("sprite")
def sprite(
    ctx: typer.Context,
    source: SourceArg,
    params: Annotated[list[str] | None, params_arg("video/sprite")] = None,
    to: ToOpt = None,
    wait: WaitOpt = True,
    timeout: TimeoutOpt = None,
    verify: VerifyOpt = False,
    strict: StrictOpt = False,
    max_source_size: MaxSourceSizeOpt = None,
    dry_run: DryRunOpt = False,
    json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Sprite sheets: tw x th cells of sw x sh, pad between cells, margin around; more sheets if needed."""
    run_op(
        ctx, "video/sprite", source, params, json=json, quiet=quiet, to=to, wait=wait, timeout=timeout, dry_run=dry_run,
        verify=verify, strict=strict, max_source_size=max_source_size,
    )


@app.command("animation")
def animation(
    ctx: typer.Context,
    source: SourceArg,
    params: Annotated[list[str] | None, params_arg("video/animation")] = None,
    to: ToOpt = None,
    wait: WaitOpt = True,
    timeout: TimeoutOpt = None,
    verify: VerifyOpt = False,
    strict: StrictOpt = False,
    max_source_size: MaxSourceSizeOpt = None,
    dry_run: DryRunOpt = False,
    json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """An animated GIF or WebP from a stretch of video (ss, t; frames by num, inter, fps)."""
    run_op(
        ctx,
        "video/animation",
        source,
        params,
        json=json,
        quiet=quiet,
        to=to,
        wait=wait,
        timeout=timeout,
        dry_run=dry_run,
        verify=verify,
        strict=strict,
        max_source_size=max_source_size,
    )


@app.command("concat")
def concat(
    ctx: typer.Context,
    source: SourceArg,
    params: Annotated[list[str] | None, params_arg("video/concat")] = None,
    inputs: InputOpt = None,
    pre_inputs: PreInputOpt = None,
    to: ToOpt = None,
    wait: WaitOpt = True,
    timeout: TimeoutOpt = None,
    verify: VerifyOpt = False,
    strict: StrictOpt = False,
    max_source_size: MaxSourceSizeOpt = None,
    dry_run: DryRunOpt = False,
    json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Join videos: --pre-input ones, the source, then --input ones (all checked first; at most 11)."""
    run_op(
        ctx,
        "video/concat",
        source,
        params,
        json=json,
        quiet=quiet,
        to=to,
        inputs=inputs,
        pre_inputs=pre_inputs,
        wait=wait,
        timeout=timeout,
        dry_run=dry_run,
        verify=verify,
        strict=strict,
        max_source_size=max_source_size,
    )


@app.command("info")
def info(
    ctx: typer.Context, source: SourceArg, to: ToOpt = None, dry_run: DryRunOpt = False, json: JsonOpt = False
) -> None:
    """Video metadata (Format, Streams.VideoStream, Streams.AudioStream) as the service's JSON."""
    run_info(ctx, "video/info", source, to=to, dry_run=dry_run, json=json)
