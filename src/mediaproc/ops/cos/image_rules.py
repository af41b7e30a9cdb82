"""Image processing rules: the ``imageMogr2`` processors and ``ci-process=AIImageCrop`` that a chain
of basic image operations becomes (:func:`image_rule`), and the same rules read back into Ops for
the emulator (:func:`parse_rule`).

Both directions are one table, :data:`IMAGE_RULES`: operation name -> an encoder, the wire names it
writes, and the decoder that reads them back (imgproxy's option table, and
``engine/image/pipeline.py``'s ``HANDLERS``, work the same way). Encoding is a lookup by operation,
decoding a lookup by wire name; an operation or a wire name that is not in the table is an error.
The watermark entries, which a rule can hold too, live in :mod:`mediaproc.ops.cos.watermarks`.

=====================  ===========================================================================
OSS operation          Cloud Infinite rule
=====================  ===========================================================================
resize w/h (lfit)      ``thumbnail/<W>x<H>>`` (``>`` = only shrink: OSS ``limit_1``), ``<W>x`` /
                       ``x<H>`` for one side (``<W>x>`` is the common "only shrink" spelling);
                       ``limit_0`` drops the ``>``
resize mfit / s        ``thumbnail/!<W>x<H>r`` ("minimum width and height"); CI has no only-shrink
                       form of it, so it may enlarge where OSS ``limit_1`` would not (a warning)
resize fill            ``thumbnail/!<W>x<H>r`` then ``crop/<W>x<H>/gravity/center``
resize pad             ``thumbnail/<W>x<H>[>]/pad/1/color/<b64 #RRGGBB>``
resize fixed           ``thumbnail/<W>x<H>!``
resize p               ``thumbnail/!<p>p``
resize l               ``thumbnail/<L>x<L>[>]`` (a long side of L is an L x L box)
crop x/y (nw)          ``cut/<w>x<h>x<x>x<y>`` (offsets from the top-left corner)
crop g                 ``crop/<w>x<h>/gravity/<northwest..southeast>`` (gravity spelt in full)
circle                 ``iradius/<r>``; rounded-corners ``rradius/<r>``
quality q / Q          ``rquality/<q>`` (relative) / ``quality/<Q>`` (absolute, never above the
                       source's quality - as OSS ``Q``)
format                 ``format/<jpg|png|webp|bmp|gif|avif|heif>`` (heic -> heif)
interlace              ``interlace/<0|1>``
rotate / flip          ``rotate/<deg>`` (clockwise) / ``flip/vertical|horizontal``
auto-orient            ``auto-orient``
blur                   ``blur/<r>x<s>``
sharpen                ``sharpen/<v>``, range 10-300 (OSS 50-399, rescaled linearly)
bright / contrast      ``bright/<v>`` / ``contrast/<v>`` (-100..100 on both)
crop g=auto            ``ci-process=AIImageCrop&width=<w>&height=<h>&fixed=1`` (alone: not an
                       ``imageMogr2`` processor, so it cannot share a request with other operations)
crop g=face            ``imageMogr2/scrop/<w>x<h>`` (face smart crop; w and h required, no ``p``)
=====================  ===========================================================================

Rule spellings and where they were checked (searched 2026-11-21, read in the docs' source
repository tencentyun/qcloud-documents): Cloud Infinite API pages "Scaling"
(tencentcloud.com/document/api/436/36366, product/1045/33713: ``!<p>p``, ``<W>x``, ``<W>x<H>>``
"scale down ... if both are greater ... not scaled", ``!<W>x<H>r`` "minimum width and height",
``<W>x<H>!``, ``/pad/1/color/<b64>``), "Cropping" (``cut/<w>x<h>x<dx>x<dy>``,
``crop/<W>x<H>/gravity/<g>``, ``iradius``, ``rradius``, ``scrop``), "Rotation" (``rotate``,
``auto-orient``, ``flip/vertical|horizontal``), "Quality Change" (``quality`` = min of source and
given, ``rquality`` relative, ``lquality``), "Format Conversion" (``format``, ``interlace/0|1``),
"Gaussian Blurring" (``blur/<r>x<s>``, r 1-50), "Sharpening" ("an integer in the range of 10 to
300"), "Brightness"/"Contrast" (-100..100). Unverified and marked where used: the ``Wx>`` one-side
spelling (common in public code, not in the table).

How operations share processors (``imageMogr2/cut/.../rotate/90``) and where the output settings go:
:class:`~mediaproc.ops.cos.rule_codec.RuleBuilder`. Two operations are written as one pair of
processors and read back as one again (the table's ``join``): resize fill (``!WxHr`` then a centred
``crop``) and flip v=2 (``flip/vertical`` then ``flip/horizontal``).

Smart crop and face crop (searched 2026-11-21):

- ``crop g=auto`` -> "图像智能裁剪" AIImageCrop (cloud.tencent.com/document/api/460/83791; SDK pages
  460/102160, 436/110402): ``ci-process=AIImageCrop&width=&height=&fixed=&ignore-error=``, width and
  height "大于0、小于图片宽度/高度的像素值", ``fixed=1`` "输出图片的宽度等于width,高度等于height"
  (``fixed=0`` only keeps the ratio). It runs at download (GET with those query parameters) and in
  ``Pic-Operations`` (``"rule": "ci-process=AIImageCrop&width=..&height=.."``). There is no
  ``imageMogr2`` spelling, so on COS ``g=auto`` stands alone and needs both ``w`` and ``h``.
- ``crop g=face`` -> ``imageMogr2/scrop/<Width>x<Height>``, "人脸智能裁剪: 基于图片中的人脸位置进行
  缩放裁剪。目标图片的宽度为 Width、高度为 Height" (Cropping, 460/36541 and 1247/45329). CI may scale
  before it cuts; OSS/local cut a w x h window around the face (a warning says so). ``p`` (zoom
  around the face box) has no CI parameter and is refused.
- ``blur g=face|faces``: Cloud Infinite documents no face blur (``blur/<r>x<s>`` is whole-image), so
  it stays refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote

from mediaproc.errors import InvalidOperation
from mediaproc.i18n import _
from mediaproc.ops.catalog.image import BLUR, SHARPEN
from mediaproc.ops.cos.common import (
    GRAVITY_FULL,
    GRAVITY_SHORT,
    b64color,
    color_from_b64,
    hint_for,
    refuse,
    refuse_params,
    wire_op,
)
from mediaproc.ops.cos.rule_codec import RuleBuilder, RuleCodec, RuleContext, RuleReader, Token
from mediaproc.ops.cos.watermarks import WATERMARK_RULES
from mediaproc.ops.model import Op
from mediaproc.ops.styles import check_chain as check_styles
from mediaproc.ops.styles import is_style, reference_text
from mediaproc.ops.validate import make_chain

__all__ = [
    "AI_IMAGE_CROP",
    "FORMATS",
    "IMAGE_RULES",
    "image_rule",
    "is_rule",
    "parse_rule",
    "rule_params",
    "sharpen_from_cos",
    "sharpen_to_cos",
    "smart_crop_rule",
]

AI_IMAGE_CROP = "AIImageCrop"

FORMATS: Mapping[str, str] = {f: f for f in ("jpg", "png", "webp", "bmp", "gif", "avif")} | {"heic": "heif"}
_FORMATS_BACK = {v: k for k, v in FORMATS.items()} | {"jpeg": "jpg", "heic": "heic"}

# sharpen: OSS 50-399 (the catalogue's range of sharpen's v), CI 10-300 ("an integer in the range of 10
# to 300 (70 is recommended)").
_SHARPEN_OSS = SHARPEN.range_of("v")
_SHARPEN_COS = (10, 300)


def sharpen_to_cos(v: int) -> int:
    lo, hi = _SHARPEN_OSS
    clo, chi = _SHARPEN_COS
    return round(clo + (v - lo) * (chi - clo) / (hi - lo))


def sharpen_from_cos(value: int | str) -> int:
    """``sharpen/<v>`` read back; outside CI's 10-300 (1045/33719) or not a number: refused (was clamped)."""
    lo, hi = _SHARPEN_OSS
    clo, chi = _SHARPEN_COS
    text = str(value)
    if not text.isdigit() or not clo <= int(text) <= chi:
        raise InvalidOperation(
            _("sharpen/{v} is not a whole number {lo}-{hi}").format(v=text, lo=clo, hi=chi),
            hint=_("Cloud Infinite's sharpen takes 10-300 (70 is recommended)"),
        )
    return round(lo + (int(text) - clo) * (hi - lo) / (chi - clo))


