"""blur, sharpen, bright, contrast: per-pixel effects on the colour bands (alpha is kept as is)."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import pyvips

from mediaproc import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any


def _on_colour(img: pyvips.Image, fn: Callable[[pyvips.Image], pyvips.Image]) -> pyvips.Image:
    """Apply ``fn`` to the RGB bands only, so an effect never changes transparency."""
    if not img.hasalpha():
        return fn(img)
    rgb = img.extract_band(0, n=img.bands - 1)
    alpha = img.extract_band(img.bands - 1)
    return fn(rgb).bandjoin(alpha).copy(interpretation="srgb")


def blur(img: pyvips.Image, params: Mapping[str, Any]) -> pyvips.Image:
    """Gaussian blur with sigma ``s`` whose kernel is cut at radius ``r`` (OSS: r, s in 1..50)."""
    r = params.get("r")
    s = params.get("s")
    sigma = float(s) if s else max(0.5, float(r or 1) / 2)
    radius = int(r) if r else max(1, math.ceil(3 * sigma))
    weights = [math.exp(-(i * i) / (2 * sigma * sigma)) for i in range(-radius, radius + 1)]
    total = sum(weights)
    mask = pyvips.Image.new_from_array([[w / total for w in weights]], scale=1.0, offset=0.0)

    if img.hasalpha():
        # Premultiplied so transparent pixels do not bleed their (meaningless) colour into edges.
        out = img.premultiply().convsep(mask, precision="float").unpremultiply()
        return out.cast("uchar").copy(interpretation="srgb")
    return (img.convsep(mask, precision="float") + 0.5).cast("uchar").copy(interpretation="srgb")


def sharpen(img: pyvips.Image, params: Mapping[str, Any]) -> pyvips.Image:
    """OSS ``v`` 50..399 (100 typical) mapped onto libvips' slope for jagged areas (m2 = v/50)."""
    v = int(params.get("v") or 100)
    m2 = max(0.0, v / 50.0)

    def run(rgb: pyvips.Image) -> pyvips.Image:
        out = rgb.sharpen(sigma=1.0, x1=2.0, m1=0.0, m2=m2)
        return out.colourspace("srgb").cast("uchar") if out.interpretation != "srgb" else out.cast("uchar")

    return _on_colour(img, run)


def bright(img: pyvips.Image, params: Mapping[str, Any]) -> pyvips.Image:
    """Adds ``v``% of full scale to each colour band (v in -100..100; 100 turns everything white)."""
    v = int(params.get("v") or 0)
    if v == 0:
        return img
    delta = v * 255.0 / 100.0
    return _on_colour(img, lambda rgb: rgb.linear([1.0] * 3, [delta] * 3, uchar=True).copy(interpretation="srgb"))


def contrast(img: pyvips.Image, params: Mapping[str, Any]) -> pyvips.Image:
    """Scales distance from mid-grey by ((100 + v) / 100)^2: -100 is flat grey, 100 is 4x contrast."""
    v = int(params.get("v") or 0)
    if v == 0:
        return img
    f = ((100.0 + v) / 100.0) ** 2
    return _on_colour(
        img, lambda rgb: rgb.linear([f] * 3, [128.0 * (1 - f)] * 3, uchar=True).copy(interpretation="srgb")
    )
