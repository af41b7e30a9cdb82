"""The pixel operations of an image chain, by name: one table for the main pipeline and for the
sub-chain OSS lets a watermark image carry (``watermark,image_...`` with its own ``x-oss-process``), so
the two cannot offer different operations."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pyvips

from mediaproc import TYPE_CHECKING
from mediaproc.engine.image import effects, geometry, shapes

if TYPE_CHECKING:
    from typing import Any

    Handler = Callable[[pyvips.Image, Mapping[str, Any]], pyvips.Image]

HANDLERS: dict[str, Handler] = {
    "resize": geometry.resize,
    "crop": geometry.crop,
    "indexcrop": geometry.indexcrop,
    "rotate": geometry.rotate,
    "flip": geometry.flip,
    "auto-orient": geometry.auto_orient,
    "blur": effects.blur,
    "sharpen": effects.sharpen,
    "bright": effects.bright,
    "contrast": effects.contrast,
    "circle": shapes.circle,
    "rounded-corners": shapes.rounded_corners,
}