def _geometry(pattern: str, value: str, message: str, hint: str) -> tuple[str | None, ...]:
    """The groups of ``value`` read by ``pattern``; ``message`` (with ``{v}``) when it does not fit."""
    m = re.fullmatch(pattern, value)
    if not m or value == "x":
        raise InvalidOperation(message.format(v=value), hint=hint)
    return m.groups()


# -- resize: thumbnail ------------------------------------------------------------------------------


def _thumbnail(op: Op) -> list[Token]:
    p = op.params
    mode = p.get("mode", op.spec.default("mode"))
    limit = int(p.get("limit", op.spec.default("limit")))
    shrink = ">" if limit == 1 else ""
    w, h = p.get("w"), p.get("h")
    if "p" in p and w is None and h is None and "l" not in p and "s" not in p:
        return [("thumbnail", f"!{p['p']}p")]
    if w is None and h is None:
        long_side, short_side = p.get("l"), p.get("s")
        if long_side is not None and short_side is not None:
            raise refuse(op.name, _("l together with s"), _("give only l (long side) or only s (short side)"))
        if long_side is not None:
            return [("thumbnail", f"{long_side}x{long_side}{shrink}")]
        return [("thumbnail", f"!{short_side}x{short_side}r")]
    if mode == "fixed":
        if w is None or h is None:
            raise refuse(op.name, _("mode=fixed with one side"), _("give both w and h (CI's WxH! needs both)"))
        return [("thumbnail", f"{w}x{h}!")]
    if w is None or h is None:
        if mode in ("fill", "pad"):
            raise refuse(op.name, _("mode={mode} with one side").format(mode=mode), _("give both w and h"))
        return [("thumbnail", (f"{w}x" if h is None else f"x{h}") + shrink)]
    if mode in ("mfit", "fill"):
        return [("thumbnail", f"!{w}x{h}r")]
    if mode == "lfit":
        return [("thumbnail", f"{w}x{h}{shrink}")]
    # pad
    color = p.get("color", op.spec.default("color"))
    return [("thumbnail", f"{w}x{h}{shrink}"), ("pad", "1"), ("color", b64color(color))]


