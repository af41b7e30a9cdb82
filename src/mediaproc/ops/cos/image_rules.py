"""Image processing rules: the ``imageMogr2`` processors and ``ci-process=AIImageCrop`` that a chain
of basic image operations becomes (:func:`image_rule`), and the same rules read back into Ops for
the emulator (:func:`parse_rule`). Watermarks, which a rule can hold too, live in
:mod:`mediaproc.ops.cos.watermarks`.

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

Consecutive ``imageMogr2`` operations share one processor (``imageMogr2/cut/.../rotate/90``), in
chain order; a watermark, or a parameter that repeats, starts a new processor; processors are
joined with ``|``. Output settings (format, quality, interlace) go to the last ``imageMogr2``
processor, because every processor re-encodes and only the last encoding is kept.

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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote

from mediaproc.errors import InvalidOperation
from mediaproc.i18n import _
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
from mediaproc.ops.cos.watermarks import BWM_PREFIX, blind_watermark_rule, parse_watermark, watermark_rule
from mediaproc.ops.model import Op
from mediaproc.ops.validate import make_chain

__all__ = [
    "AI_IMAGE_CROP",
    "FORMATS",
    "image_rule",
    "is_rule",
    "parse_rule",
    "rule_params",
    "sharpen_from_cos",
    "sharpen_to_cos",
    "smart_crop_rule",
]

AI_IMAGE_CROP = "AIImageCrop"

FORMATS: Mapping[str, str] = {
    "jpg": "jpg",
    "png": "png",
    "webp": "webp",
    "bmp": "bmp",
    "gif": "gif",
    "avif": "avif",
    "heic": "heif",
}
_FORMATS_BACK = {v: k for k, v in FORMATS.items()} | {"jpeg": "jpg", "heic": "heic"}

# sharpen: OSS 50-399, CI 10-300 ("an integer in the range of 10 to 300 (70 is recommended)").
_SHARPEN_OSS = (50, 399)
_SHARPEN_COS = (10, 300)


def sharpen_to_cos(v: int) -> int:
    lo, hi = _SHARPEN_OSS
    clo, chi = _SHARPEN_COS
    return round(clo + (v - lo) * (chi - clo) / (hi - lo))


def sharpen_from_cos(v: int) -> int:
    lo, hi = _SHARPEN_OSS
    clo, chi = _SHARPEN_COS
    return max(lo, min(hi, round(lo + (v - clo) * (hi - lo) / (chi - clo))))


@dataclass
class _Rule:
    """Processors being built: each is ("imageMogr2", [(name, value|None), ...]) or ("raw", text)."""

    processors: list[tuple[str, list[tuple[str, str | None]] | str]] = field(default_factory=list)
    output: list[tuple[str, str | None]] = field(default_factory=list)

    def mogr(self, *tokens: tuple[str, str | None]) -> None:
        names = {t[0] for t in tokens}
        if self.processors and self.processors[-1][0] == "imageMogr2":
            current = self.processors[-1][1]
            assert isinstance(current, list)
            if not names & {t[0] for t in current}:
                current.extend(tokens)
                return
        self.processors.append(("imageMogr2", list(tokens)))

    def raw(self, text: str) -> None:
        self.processors.append(("raw", text))

    def render(self) -> str:
        procs = list(self.processors)
        # A blind watermark is the last step and must stay last (the emulator, like the chain
        # rules, reads it as the chain's end): output settings go to the processor before it.
        tail = [procs.pop()] if procs and procs[-1][0] == "raw" and str(procs[-1][1]).startswith(BWM_PREFIX) else []
        if self.output:
            if procs and procs[-1][0] == "imageMogr2":
                last = procs[-1][1]
                assert isinstance(last, list)
                procs[-1] = ("imageMogr2", [*last, *self.output])
            else:
                procs.append(("imageMogr2", list(self.output)))
        procs += tail
        if not procs:
            procs.append(("imageMogr2", [("rotate", "0")]))  # a chain that changes nothing
        out: list[str] = []
        for kind, body in procs:
            if kind == "raw":
                assert isinstance(body, str)
                out.append(body)
                continue
            assert isinstance(body, list)
            parts = ["imageMogr2"]
            for name, value in body:
                parts.append(name)
                if value is not None:
                    parts.append(value)
            out.append("/".join(parts))
        return "|".join(out)


def _thumbnail(op: Op) -> list[tuple[str, str | None]]:
    p = op.params
    mode = p.get("mode", "lfit")
    limit = int(p.get("limit", 1))
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
    if mode == "lfit":
        return [("thumbnail", f"{w}x{h}{shrink}")]
    if mode == "mfit":
        return [("thumbnail", f"!{w}x{h}r")]
    if mode == "fill":
        return [("thumbnail", f"!{w}x{h}r")]
    # pad
    color = p.get("color", "FFFFFF")
    return [("thumbnail", f"{w}x{h}{shrink}"), ("pad", "1"), ("color", b64color(color))]


def _resize(rule: _Rule, op: Op) -> None:
    tokens = _thumbnail(op)
    rule.mogr(*tokens)
    if op.params.get("mode") == "fill" and "w" in op.params and "h" in op.params:
        rule.mogr(("crop", f"{op.params['w']}x{op.params['h']}"), ("gravity", "center"))


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


def _crop(rule: _Rule, op: Op) -> None:
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


def image_rule(ops: Iterable[Op], *, bucket: str | None = None, region: str | None = None) -> str:
    """The CI rule for a chain of basic image operations (see the module table).

    ``bucket``/``region`` are the source's: an image watermark must live in the same bucket, and CI
    wants its full ``http://`` URL.
    """
    ops = list(ops)
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
    rule = _Rule()
    output: dict[str, tuple[str, str | None]] = {}
    for op in ops:
        p = op.params
        name = op.name
        if name == "resize":
            _resize(rule, op)
        elif name == "crop":
            _crop(rule, op)
        elif name == "rotate":
            rule.mogr(("rotate", str(p["angle"])))
        elif name == "flip":
            v = int(p["v"])
            if v in (0, 2):
                rule.mogr(("flip", "vertical"))
            if v in (1, 2):
                rule.mogr(("flip", "horizontal"))
        elif name == "quality":
            if "Q" in p:
                output["quality"] = ("quality", str(p["Q"]))
                output.pop("rquality", None)
            else:
                output["rquality"] = ("rquality", str(p["q"]))
                output.pop("quality", None)
        elif name == "format":
            target = p["target"]
            if target not in FORMATS:
                raise refuse(name, f"format {target}", _("choose one of: {names}").format(names=", ".join(FORMATS)))
            output["format"] = ("format", FORMATS[target])
        elif name == "interlace":
            output["interlace"] = ("interlace", str(int(p["mode"])))
        elif name == "watermark":
            rule.raw(watermark_rule(op, bucket, region))
        elif name == "blur":
            if "g" in p:
                raise refuse(
                    name,
                    _("g={g} (face blur)").format(g=p["g"]),
                    _("Cloud Infinite documents no face blur (its blur is whole-image); use --provider oss or local"),
                )
            rule.mogr(("blur", f"{p['r']}x{p['s']}"))
        elif name == "blindwatermark-embed":
            rule.raw(blind_watermark_rule(op))
        elif name == "sharpen":
            rule.mogr(("sharpen", str(sharpen_to_cos(int(p["v"])))))
        elif name in ("bright", "contrast"):
            rule.mogr((name, str(p["v"])))
        elif name == "auto-orient":
            if int(p.get("v", 1)):
                rule.mogr(("auto-orient", None))
        elif name == "circle":
            rule.mogr(("iradius", str(p["r"])))
        elif name == "rounded-corners":
            rule.mogr(("rradius", str(p["r"])))
        else:
            raise refuse(name, _("the operation"), hint_for(name))
    rule.output = list(output.values())
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


_THUMB = re.compile(r"^(?:!(?P<p>\d+)p|(?P<w>\d+)?x(?P<h>\d+)?(?P<flag>[>!])?|!(?P<mw>\d+)x(?P<mh>\d+)r)$")


def _parse_thumbnail(value: str, pad: str | None, color: str | None) -> Op:
    m = _THUMB.match(value)
    if not m or value in ("x", "x>", "x!"):
        raise InvalidOperation(
            _("unsupported thumbnail geometry {value!r}").format(value=value),
            hint=_("use <W>x<H>[>|!], <W>x, x<H>, !<W>x<H>r or !<P>p"),
        )
    if m.group("p"):
        return wire_op("resize", p=m.group("p"))
    if m.group("mw"):
        mw, mh = m.group("mw"), m.group("mh")
        if mw == mh:
            return wire_op("resize", s=mw, limit=0)
        return wire_op("resize", mode="mfit", w=mw, h=mh, limit=0)
    w, h, flag = m.group("w"), m.group("h"), m.group("flag")
    limit = 1 if flag == ">" else 0
    if flag == "!":
        return wire_op("resize", mode="fixed", w=w, h=h, limit=0)
    if pad == "1":
        return wire_op("resize", mode="pad", w=w, h=h, limit=limit, color=color_from_b64(color) if color else None)
    return wire_op("resize", w=w, h=h, limit=limit)


def _parse_mogr(tokens: list[str]) -> list[Op]:
    ops: list[Op] = []
    i = 0
    n = len(tokens)
    pending_gravity: str | None = None

    def value(at: int) -> str:
        if at >= n:
            raise InvalidOperation(
                _("imageMogr2/{name} needs a value").format(name=tokens[at - 1]),
                hint=_("e.g. imageMogr2/rotate/90"),
            )
        return tokens[at]

    while i < n:
        name = tokens[i]
        if name == "auto-orient":
            ops.append(wire_op("auto-orient", v=1))
            i += 1
            continue
        if name == "ignore-error":
            i += 2
            continue
        v = value(i + 1)
        i += 2
        if name == "thumbnail":
            pad = color = None
            while i + 1 < n and tokens[i] in ("pad", "color"):
                if tokens[i] == "pad":
                    pad = tokens[i + 1]
                else:
                    color = tokens[i + 1]
                i += 2
            ops.append(_parse_thumbnail(v, pad, color))
        elif name == "crop":
            g = pending_gravity
            if i + 1 < n and tokens[i] == "gravity":
                g = tokens[i + 1]
                i += 2
            pending_gravity = None
            m = re.fullmatch(r"(\d+)?x(\d+)?", v)
            if not m or v == "x":
                raise InvalidOperation(_("unsupported crop geometry {v!r}").format(v=v), hint=_("use <W>x<H>"))
            gravity = GRAVITY_SHORT.get((g or "northwest").lower())
            if gravity is None:
                raise InvalidOperation(_("unknown gravity {g!r}").format(g=g), hint=_("northwest .. southeast"))
            ops.append(wire_op("crop", w=m.group(1), h=m.group(2), g=gravity))
        elif name == "gravity":
            pending_gravity = v
        elif name == "scrop":
            m = re.fullmatch(r"(\d+)x(\d+)", v)
            if not m:
                raise InvalidOperation(_("unsupported scrop geometry {v!r}").format(v=v), hint=_("use scrop/<W>x<H>"))
            ops.append(wire_op("crop", w=m.group(1), h=m.group(2), g="face"))
        elif name == "cut":
            m = re.fullmatch(r"(\d+)x(\d+)x(\d+)x(\d+)", v)
            if not m:
                raise InvalidOperation(_("unsupported cut geometry {v!r}").format(v=v), hint=_("use WxHxXxY"))
            w, h, x, y = m.groups()
            ops.append(wire_op("crop", w=w, h=h, x=x, y=y))
        elif name == "iradius":
            ops.append(wire_op("circle", r=v))
        elif name == "rradius":
            ops.append(wire_op("rounded-corners", r=v))
        elif name == "rotate":
            ops.append(wire_op("rotate", angle=v))
        elif name == "flip":
            if v not in ("vertical", "horizontal"):
                raise InvalidOperation(_("flip/{v} is not vertical or horizontal").format(v=v), hint=_("flip/vertical"))
            ops.append(wire_op("flip", v=0 if v == "vertical" else 1))
        elif name == "blur":
            m = re.fullmatch(r"(\d+)x(\d+)", v)
            if not m:
                raise InvalidOperation(_("unsupported blur {v!r}").format(v=v), hint=_("use blur/<radius>x<sigma>"))
            ops.append(wire_op("blur", r=m.group(1), s=m.group(2)))
        elif name == "sharpen":
            ops.append(wire_op("sharpen", v=sharpen_from_cos(int(v))))
        elif name in ("bright", "contrast"):
            ops.append(wire_op(name, v=v))
        elif name == "quality":
            ops.append(wire_op("quality", Q=v.rstrip("!")))
        elif name == "rquality":
            ops.append(wire_op("quality", q=v))
        elif name == "format":
            target = _FORMATS_BACK.get(v.lower())
            if target is None:
                raise InvalidOperation(_("unsupported format {v!r}").format(v=v), hint=", ".join(FORMATS.values()))
            ops.append(wire_op("format", target=target))
        elif name == "interlace":
            ops.append(wire_op("interlace", mode=v))
        else:
            raise InvalidOperation(
                _("unsupported imageMogr2 parameter {name!r}").format(name=name),
                hint=_("the emulator understands what mediaproc sends; see mediaproc.ops.cos"),
            )
    return ops


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
    -> validated Ops. ``source_size`` (width, height) is needed only by ``imageView2/5``."""
    if rule.strip().startswith("ci-process"):
        return list(make_chain(_parse_ci_process(rule.strip())))
    ops: list[Op] = []
    for proc in _split_rule(rule):
        head = proc[0]
        if head == "imageMogr2":
            ops.extend(_parse_mogr(proc[1:]))
        elif head == "watermark":
            ops.append(parse_watermark(proc))
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
    return list(make_chain(ops))


def is_rule(text: str) -> bool:
    """Whether a query key is an image processing rule."""
    return text.split("/", 1)[0] in ("imageMogr2", "imageView2", "watermark") or text.startswith("imageMogr2")
