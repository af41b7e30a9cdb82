"""`mediaproc config` command group (commands are added by the capability that owns them)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Configuration profiles.", no_args_is_help=True)