def _resize(rule: RuleBuilder, op: Op, ctx: RuleContext) -> None:
    rule.mogr(*_thumbnail(op))
    if op.params.get("mode") == "fill" and "w" in op.params and "h" in op.params:
        rule.mogr(("crop", f"{op.params['w']}x{op.params['h']}"), ("gravity", "center"))


_THUMB = re.compile(r"^(?:!(?P<p>\d+)p|(?P<w>\d+)?x(?P<h>\d+)?(?P<flag>[>!])?|!(?P<mw>\d+)x(?P<mh>\d+)r)$")


def _resize_back(name: str, reader: RuleReader) -> Op:
    """``thumbnail/<geometry>[/pad/1/color/<b64>]``; ``!WxHr`` reads as the box it is (mfit)."""
    value = reader.value()
    opts = reader.options("pad", "color")
    m = _THUMB.match(value)
    if not m or value in ("x", "x>", "x!"):
        raise InvalidOperation(
            _("unsupported thumbnail geometry {value!r}").format(value=value),
            hint=_("use <W>x<H>[>|!], <W>x, x<H>, !<W>x<H>r or !<P>p"),
        )
    if m.group("p"):
        return wire_op("resize", p=m.group("p"))
    if m.group("mw"):
        return wire_op("resize", mode="mfit", w=m.group("mw"), h=m.group("mh"), limit=0)
    w, h, flag = m.group("w"), m.group("h"), m.group("flag")
    limit = 1 if flag == ">" else 0
    if flag == "!":
        return wire_op("resize", mode="fixed", w=w, h=h, limit=0)
    if opts.get("pad") == "1":
        color = opts.get("color")
        return wire_op("resize", mode="pad", w=w, h=h, limit=limit, color=color_from_b64(color) if color else None)
    return wire_op("resize", w=w, h=h, limit=limit)


def _resize_join(op: Op, after: Op) -> Op | None:
    """``!WxHr`` then ``crop/WxH/gravity/center`` is resize fill (what :func:`_resize` writes)."""
    p, q = op.params, after.params
    box = p.get("mode") == "mfit" and (q.get("w"), q.get("h")) == (p.get("w"), p.get("h"))
    if box and after.name == "crop" and q.get("g") == "center" and "x" not in q and "y" not in q:
        return wire_op("resize", mode="fill", w=p["w"], h=p["h"], limit=0)
    return None


