"""``mediaproc image``: image chains, metadata and detection."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from mediaproc.cli.common import Runner
from mediaproc.cli.complete import complete_operation, complete_source
from mediaproc.cli.options import chain_command
from mediaproc.ops.catalog import IMAGE_PREFIX_FAMILIES

app = typer.Typer(help="Image chains (resize, crop, watermark, ...), metadata and detection.", no_args_is_help=True)

SourceArg = Annotated[
    str,
    typer.Argument(help="Local file, http(s):// URL, oss://BUCKET/KEY or cos://BUCKET-APPID/KEY.",
                   autocompletion=complete_source),
]


@app.command("process")
@chain_command(families=IMAGE_PREFIX_FAMILIES)
def process(
    source: SourceArg,
    operations: Annotated[
        list[str], typer.Argument(help="Image operations in order, e.g. resize:w=600 format:target=webp.",
                                  autocompletion=complete_operation)
    ],
    *,
    run: Runner,
) -> None:
    """Run an image operation chain (a glob, prefix or folder as SOURCE processes every item)."""
    run(source, operations)


@app.command("info")
@chain_command("info")
def info(source: SourceArg, *, run: Runner) -> None:
    """Image metadata (size, format, EXIF) as the service's JSON."""
    run(source, ["info"])


@app.command("hue")
@chain_command("average-hue")
def hue(source: SourceArg, *, run: Runner) -> None:
    """The image's average colour (average-hue) as {"RGB": "0xRRGGBB"}."""
    run(source, ["average-hue"])


class DetectKind(str, Enum):
    faces = "faces"
    bodies = "bodies"
    cars = "cars"
    codes = "codes"
    labels = "labels"
    score = "score"


@app.command("detect")
@chain_command(*(kind.value for kind in DetectKind))
def detect(
    source: SourceArg,
    kind: Annotated[DetectKind, typer.Option("--kind", "-k", help="What to detect.")] = DetectKind.faces,
    *,
    run: Runner,
) -> None:
    """Detect faces, bodies, cars, QR/bar codes or labels, or score the image's quality."""
    run(source, [kind.value])
