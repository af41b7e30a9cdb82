"""Top-level doctor commands (added by the capability that owns them)."""

from __future__ import annotations

import typer


def register(root: typer.Typer) -> None:
    """Add this module's commands to the root app."""
