"""``mediaproc image``: image chains, metadata and detection."""

from __future__ import annotations

from enum import Enum
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
    ToOpt,
    UrlOpt,
    VerifyOpt,
    run_chain,
    state,
)
from mediaproc.cli.complete import complete_operation, complete_source

app = typer.Typer(help="Image chains (resize, crop, watermark, ...), metadata and detection.", no_args_is_help=True)

SourceArg = Annotated[
    str,
    typer.Argument(help="Local file, http(s):// URL, oss://BUCKET/KEY or cos://BUCKET-APPID/KEY.",
                   autocompletion=complete_source),
]


def _image_families() -> frozenset:
    from mediaproc.services.process import IMAGE_FAMILIES

    return IMAGE_FAMILIES


@app.command("process")
def process(
    ctx: typer.Context,
    source: SourceArg,
    operations: Annotated[
        list[str], typer.Argument(help="Image operations in order, e.g. resize:w=600 format:target=webp.",
                                  autocompletion=complete_operation)
    ],
    to: ToOpt = None,
    url: UrlOpt = False,
    expires: ExpiresOpt = 3600,
    concurrency: ConcurrencyOpt = None,
    skip_existing: SkipExistingOpt = False,
    verify: VerifyOpt = False,
    strict: StrictOpt = False,
    max_source_size: MaxSourceSizeOpt = None,
    dry_run: DryRunOpt = False,
    json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Run an image operation chain (a glob, prefix or folder as SOURCE processes every item)."""
    st = state(ctx, json=json, quiet=quiet)
    run_chain(st, source, operations, to=to, url=url, expires=expires, dry_run=dry_run,
              families=_image_families(), concurrency=concurrency, skip_existing=skip_existing,
              verify=verify, strict=strict, max_source_size=max_source_size)


@app.command("info")
def info(
    ctx: typer.Context, source: SourceArg, to: ToOpt = None, max_source_size: MaxSourceSizeOpt = None,
    dry_run: DryRunOpt = False, json: JsonOpt = False
) -> None:
    """Image metadata (size, format, EXIF) as the service's JSON."""
    run_chain(state(ctx, json=json), source, ["info"], to=to, dry_run=dry_run, max_source_size=max_source_size)


@app.command("hue")
def hue(
    ctx: typer.Context, source: SourceArg, to: ToOpt = None, max_source_size: MaxSourceSizeOpt = None,
    dry_run: DryRunOpt = False, json: JsonOpt = False
) -> None:
    """The image's average colour (average-hue) as {"RGB": "0xRRGGBB"}."""
    run_chain(state(ctx, json=json), source, ["average-hue"], to=to, dry_run=dry_run,
              max_source_size=max_source_size)


class DetectKind(str, Enum):
    faces = "faces"
    bodies = "bodies"
    cars = "cars"
    codes = "codes"
    labels = "labels"
    score = "score"


@app.command("detect")
def detect(
    ctx: typer.Context,
    source: SourceArg,
    kind: Annotated[DetectKind, typer.Option("--kind", "-k", help="What to detect.")] = DetectKind.faces,
    to: ToOpt = None,
    max_source_size: MaxSourceSizeOpt = None,
    dry_run: DryRunOpt = False,
    json: JsonOpt = False,
) -> None:
    """Detect faces, bodies, cars, QR/bar codes or labels, or score the image's quality."""
    run_chain(state(ctx, json=json), source, [kind.value], to=to, dry_run=dry_run, max_source_size=max_source_size)
