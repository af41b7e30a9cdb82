"""`mediaproc audio` command group (commands are added by the capability that owns them)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Audio: convert, concat, info.", no_args_is_help=True)
