"""Object commands: ``mediaproc upload|download|rm|sign`` (oss://, cos://, or a folder locally);
``ls`` is in ``cli.listing``."""

from __future__ import annotations

from typing import Annotated

import typer

from mediaproc.cli.common import ConcurrencyOpt, ExpiresOpt, JsonOpt, LiteralOpt, QuietOpt, state
from mediaproc.cli.options import object_options
from mediaproc.cli.transfer import ExcludeOpt, IncludeOpt, ListOnlyOpt, RecursiveOpt, SkipOpt, transfer_options
from mediaproc.objectopts import ObjectOptions  # light (a core module): the signature needs it at import

ObjectArg = Annotated[str, typer.Argument(help="oss://BUCKET/KEY or cos://BUCKET-APPID/KEY.")]


@object_options
def upload(
    ctx: typer.Context,
    local: Annotated[
        str, typer.Argument(help="Local file (a folder with -r), or an http(s):// URL to fetch and upload.")
    ],
    dest: Annotated[str, typer.Argument(help="oss://BUCKET/KEY (a trailing / keeps the file name; a prefix with -r).")],
    max_source_size: Annotated[
        str | None,
        typer.Option("--max-source-size", metavar="SIZE", show_default=False,
                     help="Largest http(s):// source to fetch, e.g. 50MB (default: 5GB, one PutObject)."),
    ] = None,
    recursive: RecursiveOpt = False,
    skip_existing: SkipOpt = False,
    include: IncludeOpt = None,
    exclude: ExcludeOpt = None,
    dry_run: ListOnlyOpt = False,
    concurrency: ConcurrencyOpt = None,
    literal: LiteralOpt = False,
    json: JsonOpt = False,
    quiet: QuietOpt = False,
    *,
    object_options: ObjectOptions,
) -> None:
    """Upload a file (multipart and resumable: a broken connection costs one part, not the file).

    With -r, every file under the folder, to the same relative key under DEST: exit 8 if some failed;
    rerun with --skip-existing to send only the rest."""
    st = state(ctx, json=json, quiet=quiet, literal=literal)
    if recursive:
        from dataclasses import replace

        from mediaproc.services import transfer

        opts = transfer_options(skip_existing=skip_existing, include=include, exclude=exclude, dry_run=dry_run,
                                concurrency=concurrency)
        outcome = transfer.upload_tree(st.settings, local, dest, replace(opts, object_options=object_options),
                                       st.output.progress, st.output.batch_report)
        st.output.outcome(outcome)
        if outcome.error is not None:
            raise outcome.error
        return
    from mediaproc.services import objects as svc

    svc.refuse_batch_options(skip_existing=skip_existing, include=include, exclude=exclude, dry_run=dry_run,
                             concurrency=concurrency)
    with st.output.progress("upload") as progress:
        result = svc.upload(st.settings, local, dest, progress, object_options, max_source_size=max_source_size)
    st.output.result(result)


def download(
    ctx: typer.Context,
    src: Annotated[str, typer.Argument(help="oss://BUCKET/KEY or cos://BUCKET-APPID/KEY (a prefix with -r).")],
    local: Annotated[str, typer.Argument(
        help="Local file, a folder (existing, or ending in / to create it; the folder to fill, with -r), "
             "or - for stdout.")],
    recursive: RecursiveOpt = False,
    skip_existing: SkipOpt = False,
    include: IncludeOpt = None,
    exclude: ExcludeOpt = None,
    dry_run: ListOnlyOpt = False,
    concurrency: ConcurrencyOpt = None,
    literal: LiteralOpt = False,
    json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Download an object (streamed; nothing is left behind if it fails or is interrupted).

    With -r, every object under the prefix, to the same relative path under the folder."""
    st = state(ctx, json=json, quiet=quiet, literal=literal)
    if recursive:
        from mediaproc.services import transfer

        opts = transfer_options(skip_existing=skip_existing, include=include, exclude=exclude, dry_run=dry_run,
                                concurrency=concurrency)
        outcome = transfer.download_tree(st.settings, src, local, opts, st.output.progress, st.output.batch_report)
        st.output.outcome(outcome)
        if outcome.error is not None:
            raise outcome.error
        return
    from mediaproc.services import objects as svc

    svc.refuse_batch_options(skip_existing=skip_existing, include=include, exclude=exclude, dry_run=dry_run,
                             concurrency=concurrency)
    if local == "-":  # the object's bytes on stdout, everything else on stderr (docs/paths.md)
        st.output.claim_stdout()
    with st.output.progress("download") as progress:
        result = svc.download(st.settings, src, local, progress, stdout=st.output.write_file)
    st.output.result(result)


def rm(
    ctx: typer.Context,
    target: ObjectArg,
    recursive: Annotated[bool, typer.Option("--recursive", "-r", help="Delete everything under the prefix.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="With -r: delete without asking.")] = False,
    dry_run: ListOnlyOpt = False,
    literal: LiteralOpt = False,
    json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Delete an object (or, with -r, every object under a prefix: listed, then confirmed on a terminal).

    Without a terminal, -r needs --yes. Exit 8 if some objects could not be deleted."""
    st = state(ctx, json=json, quiet=quiet, literal=literal)
    if not recursive:
        from mediaproc.services import objects as svc

        svc.refuse_batch_options(dry_run=dry_run)
        st.output.result(svc.rm(st.settings, target))
        return
    from mediaproc.services import transfer

    plan = transfer.plan_remove(st.settings, target)
    confirm = (lambda names: True) if yes else (st.output.confirm_delete if st.output.can_ask() else None)
    outcome = transfer.remove(st.settings, plan, dry_run=dry_run, confirm=confirm, progress=st.output.progress)
    st.output.outcome(outcome)
    if outcome.error is not None:
        raise outcome.error


def sign(
    ctx: typer.Context,
    target: ObjectArg,
    operations: Annotated[
        list[str] | None,
        typer.Argument(help="Optional processing baked into the URL, e.g. resize:w=300 (OSS)."),
    ] = None,
    expires: ExpiresOpt = 3600,
    literal: LiteralOpt = False,
    json: JsonOpt = False,
) -> None:
    """Print a pre-signed GET URL (bare on stdout; treat it as a secret until it expires)."""
    from mediaproc.services import objects as svc

    st = state(ctx, json=json, literal=literal)
    st.output.result(svc.sign(st.settings, target, expires=expires, operations=operations))


def register(root: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    root.command("upload")(upload)
    root.command("download")(download)
    root.command("rm")(rm)
    root.command("sign")(sign)
