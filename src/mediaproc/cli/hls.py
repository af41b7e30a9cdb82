"""`mediaproc hls` command group (commands are added by the capability that owns them)."""

from __future__ import annotations

import typer

app = typer.Typer(help="HLS: VOD playlists with segments.", no_args_is_help=True)
