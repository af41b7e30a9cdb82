"""``mediaproc process``: any valid chain, in the seed grammar or as a native OSS process string."""

from __future__ import annotations

from typing import Annotated

import typer

from mediaproc.cli.common import Runner
from mediaproc.cli.complete import complete_operation, complete_source
from mediaproc.cli.options import chain_command


@chain_command()
def process(
    source: Annotated[
        str,
        typer.Argument(help="Local file, http(s):// URL, oss://BUCKET/KEY or cos://BUCKET-APPID/KEY.",
                       autocompletion=complete_source),
    ],
    operations: Annotated[
        list[str],
        typer.Argument(
            help="Operations in order: resize:w=600 quality:Q=80, or image/resize,w_600/quality,Q_80.",
            autocompletion=complete_operation,
        ),
    ],
    inputs: Annotated[
        list[str] | None,
        typer.Option("--input", help="Concat: append PATH[,ss=MS][,t=MS] (repeatable)."),
    ] = None,
    pre_inputs: Annotated[
        list[str] | None,
        typer.Option("--pre-input", help="Concat: prepend PATH[,ss=MS][,t=MS] (repeatable)."),
    ] = None,
    *,
    run: Runner,
) -> None:
    """Run an operation chain (the entry point compatible with the reference skill).

    A glob, prefix or folder as SOURCE (photos/*.jpg, oss://b/in/) processes every item into the
    --to folder or prefix: exit 0 only if every item succeeded, 8 if some failed."""
    run(source, operations, inputs=inputs, pre_inputs=pre_inputs)


def register(root: typer.Typer) -> None:
    root.command("process")(process)
