"""`mediaproc cos` command group (commands are added by the capability that owns them)."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Tencent COS / Cloud Infinite: Pic-Operations, media jobs, private playlists.", no_args_is_help=True
)
