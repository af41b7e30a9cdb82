"""`mediaproc video` command group (commands are added by the capability that owns them)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Video: convert, snapshot(s), sprite, animation, concat, info.", no_args_is_help=True)
