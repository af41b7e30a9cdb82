"""``mediaproc ls``: list objects under a prefix, streamed.

A module of its own so that a listing, the command scripts run most, builds only its own command:
the object commands' options (``cli.options``, ``objectopts``) and their Typer parameters cost a
listing's first line tens of milliseconds (benchmarks/ls.py).
"""

from __future__ import annotations

from typing import Annotated

import typer

from mediaproc.cli.common import JsonOpt, state
from mediaproc.cli.fast_ls import list_objects


def ls(
    ctx: typer.Context,
    prefix: Annotated[str, typer.Argument(help="oss://BUCKET/[PREFIX] (one level unless -r).")],
    recursive: Annotated[bool, typer.Option("--recursive", "-r", help="List everything under the prefix.")] = False,
    json: JsonOpt = False,
) -> None:
    """List objects under a prefix (one line per object, tab-separated, when piped)."""
    list_objects(state(ctx), prefix, recursive=recursive, json=json)


def register(root: typer.Typer) -> None:
    """Add ``ls`` to the root app."""
    root.command("ls")(ls)
