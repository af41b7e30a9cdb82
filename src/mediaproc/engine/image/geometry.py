"""resize, crop, indexcrop, rotate, flip, auto-orient (SPEC.md §4).

The size arithmetic lives in pure functions (``resize_plan``, ``crop_box``, ``indexcrop_box``) so
the rules are testable without pixels and the shrink-on-load path and the in-chain path compute
exactly the same output size.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

import pyvips

from mediaproc import TYPE_CHECKING, limits
from mediaproc.errors import InvalidOperation
from mediaproc.i18n import _
from mediaproc.ops.catalog.image import AUTO_ORIENT, RESIZE  # the defaults (lfit, limit 1, FFFFFF; v=1)
from mediaproc.record import Record

if TYPE_CHECKING:
    from typing import Any


def round_half_up(x: Fraction) -> int:
    """OSS rounds sizes half up (133.5 -> 134); Python's round() would give 134 but 132.5 -> 132."""
    return int((x + Fraction(1, 2)) // 1)


def _scaled(side: int, k: Fraction) -> int:
    return max(1, round_half_up(side * k))


class ResizePlan(Record):
    """Scale to ``scaled``; then ``fill`` centre-crops and ``pad`` centres on ``canvas``."""

    scaled: tuple[int, int]
    canvas: tuple[int, int]
    mode: str  # lfit | mfit | fill | pad | fixed
    color: str  # pad colour RRGGBB

    def downscales(self, src_w: int, src_h: int) -> bool:
        """True when the scaling step only shrinks (the case shrink-on-load accelerates)."""
        sw, sh = self.scaled
        return sw <= src_w and sh <= src_h and (sw < src_w or sh < src_h)


def resize_plan(src_w: int, src_h: int, params: Mapping[str, Any]) -> ResizePlan:
    """Output size of ``resize`` for a ``src_w`` x ``src_h`` image (SPEC.md §4 rules and table)."""
    mode = str(params.get("mode") or RESIZE.default("mode"))
    limit = int(params.get("limit", RESIZE.default("limit"))) != 0
    color = str(params.get("color") or RESIZE.default("color")).upper()
    w, h = params.get("w"), params.get("h")
    long_, short = params.get("l"), params.get("s")
    p = params.get("p")
    same = ResizePlan((src_w, src_h), (src_w, src_h), mode, color)

    if mode == "fixed" and (w or h):
        out = (int(w or src_w), int(h or src_h))
        if limit and (out[0] > src_w or out[1] > src_h):
            return same
        return ResizePlan(out, out, mode, color)

    pick = max if mode in ("mfit", "fill") else min
    if w or h:
        ks = [Fraction(int(v), side) for v, side in ((w, src_w), (h, src_h)) if v]
        k = pick(ks)
    elif long_ or short:
        ks = []
        if long_:
            ks.append(Fraction(int(long_), max(src_w, src_h)))
        if short:
            ks.append(Fraction(int(short), min(src_w, src_h)))
        k = pick(ks)
    elif p:
        # Only ``p`` may enlarge under limit_1 (SPEC.md §2).
        k = Fraction(int(p), 100)
        scaled = (_scaled(src_w, k), _scaled(src_h, k))
        return ResizePlan(scaled, scaled, mode, color)
    else:
        raise InvalidOperation(
            _("resize needs at least one of w, h, l, s or p"),
            hint=_("for example resize:w=600 or resize:p=50"),
        )
    if limit and k > 1:
        return same
    scaled = (_scaled(src_w, k), _scaled(src_h, k))
    if mode in ("fill", "pad") and (w or h):
        canvas = (int(w) if w else scaled[0], int(h) if h else scaled[1])
    else:
        canvas = scaled
    return ResizePlan(scaled, canvas, mode, color)


# A DCT-scaled JPEG decode must be at least this much larger than the target (see dct_shrink).
SHRINK_MARGIN = 1.5


def dct_shrink(width: int, height: int, target_w: int, target_h: int) -> int:
    """The JPEG DCT scale (1, 2, 4 or 8) to decode a ``width`` x ``height`` JPEG at for a
    ``target_w`` x ``target_h`` result: the smallest that still leaves ``SHRINK_MARGIN`` times the
    target, because a DCT-scaled decode used as-is (no Lanczos step after it) is measurably
    blockier, especially along the last partial MCU."""
    shrink = 1
    while (
        shrink < 8
        and -(-width // (shrink * 2)) >= target_w * SHRINK_MARGIN
        and -(-height // (shrink * 2)) >= target_h * SHRINK_MARGIN
    ):
        shrink *= 2
    return shrink


def _hex_rgb(color: str) -> list[float]:
    return [float(int(color[i : i + 2], 16)) for i in (0, 2, 4)]


def scale_to(img: pyvips.Image, width: int, height: int) -> pyvips.Image:
    """Resample to exactly ``width`` x ``height`` (Lanczos; alpha premultiplied so edges stay clean)."""
    if (img.width, img.height) == (width, height):
        return img
    hscale, vscale = width / img.width, height / img.height
    if img.hasalpha():
        out = img.premultiply().resize(hscale, vscale=vscale, kernel="lanczos3").unpremultiply()
        out = out.cast("uchar")
    else:
        out = img.resize(hscale, vscale=vscale, kernel="lanczos3")
    if (out.width, out.height) != (width, height):  # float rounding safety net: never off by one
        out = out.crop(0, 0, min(width, out.width), min(height, out.height))
        out = out.embed(0, 0, width, height, extend="copy")
    return out


def finish_resize(img: pyvips.Image, plan: ResizePlan) -> pyvips.Image:
    """The fill crop / pad canvas step after scaling (scaling already done)."""
    cw, ch = plan.canvas
    if (img.width, img.height) == (cw, ch):
        return img
    if plan.mode == "fill":
        left = max(0, (img.width - cw) // 2)
        top = max(0, (img.height - ch) // 2)
        return img.crop(left, top, min(cw, img.width), min(ch, img.height))
    if plan.mode == "pad":
        # Centred; integer division puts the odd pixel at the bottom/right (SPEC.md §4).
        left = max(0, (cw - img.width) // 2)
        top = max(0, (ch - img.height) // 2)
        bg = _hex_rgb(plan.color) + ([255.0] if img.hasalpha() else [])
        return img.embed(left, top, cw, ch, extend="background", background=bg)
    return img


def resize(img: pyvips.Image, params: Mapping[str, Any]) -> pyvips.Image:
    plan = resize_plan(img.width, img.height, params)
    return finish_resize(scale_to(img, *plan.scaled), plan)


def anchor(gravity: str, outer_w: int, outer_h: int, w: int, h: int) -> tuple[int, int]:
    """Top-left corner of a ``w`` x ``h`` box placed by ``gravity`` in an ``outer_w`` x ``outer_h`` area."""
    g = gravity or "nw"
    if g in ("nw", "west", "sw"):
        x = 0
    elif g in ("north", "center", "south"):
        x = (outer_w - w) // 2
    else:  # ne, east, se
        x = outer_w - w
    if g in ("nw", "north", "ne"):
        y = 0
    elif g in ("west", "center", "east"):
        y = (outer_h - h) // 2
    else:  # sw, south, se
        y = outer_h - h
    return x, y


def crop_box(width: int, height: int, params: Mapping[str, Any]) -> tuple[int, int, int, int]:
    """(left, top, w, h) of ``crop``: gravity anchor + x/y offsets, clipped to the image."""
    w = int(params.get("w") or width)
    h = int(params.get("h") or height)
    ax, ay = anchor(str(params.get("g") or "nw"), width, height, min(w, width), min(h, height))
    left = max(0, ax) + int(params.get("x") or 0)
    top = max(0, ay) + int(params.get("y") or 0)
    if left < 0 or top < 0 or left >= width or top >= height:
        raise InvalidOperation(
            _("position is out of image (crop origin {x},{y} on a {w}x{h} image)").format(
                x=left, y=top, w=width, h=height
            ),
            hint=_("make x/y smaller or choose another gravity so the crop starts inside the image"),
            code="InvalidArgument",
        )
    return left, top, min(w, width - left), min(h, height - top)


def crop(img: pyvips.Image, params: Mapping[str, Any]) -> pyvips.Image:
    left, top, w, h = crop_box(img.width, img.height, params)
    if (left, top, w, h) == (0, 0, img.width, img.height):
        return img
    return img.crop(left, top, w, h)


def indexcrop_box(width: int, height: int, params: Mapping[str, Any]) -> tuple[int, int, int, int] | None:
    """The ``i``-th block of size ``x`` (columns) or ``y`` (rows; wins over x); None past the end."""
    i = int(params.get("i") or 0)
    y, x = params.get("y"), params.get("x")
    if y:
        size = int(y)
        top = i * size
        return None if i < 0 or top >= height else (0, top, width, min(size, height - top))
    if x:
        size = int(x)
        left = i * size
        return None if i < 0 or left >= width else (left, 0, min(size, width - left), height)
    raise InvalidOperation(_("indexcrop needs x or y"), hint=_("for example indexcrop:x=100,i=0"))


def indexcrop(img: pyvips.Image, params: Mapping[str, Any]) -> pyvips.Image:
    box = indexcrop_box(img.width, img.height, params)
    return img if box is None else img.crop(*box)


def check_rotatable(width: int, height: int) -> None:
    """Refuse, as OSS does, to rotate an image with a side over the ``rotate_side`` limit (the size the
    image has when the chain reaches rotate: a resize before it makes a large source rotatable)."""
    side = limits.value("rotate_side")
    limits.check(
        "rotate_side",
        max(width, height),
        _("the image rotate turns ({w}x{h} px at that step)").format(w=width, h=height),
        _("resize it first, e.g. resize:l={n} before rotate").format(n=side),
    )


def rotate(img: pyvips.Image, params: Mapping[str, Any]) -> pyvips.Image:
    """Clockwise; right angles are exact, others enlarge the canvas (white, or transparent with alpha)."""
    angle = int(params.get("angle", params.get("degree", 0)) or 0) % 360
    if angle == 0:
        return img
    check_rotatable(img.width, img.height)
    if angle == 90:
        return img.rot90()
    if angle == 180:
        return img.rot180()
    if angle == 270:
        return img.rot270()
    bg = [0.0, 0.0, 0.0, 0.0] if img.hasalpha() else [255.0, 255.0, 255.0]
    # libvips' rotate turns clockwise (checked against rot90 in the tests).
    out = img.rotate(float(angle), background=bg, interpolate=pyvips.Interpolate.new("bicubic"))
    return out.cast("uchar") if out.format != "uchar" else out


def flip(img: pyvips.Image, params: Mapping[str, Any]) -> pyvips.Image:
    """v=0 vertical (upside down), 1 horizontal (mirror), 2 both."""
    v = int(params.get("v") or 0)
    if v == 0:
        return img.flipver()
    if v == 1:
        return img.fliphor()
    return img.rot180()


def auto_orient(img: pyvips.Image, params: Mapping[str, Any]) -> pyvips.Image:
    if int(params.get("v", AUTO_ORIENT.default("v"))) == 0:
        return img
    return img.autorot()
