"""Many-object commands: ``cp`` and ``mv`` within a cloud, and the options ``upload -r``,
``download -r`` and ``rm -r`` share (``--skip-existing``, ``--include``/``--exclude``, ``--dry-run``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer

from mediaproc.cli.common import ConcurrencyOpt, JsonOpt, QuietOpt, state

if TYPE_CHECKING:
    from mediaproc.services.transfer import TransferOptions

RecursiveOpt = Annotated[
    bool, typer.Option("--recursive", "-r", help="Every object (or file) under the prefix or folder.")
]
SkipOpt = Annotated[
    bool,
    typer.Option("--skip-existing",
                 help="Skip items already at the destination: same size, and same MD5 where both sides have one."),
]
IncludeOpt = Annotated[
    list[str] | None,
    typer.Option("--include", metavar="GLOB", show_default=False,
                 help="With -r: only relative paths matching GLOB (repeatable; * crosses /)."),
]
ExcludeOpt = Annotated[
    list[str] | None,
    typer.Option("--exclude", metavar="GLOB", show_default=False,
                 help="With -r: leave out relative paths matching GLOB (repeatable)."),
]
ListOnlyOpt = Annotated[bool, typer.Option("--dry-run", help="List what would be done; change nothing.")]


def transfer_options(
    *, skip_existing: bool, include: list[str] | None, exclude: list[str] | None, dry_run: bool,
    concurrency: int | None,
) -> TransferOptions:
    from mediaproc.services.transfer import TransferOptions

    return TransferOptions(skip_existing=skip_existing, include=tuple(include or ()), exclude=tuple(exclude or ()),
                           dry_run=dry_run, concurrency=concurrency)


def _copy(ctx: typer.Context, src: str, dst: str, *, move: bool, recursive: bool, skip_existing: bool,
          include: list[str] | None, exclude: list[str] | None, dry_run: bool, concurrency: int | None,
          json: bool, quiet: bool) -> None:
    from mediaproc.services import transfer as svc

    st = state(ctx, json=json, quiet=quiet)
    opts = transfer_options(skip_existing=skip_existing, include=include, exclude=exclude, dry_run=dry_run,
                            concurrency=concurrency)
    outcome = svc.copy(st.settings, src, dst, opts, st.output.progress, recursive=recursive, move=move,
                       report=st.output.batch_report)
    st.output.outcome(outcome)
    if outcome.error is not None:
        raise outcome.error


def _copy_command(move: bool, doc: str) -> Callable[..., None]:
    """``cp`` and ``mv`` take the same arguments and differ in what happens to the source."""

    def command(
        ctx: typer.Context,
        src: Annotated[str, typer.Argument(help="oss://BUCKET/KEY (a prefix with -r), cos://..., or a path locally.")],
        dst: Annotated[str, typer.Argument(help="Destination on the same cloud (a trailing / keeps the name).")],
        recursive: RecursiveOpt = False,
        skip_existing: SkipOpt = False,
        include: IncludeOpt = None,
        exclude: ExcludeOpt = None,
        dry_run: ListOnlyOpt = False,
        concurrency: ConcurrencyOpt = None,
        json: JsonOpt = False,
        quiet: QuietOpt = False,
    ) -> None:
        _copy(ctx, src, dst, move=move, recursive=recursive, skip_existing=skip_existing, include=include,
              exclude=exclude, dry_run=dry_run, concurrency=concurrency, json=json, quiet=quiet)

    command.__doc__ = doc
    return command


cp = _copy_command(False, """Copy objects within one cloud, server-side (no bytes through this machine).

    Across clouds: download, then upload. Exit 8 if some items of a -r copy failed.""")
mv = _copy_command(True, """Move objects within one cloud: a server-side copy, then the source is deleted once the copy
    is verified (same size and ETag).""")


def register(root: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    root.command("cp")(cp)
    root.command("mv")(mv)