# -- crop: cut, crop/gravity, scrop, AIImageCrop ------------------------------------------------------------


def _need_size(op: Op, what: str) -> tuple[int, int]:
    w, h = op.params.get("w"), op.params.get("h")
    if w is None or h is None:
        raise refuse(
            op.name,
            _("g={g} without both w and h").format(g=op.params.get("g")),
            _("give w and h ({what} needs the target size)").format(what=what),
        )
    if op.params.get("x") or op.params.get("y"):
        raise refuse(
            op.name,
            _("g={g} with x/y offsets").format(g=op.params.get("g")),
            _("drop x/y: {what} places the window itself").format(what=what),
        )
    return int(w), int(h)


def smart_crop_rule(op: Op) -> str:
    """crop g=auto -> ``ci-process=AIImageCrop&width=W&height=H&fixed=1`` (exactly W x H out)."""
    w, h = _need_size(op, "AIImageCrop")
    return f"ci-process={AI_IMAGE_CROP}&width={w}&height={h}&fixed=1"


def _crop(rule: RuleBuilder, op: Op, ctx: RuleContext) -> None:
    p = op.params
    g = p.get("g", "nw")
    if g == "auto":  # pragma: no cover - image_rule sends g=auto to smart_crop_rule
        raise refuse(op.name, "g=auto", _("run crop g=auto alone"))
    if g == "face":
        refuse_params(op, ("p",), _("CI's scrop has no zoom around the face; remove p, or use --provider oss or local"))
        face_w, face_h = _need_size(op, "scrop")
        rule.mogr(("scrop", f"{face_w}x{face_h}"))
        return
    w, h, x, y = p.get("w"), p.get("h"), p.get("x", 0), p.get("y", 0)
    if x or y:
        if g != "nw":
            raise refuse(
                op.name,
                _("g={g} with x/y offsets").format(g=g),
                _("use g=nw with x/y (CI cut), or drop x/y"),
            )
        if w is None or h is None:
            raise refuse(op.name, _("x/y offsets without both w and h"), _("give w and h with x/y"))
        rule.mogr(("cut", f"{w}x{h}x{x}x{y}"))
        return
    if w is None and h is None:
        return  # the whole image: nothing to do
    size = f"{w}x{h}" if w is not None and h is not None else (f"{w}x" if h is None else f"x{h}")
    rule.mogr(("crop", size), ("gravity", GRAVITY_FULL[g]))


def _crop_back(name: str, reader: RuleReader) -> Op | None:
    """``crop/<W>x<H>[/gravity/<g>]`` (a ``gravity`` before it counts too), ``cut/WxHxXxY``,
    ``scrop/WxH`` (face)."""
    if name == "gravity":
        reader.pending["gravity"] = reader.value()
        return None
    value = reader.value()
    if name == "scrop":
        w, h = _geometry(r"(\d+)x(\d+)", value, _("unsupported scrop geometry {v!r}"), _("use scrop/<W>x<H>"))
        return wire_op("crop", w=w, h=h, g="face")
    if name == "cut":
        w, h, x, y = _geometry(
            r"(\d+)x(\d+)x(\d+)x(\d+)", value, _("unsupported cut geometry {v!r}"), _("use WxHxXxY")
        )
        return wire_op("crop", w=w, h=h, x=x, y=y)
    g = reader.options("gravity").get("gravity") or reader.pending.pop("gravity", None)
    reader.pending.pop("gravity", None)
    w, h = _geometry(r"(\d+)?x(\d+)?", value, _("unsupported crop geometry {v!r}"), _("use <W>x<H>"))
    gravity = GRAVITY_SHORT.get((g or "northwest").lower())
    if gravity is None:
        raise InvalidOperation(_("unknown gravity {g!r}").format(g=g), hint=_("northwest .. southeast"))
    return wire_op("crop", w=w, h=h, g=gravity)


# -- the rest: one imageMogr2 parameter each ----------------------------------------------------------------


def _flip(rule: RuleBuilder, op: Op, ctx: RuleContext) -> None:
    v = int(op.params["v"])
    if v in (0, 2):
        rule.mogr(("flip", "vertical"))
    if v in (1, 2):
        rule.mogr(("flip", "horizontal"))


