"""``imageView2``, Cloud Infinite's quick thumbnail template, read into Ops (for ``mediaproc serve``).

mediaproc never writes ``imageView2`` (a chain becomes ``imageMogr2``), but users and the COS seed do:
its own example is ``{"fileid":"format.png","rule":"imageView2/format/png"}``. So the COS front
reads it as the "Quick Thumbnail Template" page documents it (tencentcloud.com/document/product/
436/36379, cloud.tencent.com/document/product/460/6929):
``imageView2/<mode>/w/<Width>/h/<Height>/format/<Format>/q/<Quality>/rq/<Quality>/lq/<Quality>``,
the mode optional (``imageView2/format/png`` only converts).

=====  ===================================================================  =========================
mode   documented meaning                                                   mediaproc operation
=====  ===================================================================  =========================
1      minimum width and height: scale until one side reaches its value,    resize m=fill (exactly
       then centre-crop the other to it; one side given: a square           W x H, may enlarge)
2      maximum width and height, keep the ratio; one side: the other        resize m=lfit (only
       follows                                                              shrinks: it is a maximum)
3      minimum width and height, keep the ratio; one side: the other the    resize m=mfit (may
       same value                                                           enlarge: it is a minimum)
4      minimum long and short side, keep the ratio; one side: the same      resize m=mfit with l, s
5      maximum long and short side, scale and centre-crop; one side: a      resize m=fill, W x H
       square ("when width equals height the long side is the height")      oriented like the source
=====  ===================================================================  =========================

``/format/`` takes jpg, bmp, gif, png, webp (as ``imageMogr2/format``); ``/q/<Q>`` is the absolute
quality "never above the source's" (``!`` forces it; both are ``quality Q``), ``/rq/<q>`` the
relative one (``quality q``); ``/ignore-error/1`` is accepted. Refused, as the service refuses an
invalid parameter (``400 InvalidArgument``, the emulator's answer to any rule it cannot run): mode 0
(the old V2 template, not on the COS page), ``/lq/`` (no mediaproc operation raises a quality to a
floor), a quality of 0, sides over 9999 px ("the width and height of the output image cannot
exceed 9,999 pixels"), unknown parameters. Mode 5 needs the source's orientation, so the caller
passes the source's size.
"""

from __future__ import annotations

from mediaproc.errors import InvalidOperation
from mediaproc.i18n import _
from mediaproc.limits import COS
from mediaproc.ops.cos.common import wire_op
from mediaproc.ops.model import Op

MAX_SIDE = COS["output_side"].value  # CI's 9,999 px a side of a result: the limit serve's COS front applies
MODES = ("1", "2", "3", "4", "5")
FORMATS = {"jpg": "jpg", "jpeg": "jpg", "bmp": "bmp", "gif": "gif", "png": "png", "webp": "webp"}


def _refuse(text: str) -> InvalidOperation:
    return InvalidOperation(text, hint=_("imageView2/<1-5>/w/<W>/h/<H>/format/<jpg|png|webp|bmp|gif>/q/<1-100>"))


def _side(name: str, value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= MAX_SIDE:
        raise _refuse(_("imageView2 {name} must be 1-{max} pixels, not {value!r}").format(
            name=name, max=MAX_SIDE, value=value))
    return int(value)


def _quality(name: str, value: str) -> int:
    text = value.rstrip("!")
    if not text.isdigit() or not 1 <= int(text) <= 100:
        raise _refuse(_("imageView2 {name} must be 1-100, not {value!r}").format(name=name, value=value))
    return int(text)


def _resize(mode: str, w: int | None, h: int | None, source_size: tuple[int, int] | None) -> Op:
    if w is None and h is None:
        raise _refuse(_("imageView2/{mode} needs w or h").format(mode=mode))
    if mode == "1":
        return wire_op("resize", mode="fill", w=w or h, h=h or w, limit=0)
    if mode == "2":
        return wire_op("resize", w=w, h=h, limit=1)
    if mode == "3":
        return wire_op("resize", mode="mfit", w=w or h, h=h or w, limit=0)
    long_side, short_side = w or h, h or w
    if mode == "4":
        return wire_op("resize", mode="mfit", l=long_side, s=short_side, limit=0)
    if source_size is None:  # pragma: no cover - the emulator always passes it
        raise _refuse(_("imageView2/5 needs the source's size"))
    landscape = source_size[0] > source_size[1]  # equal sides: the long side is the height
    width, height = (long_side, short_side) if landscape else (short_side, long_side)
    return wire_op("resize", mode="fill", w=width, h=height, limit=0)


def parse_image_view(tokens: list[str], source_size: tuple[int, int] | None = None) -> list[Op]:
    """The tokens after ``imageView2`` (``["1", "w", "200", "h", "100", "format", "png"]``) -> Ops."""
    items = list(tokens)
    mode = items.pop(0) if items and items[0].isdigit() else None
    if mode is not None and mode not in MODES:
        raise _refuse(_("imageView2 mode {mode} is not one of 1-5").format(mode=mode))
    if len(items) % 2:
        raise _refuse(_("imageView2/{tokens}: a parameter has no value").format(tokens="/".join(tokens)))
    values: dict[str, str] = {}
    for name, value in zip(items[::2], items[1::2], strict=True):
        if name in values:
            raise _refuse(_("imageView2 {name} is given twice").format(name=name))
        values[name] = value
    unknown = sorted(set(values) - {"w", "h", "format", "q", "rq", "ignore-error"})
    if unknown:
        raise _refuse(_("unsupported imageView2 parameter {name!r}").format(name=unknown[0]))
    ops: list[Op] = []
    w = _side("w", values["w"]) if "w" in values else None
    h = _side("h", values["h"]) if "h" in values else None
    if mode is not None:
        ops.append(_resize(mode, w, h, source_size))
    elif w is not None or h is not None:
        raise _refuse(_("imageView2 w and h need a mode (imageView2/<1-5>/w/...)"))
    if "q" in values and "rq" in values:
        raise _refuse(_("imageView2 takes q or rq, not both"))
    if "q" in values:
        ops.append(wire_op("quality", Q=_quality("q", values["q"])))
    if "rq" in values:
        ops.append(wire_op("quality", q=_quality("rq", values["rq"])))
    if "format" in values:
        target = FORMATS.get(values["format"].lower())
        if target is None:
            raise _refuse(_("imageView2 format {value!r} is not jpg, png, webp, bmp or gif").format(
                value=values["format"]))
        ops.append(wire_op("format", target=target))
    if not ops:
        raise _refuse(_("imageView2 with nothing to do"))
    return ops
