"""crop g=auto: content-aware crop with libvips ``smartcrop`` (``interesting=attention``).

libvips' attention strategy scores skin tones, saturation and edges (a Laplacian) on a shrunk copy
and places the window over the highest-scoring region. OSS's ``g_auto`` lets IMM choose the size as
well and ignores ``w``/``h``/``p``; locally a size is needed, so: ``w`` x ``h`` where given, each cut
to the image; a missing side is the image's full side; with neither, the largest square (side =
the image's short side), the usual avatar / thumbnail shape — on an already square image that is
the whole image. ``x``/``y`` do not apply to smart crop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyvips


def target_size(width: int, height: int, w: int | None, h: int | None) -> tuple[int, int]:
    if w is None and h is None:
        side = min(width, height)
        return side, side
    return min(w if w is not None else width, width), min(h if h is not None else height, height)


def crop(img: pyvips.Image, w: int | None, h: int | None) -> pyvips.Image:
    tw, th = target_size(img.width, img.height, w, h)
    if (tw, th) == (img.width, img.height):
        return img
    return img.smartcrop(tw, th, interesting="attention")