def _flip_back(name: str, reader: RuleReader) -> Op:
    v = reader.value()
    if v not in ("vertical", "horizontal"):
        raise InvalidOperation(_("flip/{v} is not vertical or horizontal").format(v=v), hint=_("flip/vertical"))
    return wire_op("flip", v=0 if v == "vertical" else 1)


def _flip_join(op: Op, after: Op) -> Op | None:
    """``flip/vertical`` then ``flip/horizontal`` is flip v=2 (what :func:`_flip` writes)."""
    if after.name == "flip" and (op.params["v"], after.params["v"]) == (0, 1):
        return wire_op("flip", v=2)
    return None


def _quality(rule: RuleBuilder, op: Op, ctx: RuleContext) -> None:
    # Q (absolute, never above the source's) wins over q (relative), as on OSS.
    if "Q" in op.params:
        rule.set_output("quality", ("quality", str(op.params["Q"])), replaces=("rquality",))
    else:
        rule.set_output("rquality", ("rquality", str(op.params["q"])), replaces=("quality",))


def _quality_back(name: str, reader: RuleReader) -> Op:
    """CI's ``quality``/``rquality`` take 0-100 (1045/33717), OSS's ``Q``/``q`` 1-100: 0 runs as 1, as
    libjpeg reads it, instead of being refused."""
    v = reader.value().rstrip("!") if name == "quality" else reader.value()
    if v.isdigit() and int(v) == 0:  # 0, 00 ... (a string compare left quality/00 refused)
        v = "1"
    return wire_op("quality", Q=v) if name == "quality" else wire_op("quality", q=v)


def _format(rule: RuleBuilder, op: Op, ctx: RuleContext) -> None:
    target = op.params["target"]
    if target not in FORMATS:
        raise refuse(op.name, f"format {target}", _("choose one of: {names}").format(names=", ".join(FORMATS)))
    rule.set_output("format", ("format", FORMATS[target]))


def _format_back(name: str, reader: RuleReader) -> Op:
    v = reader.value()
    target = _FORMATS_BACK.get(v.lower())
    if target is None:
        raise InvalidOperation(_("unsupported format {v!r}").format(v=v), hint=", ".join(FORMATS.values()))
    return wire_op("format", target=target)


def _blur(rule: RuleBuilder, op: Op, ctx: RuleContext) -> None:
    p = op.params
    if "g" in p:
        raise refuse(
            op.name,
            _("g={g} (face blur)").format(g=p["g"]),
            _("Cloud Infinite documents no face blur (its blur is whole-image); use --provider oss or local"),
        )
    rule.mogr(("blur", f"{p['r']}x{p['s']}"))


def _blur_back(name: str, reader: RuleReader) -> Op:
    """CI's blur: radius 1-50, any sigma "必须大于0" (436/36371); OSS's ``s`` takes 1-50, so a positive
    sigma outside runs at the nearest it takes (it was refused); 0 is refused."""
    hint = _("use blur/<radius>x<sigma>")
    r, s = _geometry(r"(\d+)x(\d+(?:\.\d*)?|\.\d+)", reader.value(), _("unsupported blur {v!r}"), hint)  # 5x.5 too
    if (sigma := float(s or 0)) <= 0:
        raise InvalidOperation(_("blur sigma {v} is not greater than 0").format(v=s), hint=hint)
    lo, hi = BLUR.range_of("s")
    return wire_op("blur", r=r, s=str(max(lo, min(hi, round(sigma)))))


def _auto_orient(rule: RuleBuilder, op: Op, ctx: RuleContext) -> None:
    if int(op.params.get("v", 1)):
        rule.mogr(("auto-orient", None))


def _one(token: str, key: str, to_cos: Callable[[Any], str] = str) -> Callable[[RuleBuilder, Op, RuleContext], None]:
    """The encoder of an operation that is one ``imageMogr2`` parameter: ``<token>/<value of key>``."""

    def encode(rule: RuleBuilder, op: Op, ctx: RuleContext) -> None:
        rule.mogr((token, to_cos(op.params[key])))

    return encode


def _one_back(op_name: str, key: str, from_cos: Callable[[str], Any] = str) -> Callable[[str, RuleReader], Op]:
    """Its decoder: ``<token>/<value>`` -> ``op_name`` with ``key`` = the value."""

    def decode(name: str, reader: RuleReader) -> Op:
        return wire_op(op_name, **{key: from_cos(reader.value())})

    return decode


# -- the table ------------------------------------------------------------------------------------------------

