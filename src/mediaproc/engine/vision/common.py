"""Shared helpers of the vision engine: pixel conversion, boxes, loading.

Detectors want 8-bit RGB numpy arrays; the image chain hands us pyvips images of any band count and
format. These helpers convert once, in one place, so every detector sees the same pixels and every
box is expressed in the same (stored pixel grid) coordinates. numpy and pyvips are imported lazily:
this module is only imported when a vision operation actually runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediaproc.errors import MediaError, NotFound, UnsupportedOperation
from mediaproc.i18n import _

if TYPE_CHECKING:
    import numpy as np
    import pyvips


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle in pixels: left/top corner and size (IMM's Boundary fields)."""

    left: int
    top: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.left + self.width

    @property
    def bottom(self) -> int:
        return self.top + self.height

    @property
    def area(self) -> int:
        return max(0, self.width) * max(0, self.height)

    @property
    def center(self) -> tuple[float, float]:
        return (self.left + self.width / 2, self.top + self.height / 2)

    def intersection(self, other: Box) -> int:
        w = min(self.right, other.right) - max(self.left, other.left)
        h = min(self.bottom, other.bottom) - max(self.top, other.top)
        return max(0, w) * max(0, h)

    def iou(self, other: Box) -> float:
        inter = self.intersection(other)
        union = self.area + other.area - inter
        return inter / union if union else 0.0

    def clip(self, width: int, height: int) -> Box:
        """The part of the box inside a width x height image (may be empty)."""
        left, top = max(0, self.left), max(0, self.top)
        right, bottom = min(width, self.right), min(height, self.bottom)
        return Box(left, top, max(0, right - left), max(0, bottom - top))

    def scaled(self, factor: float) -> Box:
        """The box grown (or shrunk) by ``factor`` around its own centre."""
        cx, cy = self.center
        w = max(1, round(self.width * factor))
        h = max(1, round(self.height * factor))
        return Box(round(cx - w / 2), round(cy - h / 2), w, h)

    def boundary(self) -> dict[str, int]:
        """IMM ``Boundary`` (Left, Top, Width, Height; ``Polygon`` is for non-rectangles only)."""
        return {"Left": self.left, "Top": self.top, "Width": self.width, "Height": self.height}


def place(center: tuple[float, float], width: int, height: int, img_w: int, img_h: int) -> Box:
    """A width x height window centred on ``center``, shifted (not clipped) to stay in the image.

    Shifting keeps the requested size whenever it fits, which is what a user asking for a 200x200
    face crop expects even when the face is near an edge; a window larger than the image is cut to it.
    """
    width, height = min(width, img_w), min(height, img_h)
    left = round(center[0] - width / 2)
    top = round(center[1] - height / 2)
    left = min(max(0, left), img_w - width)
    top = min(max(0, top), img_h - height)
    return Box(left, top, width, height)


def logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def load(src: Path) -> pyvips.Image:
    """Open an image for analysis (random access: detectors read it more than once), after its header
    passed the source limits (``engine.image.load.probe``): this decodes the whole image."""
    import pyvips

    from mediaproc.engine.image.load import probe

    if not src.is_file():
        raise NotFound(_("no such file: {path}").format(path=str(src)), hint=_("check the path"))
    probe(src)
    try:
        img = pyvips.Image.new_from_file(str(src), access="random")
        img = img.copy_memory()  # decode now, so a corrupt file fails here and not mid-detection
    except pyvips.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise MediaError(
            _("cannot decode {path} as an image: {reason}").format(path=src.name, reason=first),
            hint=_("check that the file is a complete JPEG, PNG, WebP, BMP, TIFF, GIF, HEIC or AVIF image"),
        ) from exc
    return img


def single_frame(img: pyvips.Image, op_name: str) -> None:
    """Refuse animated images: OSS applies intelligent operations to still images only."""
    fields = img.get_fields()
    if "page-height" in fields and img.get("page-height") < img.height:
        raise UnsupportedOperation(
            _("{op} does not apply to animated images").format(op=op_name),
            hint=_("extract one frame first, or use a still image"),
        )


def to_rgb(img: pyvips.Image) -> np.ndarray:
    """8-bit sRGB pixels (H, W, 3) for detectors; alpha is flattened on white."""
    import numpy as np
    import pyvips

    if img.interpretation != "srgb":
        if img.format == "uchar" and img.bands in (3, 4) and img.interpretation == "multiband":
            img = img.copy(interpretation="srgb")  # plain 8-bit RGB(A) that lost its tag
        else:
            try:
                img = img.colourspace("srgb")
            except pyvips.Error as exc:
                raise MediaError(
                    _("cannot convert the image to RGB: {reason}").format(reason=str(exc).splitlines()[0]),
                    hint=_("convert the image to an RGB or grey format first"),
                ) from exc
    if img.format != "uchar":
        img = img.cast("uchar")
    if img.bands == 4:
        img = img.flatten(background=[255, 255, 255])
    elif img.bands != 3:
        img = img.extract_band(0, n=3) if img.bands > 3 else img[0].bandjoin([img[0], img[0]])
    arr: Any = img.numpy()
    return np.ascontiguousarray(arr, dtype=np.uint8)


def to_gray(rgb: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def shrink(rgb: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """Downscale so the long side is at most ``max_side``; returns the array and the scale used.

    Detectors are run on a bounded size so a 12 MP photo costs about what a 1 MP one does; boxes
    are mapped back with the returned scale.
    """
    import cv2

    h, w = rgb.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale >= 1.0:
        return rgb, 1.0
    small = cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    return small, scale
