"""``mediaproc audio``: convert, concat, info (``KEY=VALUE`` parameters from the operation model)."""

from __future__ import annotations

from typing import Annotated

import typer

from mediaproc.cli.common import (
    DryRunOpt,
    JsonOpt,
    MaxSourceSizeOpt,
    QuietOpt,
    StrictOpt,
    TimeoutOpt,
    ToOpt,
    VerifyOpt,
    WaitOpt,
)
from mediaproc.cli.video import InputOpt, PreInputOpt, SourceArg, params_arg, run_info, run_op

app = typer.Typer(help="Audio: convert, concat, info.", no_args_is_help=True)


@app.command("convert")
def convert(
    ctx: typer.Context,
    source: SourceArg,
    params: Annotated[list[str] | None, params_arg("audio/convert")] = None,
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
    """Transcode audio: f (mp3, aac, flac, oga, ac3, opus, amr), ab or aq, ar, ac, trim (ss, t)."""
    run_op(
        ctx, "audio/convert", source, params, json=json, quiet=quiet, to=to, wait=wait, timeout=timeout,
        dry_run=dry_run, verify=verify, strict=strict, max_source_size=max_source_size,
    )


@app.command("concat")
def concat(
    ctx: typer.Context,
    source: SourceArg,
    params: Annotated[list[str] | None, params_arg("audio/concat")] = None,
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
    """Join audio: --pre-input ones, the source, then --input ones (all checked first)."""
    run_op(
        ctx,
        "audio/concat",
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
    """Audio metadata (Format, Streams.AudioStream) as the service's JSON."""
    run_info(ctx, "audio/info", source, to=to, dry_run=dry_run, json=json)