# Operation -> (encoder, the wire names it reads back, decoder): the module table above, as code.
# Rules are processed by lookup here; an operation that is not in the table is refused with the
# advice of hint_for, a wire name no entry reads is an error at the emulator.
IMAGE_RULES: Mapping[str, RuleCodec] = {
    "resize": RuleCodec(_resize, ("thumbnail",), _resize_back, join=_resize_join),
    "crop": RuleCodec(_crop, ("crop", "cut", "scrop", "gravity"), _crop_back),
    "rotate": RuleCodec(_one("rotate", "angle"), ("rotate",), _one_back("rotate", "angle")),
    "flip": RuleCodec(_flip, ("flip",), _flip_back, join=_flip_join),
    "quality": RuleCodec(_quality, ("quality", "rquality"), _quality_back),
    "format": RuleCodec(_format, ("format",), _format_back),
    "interlace": RuleCodec(
        lambda rule, op, ctx: rule.set_output("interlace", ("interlace", str(int(op.params["mode"])))),
        ("interlace",),
        _one_back("interlace", "mode"),
    ),
    "blur": RuleCodec(_blur, ("blur",), _blur_back),
    "sharpen": RuleCodec(
        _one("sharpen", "v", lambda v: str(sharpen_to_cos(int(v)))),
        ("sharpen",),
        _one_back("sharpen", "v", sharpen_from_cos),
    ),
    "bright": RuleCodec(_one("bright", "v"), ("bright",), _one_back("bright", "v")),
    "contrast": RuleCodec(_one("contrast", "v"), ("contrast",), _one_back("contrast", "v")),
    "auto-orient": RuleCodec(_auto_orient, ("auto-orient",), lambda name, reader: wire_op("auto-orient", v=1)),
    "circle": RuleCodec(_one("iradius", "r"), ("iradius",), _one_back("circle", "r")),
    "rounded-corners": RuleCodec(_one("rradius", "r"), ("rradius",), _one_back("rounded-corners", "r")),
    **WATERMARK_RULES,
}
_READERS: Mapping[str, RuleCodec] = {name: codec for codec in IMAGE_RULES.values() for name in codec.reads}
_SKIPPED = frozenset({"ignore-error"})  # imageMogr2/ignore-error/1: CI's own switch, nothing to run


def image_rule(ops: Iterable[Op], *, bucket: str | None = None, region: str | None = None) -> str:
    """The CI rule for a chain of basic image operations (see the module table).

    ``bucket``/``region`` are the source's: an image watermark must live in the same bucket, and CI
    wants its full ``http://`` URL.
    """
    ops = list(ops)
    if ops and is_style(ops[0]):
        check_styles(ops, "cos")
        return reference_text(ops[0])  # Pic-Operations: "以 style/ 开头,后加样式名"
    smart = next((op for op in ops if op.name == "crop" and op.params.get("g") == "auto"), None)
    if smart is not None:
        if len(ops) > 1:
            raise refuse(
                smart.name,
                _("g=auto together with other operations"),
                _(
                    "CI's smart crop (ci-process=AIImageCrop) runs alone: crop g=auto first, then process "
                    "the result; or use --provider oss or local"
                ),
            )
        return smart_crop_rule(smart)
    rule = RuleBuilder()
    ctx = RuleContext(bucket, region)
    for op in ops:
        codec = IMAGE_RULES.get(op.name)
        if codec is None:
            raise refuse(op.name, _("the operation"), hint_for(op.name))
        for check in codec.checks:
            check(op)
        codec.encode(rule, op, ctx)
    return rule.render()


def rule_params(rule: str) -> dict[str, str]:
    """The query parameters that carry a rule on a GET or a signed URL: a processing rule is one
    key with an empty value; a ``ci-process=...&k=v`` rule (AIImageCrop) is its own parameters."""
    if rule.startswith("ci-process="):
        return dict(parse_qsl(rule, keep_blank_values=True))
    return {rule: ""}


# -- inverse ------------------------------------------------------------------------------------


def _split_rule(rule: str) -> list[list[str]]:
    text = rule.strip()
    if "%" in text:
        text = unquote(text)
    return [[t for t in proc.split("/") if t != ""] for proc in text.split("|") if proc.strip()]


