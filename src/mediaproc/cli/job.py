"""`mediaproc job` command group (commands are added by the capability that owns them)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Async jobs: status, wait, cancel.", no_args_is_help=True)
