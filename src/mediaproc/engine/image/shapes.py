"""circle and rounded-corners: shape masks applied as alpha.

The result always carries alpha; the encoder decides what the outside becomes: transparent for
formats with alpha (png, webp, gif, bmp, tiff, avif), white for jpg (OSS documents both).
"""

from __future__ import annotations

from collections.abc import Mapping

import pyvips

from mediaproc import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any


def _with_mask(img: pyvips.Image, mask: pyvips.Image) -> pyvips.Image:
    """Multiply the mask (one uchar band, 255 = keep) into the image's alpha, adding alpha if absent."""
    if img.hasalpha():
        rgb = img.extract_band(0, n=img.bands - 1)
        alpha = (img.extract_band(img.bands - 1) * (mask / 255.0)).cast("uchar")
        return rgb.bandjoin(alpha).copy(interpretation="srgb")
    return img.bandjoin(mask).copy(interpretation="srgb")


def _coverage(dist: pyvips.Image, radius: float) -> pyvips.Image:
    """Antialiased mask from a distance field: 255 inside ``radius``, 0 outside, a 1 px ramp between.

    Computed lazily by libvips, so a mask for a large image costs no extra memory (a supersampled
    Pillow drawing of a 12 MP image would need hundreds of MB).
    """
    return ((dist * -255.0) + (radius + 0.5) * 255.0).cast("uchar")  # cast clips to 0..255


def _clamp0(img: pyvips.Image) -> pyvips.Image:
    return (img > 0).ifthenelse(img, 0)


def circle(img: pyvips.Image, params: Mapping[str, Any]) -> pyvips.Image:
    """Centred circle of radius r; r is capped at (shorter side - 1) / 2 and the output is 2r+1 square.

    OSS documents exactly this: "if r is greater than half of the shorter side, r = (shorter side - 1)
    / 2; width and height of the output = r x 2 + 1".
    """
    r = int(params.get("r") or 1)
    r = max(0, min(r, (min(img.width, img.height) - 1) // 2))
    d = 2 * r + 1
    left, top = (img.width - d) // 2, (img.height - d) // 2
    region = img.crop(left, top, d, d)
    xy = pyvips.Image.xyz(d, d) - [r, r]
    dist = (xy[0] * xy[0] + xy[1] * xy[1]) ** 0.5
    return _with_mask(region, _coverage(dist, r))


def rounded_corners(img: pyvips.Image, params: Mapping[str, Any]) -> pyvips.Image:
    """Same size; corner radius capped at half the shorter side."""
    r = int(params.get("r") or 1)
    r = max(0, min(r, min(img.width, img.height) // 2))
    if r == 0:
        return img
    # Distance to the nearest corner circle's centre, zero away from the corners.
    c = r - 0.5
    xy = pyvips.Image.xyz(img.width, img.height)
    x, y = xy[0], xy[1]
    dx = _clamp0(c - x) + _clamp0(x - (img.width - 1 - c))
    dy = _clamp0(c - y) + _clamp0(y - (img.height - 1 - c))
    dist = (dx * dx + dy * dy) ** 0.5
    return _with_mask(img, _coverage(dist, c + 0.5))