def _read_mogr(reader: RuleReader) -> list[Op]:
    ops: list[Op] = []
    while reader:
        name = reader.name()
        if name in _SKIPPED:
            reader.value()
            continue
        codec = _READERS.get(name)
        if codec is None or name.startswith("watermark/"):
            raise InvalidOperation(
                _("unsupported imageMogr2 parameter {name!r}").format(name=name),
                hint=_("the emulator understands what mediaproc sends; see mediaproc.ops.cos"),
            )
        op = codec.decode(name, reader)
        if op is not None:
            ops.append(op)
    return ops


def _read_watermark(tokens: list[str]) -> Op:
    name = "/".join(tokens[:2])
    codec = _READERS.get(name) if name.startswith("watermark/") else None
    if codec is None:
        raise InvalidOperation(
            _("unsupported watermark type {t!r}").format(t=tokens[1] if len(tokens) > 1 else ""),
            hint=_("watermark/1 (image), watermark/2 (text), watermark/3 and /4 (blind watermark)"),
        )
    op = codec.decode(name, RuleReader(tokens[2:]))
    assert op is not None  # a watermark processor is always one operation
    return op


def _joined(ops: list[Op]) -> list[Op]:
    """Merge what one operation writes as two (resize fill, flip v=2), by the table's joins."""
    out: list[Op] = []
    for op in ops:
        join = IMAGE_RULES[out[-1].name].join if out else None
        merged = join(out[-1], op) if join is not None else None
        if merged is not None:
            out[-1] = merged
        else:
            out.append(op)
    return out


def _parse_ci_process(rule: str) -> list[Op]:
    """``ci-process=AIImageCrop&width=W&height=H&fixed=1`` -> crop g=auto (the only ci-process rule
    mediaproc sends; ``fixed=0``, the ratio-only crop, has no mediaproc operation)."""
    query = rule_params(unquote(rule) if "%" in rule else rule)
    if query.get("ci-process") != AI_IMAGE_CROP:
        raise InvalidOperation(
            _("unsupported processor {name!r}").format(name=f"ci-process={query.get('ci-process', '')}"),
            hint=_("the emulator understands ci-process=AIImageCrop in a rule"),
        )
    if query.get("fixed", "0") != "1":
        raise InvalidOperation(
            _("AIImageCrop fixed=0 (keep only the ratio) is not emulated"),
            hint=_("use fixed=1 (exactly width x height)"),
        )
    try:
        w, h = int(float(query["width"])), int(float(query["height"]))
    except (KeyError, ValueError):
        raise InvalidOperation(
            _("AIImageCrop needs numeric width and height"),
            hint=_("e.g. ci-process=AIImageCrop&width=200&height=200&fixed=1"),
        ) from None
    return [wire_op("crop", g="auto", w=w, h=h)]


def parse_rule(rule: str, *, source_size: tuple[int, int] | None = None) -> list[Op]:
    """A CI rule (what :func:`image_rule` writes, or the same hand-written, ``imageView2`` included)
    -> validated Ops, each processor read by the :data:`IMAGE_RULES` entry that writes it
    (``imageView2``, which mediaproc never writes, by :mod:`mediaproc.ops.cos.image_view`).
    ``source_size`` (width, height) is needed only by ``imageView2/5``."""
    if rule.strip().startswith("ci-process"):
        return list(make_chain(_parse_ci_process(rule.strip())))
    ops: list[Op] = []
    for proc in _split_rule(rule):
        head = proc[0]
        if head == "imageMogr2":
            ops.extend(_read_mogr(RuleReader(proc[1:])))
        elif head == "watermark":
            ops.append(_read_watermark(proc))
        elif head == "imageView2":
            from mediaproc.ops.cos.image_view import parse_image_view

            ops.extend(parse_image_view(proc[1:], source_size))
        elif head in ("imageInfo", "imageAve", "exif"):
            raise InvalidOperation(
                _("{name} cannot be part of a processing rule").format(name=head), hint=_("request it alone")
            )
        else:
            raise InvalidOperation(
                _("unsupported processor {name!r}").format(name=head),
                hint=_("the emulator understands imageMogr2, imageView2, watermark/1-4 and ci-process=AIImageCrop"),
            )
    if not ops:
        raise InvalidOperation(_("empty rule"), hint=_("e.g. imageMogr2/thumbnail/600x>"))
    return list(make_chain(_joined(ops)))


def is_rule(text: str) -> bool:
    """Whether a query key is an image processing rule."""
    return text.split("/", 1)[0] in ("imageMogr2", "imageView2", "watermark") or text.startswith("imageMogr2")
