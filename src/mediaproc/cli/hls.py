"""``mediaproc hls m3u8``: a VOD playlist plus segments of st ms (``KEY=VALUE`` parameters)."""

from __future__ import annotations

from typing import Annotated

import typer

from mediaproc.cli.common import Runner
from mediaproc.cli.options import SourceArg, chain_command, params_arg

app = typer.Typer(help="HLS: VOD playlists with segments.", no_args_is_help=True)


@app.command("m3u8")
@chain_command("hls/m3u8")
def m3u8(
    source: SourceArg, params: Annotated[list[str] | None, params_arg("hls/m3u8")] = None, *, run: Runner
) -> None:
    """Playlist --to NAME.m3u8 and segments NAME-0.ts, NAME-1.ts ... of st ms beside it (the last may be shorter)."""
    run.op(source, params)
