"""``mediaproc process``: any valid chain, in the seed grammar or as a native OSS process string."""

from __future__ import annotations

from typing import Annotated

import typer

from mediaproc.cli.common import (
    ConcurrencyOpt,
    DryRunOpt,
    ExpiresOpt,
    JsonOpt,
    MaxSourceSizeOpt,
    QuietOpt,
    SkipExistingOpt,
    StrictOpt,
    TimeoutOpt,
    ToOpt,
    UrlOpt,
    VerifyOpt,
    WaitOpt,
    run_chain,
    state,
)
from mediaproc.cli.complete import complete_operation, complete_source


def process(
    ctx: typer.Context,
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
    to: ToOpt = None,
    url: UrlOpt = False,
    expires: ExpiresOpt = 3600,
    inputs: Annotated[
        list[str] | None,
        typer.Option("--input", help="Concat: append PATH[,ss=MS][,t=MS] (repeatable)."),
    ] = None,
    pre_inputs: Annotated[
        list[str] | None,
        typer.Option("--pre-input", help="Concat: prepend PATH[,ss=MS][,t=MS] (repeatable)."),
    ] = None,
    wait: WaitOpt = True,
    timeout: TimeoutOpt = None,
    concurrency: ConcurrencyOpt = None,
    skip_existing: SkipExistingOpt = False,
    verify: VerifyOpt = False,
    strict: StrictOpt = False,
    max_source_size: MaxSourceSizeOpt = None,
    dry_run: DryRunOpt = False,
    json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Run an operation chain (the entry point compatible with the reference skill).

    A glob, prefix or folder as SOURCE (photos/*.jpg, oss://b/in/) processes every item into the
    --to folder or prefix: exit 0 only if every item succeeded, 8 if some failed."""
    st = state(ctx, json=json, quiet=quiet)
    run_chain(
        st,
        source,
        operations,
        to=to,
        url=url,
        expires=expires,
        inputs=inputs,
        pre_inputs=pre_inputs,
        wait=wait,
        timeout=timeout,
        dry_run=dry_run,
        concurrency=concurrency,
        skip_existing=skip_existing,
        verify=verify,
        strict=strict,
        max_source_size=max_source_size,
    )


def register(root: typer.Typer) -> None:
    root.command("process")(process)
