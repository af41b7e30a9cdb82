"""Watermarks as Cloud Infinite spells them: the text and image watermark (``watermark/2``,
``watermark/1``) and the text blind watermark (``watermark/3`` embed, ``watermark/4`` extract), each
encoder beside its parser.

=====================  ===========================================================================
OSS operation          Cloud Infinite rule
=====================  ===========================================================================
watermark text         ``watermark/2/text/<b64>/font/<b64>/fontsize/<n>/fill/<b64 #RRGGBB>/
                       dissolve/<t>/gravity/<full>/dx/<x>/dy/<y>`` (+ ``batch/1``, ``degree``,
                       ``shadow``)
watermark image        ``watermark/1/image/<b64 http://<bucket>.cos.<region>.myqcloud.com/<key>>/...``
blindwatermark-embed   ``watermark/3/type/3/text/<b64>/level/<1|2|3>/version/3.0`` (text blind
                       watermark; ``s`` low/medium/high -> level 1/2/3; no ``q``)
blindwatermark-extract ``watermark/4/type/3/version/3.0`` in ``Pic-Operations`` only (PUT or
                       ``POST ?image_process``); the extracted text is stored at ``fileid``
=====================  ===========================================================================

Where the spellings were checked (searched 2026-11-21, Cloud Infinite API pages read in the docs'
source repository tencentyun/qcloud-documents): "Text Watermarking" (``text font fontsize fill
dissolve gravity dx dy batch degree shadow``; CI defaults dissolve 90, fill #3D3D3D, fontsize 13,
degree only with batch), "Image Watermarking" (``image`` = base64 of an ``http://`` COS URL in the
same bucket, ``scatype``/``spcent`` per mille, ``batch``).

A watermark starts a new processor of the rule (see :mod:`mediaproc.ops.cos.image_rules`). CI's
defaults differ from OSS's (text watermark: CI dissolve 90, dx/dy 0, fill #3D3D3D, fontsize 13; OSS
t=100, x=y=10, 000000, size 40), so the OSS defaults are written out explicitly: the same chain
looks the same on both clouds. The font size is passed through unchanged (CI calls it points; OSS
pixels).

Blind watermarks (searched 2026-11-21):

- ``blindwatermark-embed`` -> "图片盲水印" (cloud.tencent.com/document/api/436/46782, intl
  1045/43029): ``watermark/3/type/<1|2|3>/image/<url>/text/<b64>/level/<level>``; type 3 is the
  text watermark. Its version table: text ``version=3.0`` takes any UTF-8 text up to 256 characters
  on images over 64x64, ``level`` 0-3 ("值越大,抗干扰能力越强"); ``version=1.0`` takes only
  [0-9A-Za-z] and no level. mediaproc writes ``version/3.0`` and maps ``s`` low/medium/high to
  ``level`` 1/2/3. OSS ``q`` (the embed's output JPEG quality) has no CI parameter and is refused.
  The ``/version/<v>`` path spelling follows public code using the API (the docs' table names the
  versions but the pages read did not show the path) - *unverified*.
- ``blindwatermark-extract`` -> ``watermark/4/type/<type>/image/<url>`` (type must match the embed;
  no image for type 3) in ``Pic-Operations`` only: "PUT 请求提取 ... POST 请求提取: 对 COS 上已存在的
  图片提取盲水印,并将提取出的水印图转存" - the result is stored at the rule's ``fileid``;
  ``ProcessResults/Object/WatermarkStatus`` (confidence 0-100) is documented for type 2 only. How a
  type-3 result is laid out in that object is not documented in the pages read: mediaproc reads it
  as UTF-8 text (what ``mediaproc serve`` stores) and says so clearly when it is something else.
  CI needs no strength to extract, and has no ``model``: both are refused on COS.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mediaproc.errors import InvalidOperation
from mediaproc.i18n import _
from mediaproc.ops.b64 import b64decode, b64encode
from mediaproc.ops.catalog.image import WATERMARK
from mediaproc.ops.cos.common import (
    BUCKET_PLACEHOLDER,
    GRAVITY_FULL,
    GRAVITY_SHORT,
    Refuse,
    b64color,
    color_from_b64,
    cos_url,
    key_from_url,
    refuse,
    wire_op,
)
from mediaproc.ops.cos.rule_codec import RuleBuilder, RuleCodec, RuleContext, RuleReader
from mediaproc.ops.model import Op

__all__ = [
    "BWM_PREFIX",
    "EMBED_CHECKS",
    "EXTRACT_CHECKS",
    "WATERMARK_CHECKS",
    "WATERMARK_RULES",
    "WM_DEFAULTS",
    "blind_watermark_rule",
    "extract_rule",
    "watermark_rule",
]

# Text blind watermark (type 3), version 3.0: any UTF-8 text, at most 256 characters, level 0-3.
BWM_PREFIX = "watermark/3/"
BWM_VERSION = "3.0"
BWM_MAX_CHARS = 256
BWM_LEVELS: Mapping[str, str] = {"low": "1", "medium": "2", "high": "3"}
_BWM_STRENGTHS = {"0": "low", "1": "low", "2": "medium", "3": "high"}

# OSS watermark defaults (SPEC.md §2, the catalogue's), written out because CI's differ.
WM_DEFAULTS: Mapping[str, Any] = {key: WATERMARK.default(key) for key in ("g", "x", "y", "t", "size", "color")}


def _one_kind(op: Op) -> None:
    if "text" in op.params and "image" in op.params:
        raise refuse(
            op.name,
            _("text and image in one watermark"),
            _("use two watermark operations (one text, one image) on COS"),
        )


# Checked before a watermark is written (WATERMARK_RULES): CI places, tiles and scales watermarks its
# own way, and a mixed text+image watermark is two operations there.
WATERMARK_CHECKS = (
    _one_kind,
    Refuse(("voffset",), _("CI places watermarks by gravity, dx and dy only; remove voffset")),
    Refuse(("padx", "pady"), _("CI tiles with a spacing in percent; remove padx/pady")),
    Refuse(("rw", "rh", "aw", "ah", "preprocess"), _("scale the watermark with P, or use --provider oss")),
)
EMBED_CHECKS = (
    Refuse(("q",), _("CI's blind watermark has no output quality; remove q (a quality op before it sets the input's)")),
)
# CI reads the level from the image and has no ``model``: both parameters are refused rather than
# dropped, so a command that depends on them never silently means something else.
EXTRACT_CHECKS = (
    Refuse(("s",), _("CI's extraction (watermark/4) needs no strength; remove s")),
    Refuse(("model",), _("CI has one text blind watermark algorithm; remove model, or use --provider oss")),
)


def watermark_rule(op: Op, bucket: str | None, region: str | None) -> str:
    """watermark -> one ``watermark/2`` (text) or ``watermark/1`` (image) processor, once
    :data:`WATERMARK_CHECKS` passed. ``bucket`` and ``region`` are the source's: the watermark image
    is an object of the same bucket."""
    p = op.params
    if "rotate" in p and not p.get("fill"):
        raise refuse(op.name, _("rotate without fill=1"), _("CI rotates only tiled watermarks; add fill=1"))
    g = GRAVITY_FULL[p.get("g", WM_DEFAULTS["g"])]
    tail = [
        "gravity", g,
        "dx", str(p.get("x", WM_DEFAULTS["x"])),
        "dy", str(p.get("y", WM_DEFAULTS["y"])),
        "dissolve", str(max(1, int(p.get("t", WM_DEFAULTS["t"])))),
    ]  # fmt: skip
    if p.get("fill"):
        tail += ["batch", "1"]
        if "rotate" in p:
            tail += ["degree", str(p["rotate"])]
    if "text" in p:
        parts = ["watermark", "2", "text", b64encode(str(p["text"]))]
        if "type" in p:
            font = str(p["type"])
            if not re.search(r"\.(ttf|otf|ttc|dfont)$", font, re.IGNORECASE):
                font += ".ttf"
            parts += ["font", b64encode(font)]
        parts += ["fontsize", str(p.get("size", WM_DEFAULTS["size"]))]
        parts += ["fill", b64color(str(p.get("color", WM_DEFAULTS["color"])))]
        parts += tail
        if "shadow" in p:
            parts += ["shadow", str(p["shadow"])]
        return "/".join(parts)
    key = str(p["image"])
    if "?" in key:
        raise refuse(
            op.name,
            _("processing inside the watermark image key ({key})").format(key=key),
            _("store a prepared watermark image, or scale it with P"),
        )
    url = cos_url(bucket or BUCKET_PLACEHOLDER, region, key)
    parts = ["watermark", "1", "image", b64encode(url), *tail]
    if "P" in p:
        # OSS P: fit in P% of the base image. CI scatype/1 scales by the base's width, in per mille.
        parts += ["scatype", "1", "spcent", str(int(p["P"]) * 10)]
    return "/".join(parts)


def blind_watermark_rule(op: Op) -> str:
    """blindwatermark-embed -> ``watermark/3/type/3/text/<b64>/level/<n>/version/3.0``, once
    :data:`EMBED_CHECKS` passed."""
    content = str(op.params["content"])
    if len(content) > BWM_MAX_CHARS:
        raise refuse(
            op.name,
            _("content of {n} characters").format(n=len(content)),
            _("CI's text blind watermark holds at most {n} characters").format(n=BWM_MAX_CHARS),
        )
    level = BWM_LEVELS[str(op.params.get("s", op.spec.default("s")))]
    return f"{BWM_PREFIX}type/3/text/{b64encode(content)}/level/{level}/version/{BWM_VERSION}"


def extract_rule(op: Op) -> str:
    """blindwatermark-extract -> ``watermark/4/type/3/version/3.0`` (a Pic-Operations rule), after
    :data:`EXTRACT_CHECKS` (the provider and the dry-run call this directly)."""
    for check in EXTRACT_CHECKS:
        check(op)
    return _EXTRACT_RULE


_EXTRACT_RULE = f"watermark/4/type/3/version/{BWM_VERSION}"


def _blind_back(name: str, reader: RuleReader) -> Op:
    """watermark/3 (embed) and watermark/4 (extract) of the text type; image types 1 and 2 need a
    watermark image mediaproc never sends, and are refused."""
    kind = name.rsplit("/", 1)[-1]
    kv = reader.pairs()
    if kv.get("type") != "3":
        raise InvalidOperation(
            _("blind watermark type {t!r} is not supported").format(t=kv.get("type", "")),
            hint=_("mediaproc reads the text blind watermark: watermark/{kind}/type/3/...").format(kind=kind),
        )
    if kind == "4":
        return wire_op("blindwatermark-extract")
    try:
        text = b64decode(kv.get("text", ""))
    except ValueError:
        text = ""
    if not text:
        raise InvalidOperation(
            _("watermark/3 needs text/<URL-safe base64 of the text>"), hint=_("e.g. watermark/3/type/3/text/SGk")
        )
    level = kv.get("level", "1")
    if level not in _BWM_STRENGTHS:
        raise InvalidOperation(
            _("blind watermark level {v!r} is not 0-3").format(v=level), hint=_("use level/1, 2 or 3")
        )
    return wire_op("blindwatermark-embed", content=text, s=_BWM_STRENGTHS[level])


def _b64_param(kv: Mapping[str, str], key: str) -> str:
    """A ``watermark/1|2`` value CI takes as URL-safe base64 (image, text, font); one that is not is a
    400 naming it (b64decode's ValueError was a 500 InternalError at serve)."""
    try:
        return b64decode(kv.get(key, ""))
    except ValueError as exc:
        raise InvalidOperation(
            _("watermark {key}/{value} is not URL-safe base64 ({reason})").format(
                key=key, value=kv.get(key, "")[:40], reason=exc
            ),
            hint=_("encode {key} with URL-safe base64").format(key=key),
        ) from None


def _watermark_back(name: str, reader: RuleReader) -> Op:
    """``watermark/1`` (image) or ``watermark/2`` (text) -> a watermark Op; CI's own defaults fill
    what the rule leaves out."""
    kv = reader.pairs()
    params: dict[str, Any] = {}
    g = GRAVITY_SHORT.get(kv.get("gravity", "southeast").lower())
    if g is None:
        raise InvalidOperation(_("unknown gravity {g!r}").format(g=kv.get("gravity")), hint=_("northwest .. southeast"))
    params["g"] = g
    params["x"] = kv.get("dx", "0")
    params["y"] = kv.get("dy", "0")
    dissolve = kv.get("dissolve", "90")
    if not dissolve.isdigit() or not 1 <= int(dissolve) <= 100:
        # "文字透明度，取值1 - 100" (text watermark, 1045/33721); OSS's t, which runs it, also takes 0
        raise InvalidOperation(
            _("watermark dissolve/{v} is not a whole number 1-100").format(v=dissolve[:20]),
            hint=_("dissolve is the opacity in percent, 1-100 (default 90)"),
        )
    params["t"] = dissolve
    if kv.get("batch") == "1":
        params["fill"] = 1
        if "degree" in kv:
            params["rotate"] = kv["degree"]
    if name == "watermark/2":
        params["text"] = _b64_param(kv, "text")
        if "font" in kv:
            font = _b64_param(kv, "font")
            params["type"] = re.sub(r"\.(ttf|otf|ttc|dfont)$", "", font, flags=re.IGNORECASE)
        params["size"] = kv.get("fontsize", "13")
        params["color"] = color_from_b64(kv["fill"]) if "fill" in kv else "3D3D3D"
        if "shadow" in kv:
            params["shadow"] = kv["shadow"]
    else:
        url = _b64_param(kv, "image")
        _bucket, key = key_from_url(url)
        if not key:
            raise InvalidOperation(
                _("watermark image URL {url!r} names no object").format(url=url), hint=_("use a COS URL")
            )
        params["image"] = key
        if kv.get("scatype") == "1" and "spcent" in kv:
            if not kv["spcent"].isdigit():  # int() of a word was a 500 at serve
                raise InvalidOperation(
                    _("watermark spcent/{v} is not a whole number").format(v=kv["spcent"]),
                    hint=_("spcent is the watermark's size in per mille of the image, e.g. spcent/300"),
                )
            params["P"] = max(1, min(100, round(int(kv["spcent"]) / 10)))
    return wire_op("watermark", **params)


def _encode_watermark(rule: RuleBuilder, op: Op, ctx: RuleContext) -> None:
    rule.raw(watermark_rule(op, ctx.bucket, ctx.region))


def _encode_blind(rule: RuleBuilder, op: Op, ctx: RuleContext) -> None:
    # The blind watermark is the chain's last step and stays last in the rule: the emulator, like
    # the chain rules, reads it as the end; output settings go to the processor before it.
    rule.raw(blind_watermark_rule(op), last=True)


def _encode_extract(rule: RuleBuilder, op: Op, ctx: RuleContext) -> None:
    rule.raw(_EXTRACT_RULE, last=True)


# The watermark entries of the rule table (mediaproc.ops.cos.image_rules.IMAGE_RULES): each
# ``watermark/<type>`` processor is read back by the entry that writes it.
WATERMARK_RULES: Mapping[str, RuleCodec] = {
    "watermark": RuleCodec(_encode_watermark, ("watermark/1", "watermark/2"), _watermark_back, checks=WATERMARK_CHECKS),
    "blindwatermark-embed": RuleCodec(_encode_blind, ("watermark/3",), _blind_back, checks=EMBED_CHECKS),
    "blindwatermark-extract": RuleCodec(_encode_extract, ("watermark/4",), _blind_back, checks=EXTRACT_CHECKS),
}
