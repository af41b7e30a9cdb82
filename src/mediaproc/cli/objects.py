"""Object commands: ``mediaproc upload|download|rm|sign`` (oss://, cos://, or a folder locally);
``ls`` is in ``cli.listing``."""

from __future__ import annotations

from typing import Annotated

import typer

from mediaproc.cli.common import ExpiresOpt, JsonOpt, QuietOpt, state
from mediaproc.cli.options import object_options
from mediaproc.objectopts import ObjectOptions  # light (a core module): the signature needs it at import

ObjectArg = Annotated[str, typer.Argument(help="oss://BUCKET/KEY or cos://BUCKET-APPID/KEY.")]


@object_options
def upload(
    ctx: typer.Context,
    local: Annotated[str, typer.Argument(help="Local file, or an http(s):// URL to fetch and upload.")],
    dest: Annotated[str, typer.Argument(help="oss://BUCKET/KEY (a trailing / keeps the file name).")],
    max_source_size: Annotated[
        str | None,
        typer.Option("--max-source-size", metavar="SIZE", show_default=False,
                     help="Largest http(s):// source to fetch, e.g. 50MB (default: 5GB, one PutObject)."),
    ] = None,
    json: JsonOpt = False,
    quiet: QuietOpt = False,
    *,
    object_options: ObjectOptions,
) -> None:
    """Upload a file (multipart and resumable: a broken connection costs one part, not the file)."""
    from mediaproc.services import objects as svc

    st = state(ctx, json=json, quiet=quiet)
    with st.output.progress("upload") as progress:
        result = svc.upload(st.settings, local, dest, progress, object_options, max_source_size=max_source_size)
    st.output.result(result)


def download(
    ctx: typer.Context,
    src: ObjectArg,
    local: Annotated[str, typer.Argument(help="Local file or existing folder.")],
    json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Download an object (streamed; nothing is left behind if it fails or is interrupted)."""
    from mediaproc.services import objects as svc

    st = state(ctx, json=json, quiet=quiet)
    with st.output.progress("download") as progress:
        result = svc.download(st.settings, src, local, progress)
    st.output.result(result)


def rm(
    ctx: typer.Context,
    target: ObjectArg,
    recursive: Annotated[bool, typer.Option("--recursive", "-r", help="Delete everything under the prefix.")] = False,
    json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Delete an object (or, with -r, every object under a prefix)."""
    from mediaproc.services import objects as svc

    st = state(ctx, json=json, quiet=quiet)
    st.output.result(svc.rm(st.settings, target, recursive=recursive))


def sign(
    ctx: typer.Context,
    target: ObjectArg,
    operations: Annotated[
        list[str] | None,
        typer.Argument(help="Optional processing baked into the URL, e.g. resize:w=300 (OSS)."),
    ] = None,
    expires: ExpiresOpt = 3600,
    json: JsonOpt = False,
) -> None:
    """Print a pre-signed GET URL (bare on stdout; treat it as a secret until it expires)."""
    from mediaproc.services import objects as svc

    st = state(ctx, json=json)
    st.output.result(svc.sign(st.settings, target, expires=expires, operations=operations))


def register(root: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    root.command("upload")(upload)
    root.command("download")(download)
    root.command("rm")(rm)
    root.command("sign")(sign)
