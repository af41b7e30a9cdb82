"""Local image engine: runs an image operation chain with libvips (Pillow where libvips lacks a codec).

The public functions are thin lazy wrappers so that ``import mediaproc.engine.image`` stays cheap: pyvips,
numpy and Pillow are imported on the first call, never when the CLI merely imports this package.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediaproc.engine.image.result import (
    MAX_PIXELS,
    MAX_SIDE,
    OUTPUT_FORMATS,
    EncodedImage,
    ImageOutput,
)

if TYPE_CHECKING:
    from mediaproc.ops.model import Op

__all__ = [
    "MAX_PIXELS",
    "MAX_SIDE",
    "OUTPUT_FORMATS",
    "EncodedImage",
    "ImageOutput",
    "average_hue",
    "encode_image",
    "image_info",
    "process_image",
]


def process_image(
    src: Path,
    ops: Sequence[Op],
    dst: Path,
    *,
    out_format: str | None = None,
    resolve_key: Callable[[str], Path] | None = None,
) -> ImageOutput:
    """Run ``ops`` on ``src`` and write the result atomically to ``dst`` (see ``pipeline``)."""
    from mediaproc.engine.image.pipeline import process_image as _process

    return _process(src, ops, dst, out_format=out_format, resolve_key=resolve_key)


def encode_image(
    src: Path,
    ops: Sequence[Op],
    *,
    out_format: str | None = None,
    resolve_key: Callable[[str], Path] | None = None,
) -> EncodedImage:
    """Run ``ops`` on ``src`` and return the encoded result in memory (see ``pipeline``)."""
    from mediaproc.engine.image.pipeline import encode_image as _encode

    return _encode(src, ops, out_format=out_format, resolve_key=resolve_key)


def image_info(src: Path) -> dict[str, Any]:
    """OSS ``image/info`` JSON for a local file (header and EXIF only; pixels are not decoded)."""
    from mediaproc.engine.image.info import image_info as _info

    return _info(src)


def average_hue(src: Path) -> dict[str, str]:
    """OSS ``image/average-hue`` JSON (``{"RGB": "0x5c783b"}``) for a local file."""
    from mediaproc.engine.image.info import average_hue as _hue

    return _hue(src)
