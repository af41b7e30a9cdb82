"""``mediaproc hls m3u8``: a VOD playlist plus segments of st ms (``KEY=VALUE`` parameters)."""

from __future__ import annotations

from typing import Annotated

import typer

from mediaproc.cli.common import DryRunOpt, JsonOpt, MaxSourceSizeOpt, QuietOpt, StrictOpt, TimeoutOpt, ToOpt, VerifyOpt
from mediaproc.cli.video import SourceArg, params_arg, run_op

app = typer.Typer(help="HLS: VOD playlists with segments.", no_args_is_help=True)


@app.command("m3u8")
def m3u8(
    ctx: typer.Context,
    source: SourceArg,
    params: Annotated[list[str] | None, params_arg("hls/m3u8")] = None,
    to: ToOpt = None,
    timeout: TimeoutOpt = None,
    verify: VerifyOpt = False,
    strict: StrictOpt = False,
    max_source_size: MaxSourceSizeOpt = None,
    dry_run: DryRunOpt = False,
    json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Playlist --to NAME.m3u8 and segments NAME-0.ts, NAME-1.ts ... of st ms beside it (the last may be shorter)."""
    run_op(ctx, "hls/m3u8", source, params, json=json, quiet=quiet, to=to, timeout=timeout, dry_run=dry_run,
           verify=verify, strict=strict, max_source_size=max_source_size)
