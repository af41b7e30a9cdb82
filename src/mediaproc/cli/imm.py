"""`mediaproc imm` command group (commands are added by the capability that owns them)."""

from __future__ import annotations

import typer

app = typer.Typer(help="IMM projects and bucket binding (OSS intelligent features).", no_args_is_help=True)
