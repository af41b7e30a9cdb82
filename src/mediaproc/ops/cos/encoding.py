"""The Tencent COS / Cloud Infinite (CI) encoding of a chain, and its inverse for the emulator.

Pure: no I/O, no SDK. The COS provider, ``--dry-run`` and ``mediaproc serve``'s COS front all read
this module, so what is shown is what is sent, and what the emulator understands is exactly what
the provider sends.

Requests (SPEC.md §6):

- sync image processing: the rule is a query *key* with an empty value
  (``GET /<key>?imageMogr2/thumbnail/600x>``); saving: ``POST /<key>?image_process`` or
  ``PUT /<key>`` (process on upload) with the ``Pic-Operations`` header (:func:`pic_operations`);
- metadata: ``?imageInfo`` (+ ``?exif``) and ``?imageAve``, normalised to the OSS JSON shapes
  (:func:`info_from_ci`);
- media: ``POST /jobs`` with a ``<Request>`` body (:func:`media_job_request`, :func:`job_xml`), or
  the sync ``ci-process=snapshot`` / ``ci-process=videoinfo`` calls (:func:`snapshot_params`,
  :func:`mediainfo_to_oss`).

Rule spellings and where they were checked (searched 2026-11-21): Cloud Infinite API pages
"Scaling" (tencentcloud.com/document/api/436/36366, product/1045/33713: ``!<p>p``, ``<W>x``,
``<W>x<H>>`` "scale down ... if both are greater ... not scaled", ``!<W>x<H>r`` "minimum width and
height", ``<W>x<H>!``, ``/pad/1/color/<b64>``), "Cropping" (``cut/<w>x<h>x<dx>x<dy>``,
``crop/<W>x<H>/gravity/<g>``, ``iradius``, ``rradius``, ``scrop``), "Rotation" (``rotate``,
``auto-orient``, ``flip/vertical|horizontal``), "Quality Change" (``quality`` = min of source and
given, ``rquality`` relative, ``lquality``), "Format Conversion" (``format``, ``interlace/0|1``),
"Gaussian Blurring" (``blur/<r>x<s>``, r 1-50), "Sharpening" ("an integer in the range of 10 to
300"), "Brightness"/"Contrast" (-100..100), "Text Watermarking" (``text font fontsize fill dissolve
gravity dx dy batch degree shadow``; CI defaults dissolve 90, fill #3D3D3D, fontsize 13, degree
only with batch), "Image Watermarking" (``image`` = base64 of an ``http://`` COS URL in the same
bucket, ``scatype``/``spcent`` per mille, ``batch``), "Obtaining Basic Image Information"
(product/1045/33722: ``format width height size md5 frame_count photo_rgb``), persistent
processing (``Pic-Operations``: at most five rules, ``fileid`` with ``/`` from the root); media
(CreateMediaJobs 436/54013 with ``Transcode/Container/Video/Audio/TimeInterval``, Snapshot jobs
436/54005 with ``Output/Object`` and ``SpriteObject`` holding ``${Number}``,
``SpriteSnapshotConfig{CellWidth CellHeight Padding Margin Color Columns Lines}``, get_snapshot
436/55671, videoinfo 436/55672, pm3u8 436/63740, cancel 436/85082). Most pages were read in the
docs' source repository (tencentyun/qcloud-documents); the SDK (cos-python-sdk-v5 1.9.44) was read
for the request shapes. Unverified and marked where used: the ``Wx>`` one-side spelling (common in
public code, not in the table), AdjDarMethod values for OSS ``scaletype``, ``${Number}`` numbering
(the emulator starts at 0).

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
watermark text         ``watermark/2/text/<b64>/font/<b64>/fontsize/<n>/fill/<b64 #RRGGBB>/
                       dissolve/<t>/gravity/<full>/dx/<x>/dy/<y>`` (+ ``batch/1``, ``degree``,
                       ``shadow``)
watermark image        ``watermark/1/image/<b64 http://<bucket>.cos.<region>.myqcloud.com/<key>>/...``
crop g=auto            ``ci-process=AIImageCrop&width=<w>&height=<h>&fixed=1`` (alone: not an
                       ``imageMogr2`` processor, so it cannot share a request with other operations)
crop g=face            ``imageMogr2/scrop/<w>x<h>`` (face smart crop; w and h required, no ``p``)
blindwatermark-embed   ``watermark/3/type/3/text/<b64>/level/<1|2|3>/version/3.0`` (text blind
                       watermark; ``s`` low/medium/high -> level 1/2/3; no ``q``)
blindwatermark-extract ``watermark/4/type/3/version/3.0`` in ``Pic-Operations`` only (PUT or
                       ``POST ?image_process``); the extracted text is stored at ``fileid``
info / average-hue     ``imageInfo`` (+ ``exif``) / ``imageAve``
faces bodies codes     ``ci-process=DetectFace`` / ``AIBodyRecognition`` / ``QRcode&cover=0`` /
score cars labels      ``AssessQuality`` / ``DetectCar`` / ``detect-label`` (answers normalised to IMM JSON)
=====================  ===========================================================================

Consecutive ``imageMogr2`` operations share one processor (``imageMogr2/cut/.../rotate/90``), in
chain order; a watermark, or a parameter that repeats, starts a new processor; processors are
joined with ``|``. Output settings (format, quality, interlace) go to the last ``imageMogr2``
processor, because every processor re-encodes and only the last encoding is kept. CI's defaults
differ from OSS's (text watermark: CI dissolve 90, dx/dy 0, fill #3D3D3D, fontsize 13; OSS t=100,
x=y=10, 000000, size 40), so the OSS defaults are written out explicitly: the same chain looks the
same on both clouds. The font size is passed through unchanged (CI calls it points; OSS pixels).

Operations without a Cloud Infinite equivalent are refused before any request
(:class:`~mediaproc.errors.UnsupportedOperation`, exit 2), naming what to use instead.

Smart crop, face crop and blind watermarks (searched 2026-11-21):

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

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote, unquote, urlsplit
from xml.etree import ElementTree as ET

from mediaproc.errors import InvalidOperation, UnsupportedOperation
from mediaproc.i18n import _
from mediaproc.ops.b64 import b64decode, b64encode
from mediaproc.ops.catalog import get_spec
from mediaproc.ops.model import Chain, Family, Op
from mediaproc.ops.validate import make_chain, make_op
from mediaproc.ops.values import coerce

__all__ = [
    "AI_PROCESS",
    "GRAVITY_FULL",
    "JOB_STATES",
    "MAX_RULES",
    "CosJobSpec",
    "ai_params",
    "ai_to_oss",
    "ave_from_ci",
    "blind_watermark_rule",
    "check_chain",
    "cos_host",
    "cos_url",
    "dict_to_xml",
    "extract_rule",
    "image_rule",
    "info_from_ci",
    "job_xml",
    "media_job_request",
    "mediainfo_to_oss",
    "oss_to_ai",
    "oss_to_ci_info",
    "oss_to_mediainfo",
    "parse_job_request",
    "parse_job_xml",
    "parse_pic_operations",
    "parse_rule",
    "parse_snapshot_params",
    "parse_xml_document",
    "pic_operations",
    "request_kind",
    "rule_params",
    "smart_crop_rule",
    "snapshot_params",
]

MAX_RULES = 5  # Pic-Operations: "up to five rules are supported"
AI_IMAGE_CROP = "AIImageCrop"
# Text blind watermark (type 3), version 3.0: any UTF-8 text, at most 256 characters, level 0-3.
BWM_PREFIX = "watermark/3/"
BWM_VERSION = "3.0"
BWM_MAX_CHARS = 256
BWM_LEVELS: Mapping[str, str] = {"low": "1", "medium": "2", "high": "3"}
_BWM_STRENGTHS = {"0": "low", "1": "low", "2": "medium", "3": "high"}
REGION_PLACEHOLDER = "<region>"
BUCKET_PLACEHOLDER = "<bucket>"
TEMP_KEY_PLACEHOLDER = ".mediaproc-tmp/<uuid>/{name}"

GRAVITY_FULL: Mapping[str, str] = {
    "nw": "northwest",
    "north": "north",
    "ne": "northeast",
    "west": "west",
    "center": "center",
    "east": "east",
    "sw": "southwest",
    "south": "south",
    "se": "southeast",
}
_GRAVITY_SHORT = {v: k for k, v in GRAVITY_FULL.items()}

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

# OSS watermark defaults (SPEC.md §2), written out because CI's differ.
WM_DEFAULTS = {"g": "se", "x": 10, "y": 10, "t": 100, "size": 40, "color": "000000"}

# sharpen: OSS 50-399, CI 10-300 ("an integer in the range of 10 to 300 (70 is recommended)").
_SHARPEN_OSS = (50, 399)
_SHARPEN_COS = (10, 300)

# Media job states (CreateMediaJobs / DescribeMediaJob: Submitted, Running, Success, Failed, Pause,
# Cancel) -> mediaproc.jobs.JobState values. Kept as strings: ops/ imports nothing heavy.
JOB_STATES: Mapping[str, str] = {
    "Submitted": "queued",
    "Running": "running",
    "Success": "succeeded",
    "Failed": "failed",
    "Pause": "queued",
    "Cancel": "cancelled",
}

VCODECS: Mapping[str, str] = {"h264": "H.264", "h265": "H.265", "vp9": "VP9", "copy": "copy"}
ACODECS: Mapping[str, str] = {
    "aac": "aac",
    "mp3": "mp3",
    "flac": "flac",
    "vorbis": "Vorbis",
    "ac3": "ac3",
    "opus": "opus",
    "pcm": "pcm_s16le",
    "amr": "amr",
    "copy": "copy",
}
CONTAINERS: Mapping[str, str] = {
    "mp4": "mp4",
    "mkv": "mkv",
    "mov": "mov",
    "avi": "avi",
    "ts": "ts",
    "flv": "flv",
    "webm": "webm",
    "mp3": "mp3",
    "aac": "aac",
    "flac": "flac",
    "oga": "ogg",
    "opus": "opus",
    "amr": "amr",
}
AUDIO_CONTAINERS = frozenset({"mp3", "aac", "flac", "ogg", "opus", "amr"})
# OSS scaletype -> CI TransConfig/AdjDarMethod (scale, crop, pad, none). Unverified beyond the
# names: CI documents the values, not their exact geometry.
SCALETYPES: Mapping[str, str] = {"crop": "crop", "stretch": "scale", "fill": "pad", "fit": "none"}
SNAPSHOT_MODES: Mapping[str, str] = {"inter": "Interval", "key": "KeyFrame", "avg": "Average"}


# ------------------------------------------------------------------------------------------------
# small helpers


def _refuse(op_name: str, what: str, hint: str) -> UnsupportedOperation:
    return UnsupportedOperation(
        _("{op}: {what} has no Cloud Infinite equivalent").format(op=op_name, what=what),
        hint=hint,
        details={"operation": op_name, "provider": "cos"},
    )


def _refuse_params(op: Op, keys: Iterable[str], hint: str | None = None) -> None:
    given = [k for k in keys if k in op.params]
    if given:
        raise _refuse(
            op.name,
            _("{keys}").format(keys=", ".join(f"{k}={op.params[k]}" for k in given)),
            hint or _("remove {keys}, or use --provider oss or local").format(keys=", ".join(given)),
        )


def _secs(ms: int | float) -> str:
    """Milliseconds -> CI seconds, shortest exact spelling (1500 -> "1.5", 2000 -> "2")."""
    text = f"{ms / 1000:.3f}".rstrip("0").rstrip(".")
    return text or "0"


def _ms(seconds: str | float | None) -> int | None:
    if seconds is None or seconds == "":
        return None
    return round(float(seconds) * 1000)


def _kbps(bps: int) -> str:
    """OSS bits/s -> CI kbit/s, exact (CI bitrates are kbps, decimals allowed)."""
    return _secs(bps)  # same arithmetic: /1000, shortest exact decimal


def _bps(kbps: str | float | None) -> int | None:
    if kbps is None or kbps == "":
        return None
    return round(float(kbps) * 1000)


def b64color(rrggbb: str) -> str:
    return b64encode("#" + rrggbb.upper())


def color_from_b64(value: str) -> str:
    text = b64decode(value).strip().lstrip("#")
    if not re.fullmatch(r"[0-9a-fA-F]{6}", text):
        raise InvalidOperation(
            _("colour {value!r} is not base64 of #RRGGBB").format(value=value),
            hint=_("encode the colour as URL-safe base64 of #RRGGBB"),
        )
    return text.upper()


def sharpen_to_cos(v: int) -> int:
    lo, hi = _SHARPEN_OSS
    clo, chi = _SHARPEN_COS
    return round(clo + (v - lo) * (chi - clo) / (hi - lo))


def sharpen_from_cos(v: int) -> int:
    lo, hi = _SHARPEN_OSS
    clo, chi = _SHARPEN_COS
    return max(lo, min(hi, round(lo + (v - clo) * (hi - lo) / (chi - clo))))


def cos_host(bucket: str, region: str | None) -> str:
    """The virtual-host name COS answers on (the SDK sends it as Host even to an IP endpoint)."""
    return f"{bucket}.cos.{region or REGION_PLACEHOLDER}.myqcloud.com"


def cos_url(bucket: str, region: str | None, key: str) -> str:
    """``http://<bucket>.cos.<region>.myqcloud.com/<key>``: the form CI wants for watermark images
    and concat fragments ("must start with http://", "must contain a COS domain name")."""
    return f"http://{cos_host(bucket, region)}/{quote(key, safe='/-_.~')}"


def key_from_url(url: str) -> tuple[str | None, str]:
    """(bucket, key) of a COS object URL; bucket None when the host is not a COS host."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    m = re.match(r"^([a-z0-9-]+)\.(?:cos|ci|pic)\.[^.]+\.myqcloud\.com$", host)
    return (m.group(1) if m else None), unquote(parts.path.lstrip("/"))


def _op(name: str, **raw: Any) -> Op:
    """A validated Op from wire values (strings or ints), range-checked like user input."""
    spec = get_spec(name)
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if value is None:
            continue
        param = spec.param(key)
        if param is None:  # pragma: no cover - a bug in this module, not user input
            raise InvalidOperation(f"{name}: no parameter {key}")
        params[param.key] = coerce(spec, param, str(value))
    return make_op(spec, params)


# ------------------------------------------------------------------------------------------------
# image rules


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
            raise _refuse(op.name, _("l together with s"), _("give only l (long side) or only s (short side)"))
        if long_side is not None:
            return [("thumbnail", f"{long_side}x{long_side}{shrink}")]
        return [("thumbnail", f"!{short_side}x{short_side}r")]
    if mode == "fixed":
        if w is None or h is None:
            raise _refuse(op.name, _("mode=fixed with one side"), _("give both w and h (CI's WxH! needs both)"))
        return [("thumbnail", f"{w}x{h}!")]
    if w is None or h is None:
        if mode in ("fill", "pad"):
            raise _refuse(op.name, _("mode={mode} with one side").format(mode=mode), _("give both w and h"))
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
        raise _refuse(
            op.name,
            _("g={g} without both w and h").format(g=op.params.get("g")),
            _("give w and h ({what} needs the target size)").format(what=what),
        )
    if op.params.get("x") or op.params.get("y"):
        raise _refuse(
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
        raise _refuse(op.name, "g=auto", _("run crop g=auto alone"))
    if g == "face":
        _refuse_params(
            op, ("p",), _("CI's scrop has no zoom around the face; remove p, or use --provider oss or local")
        )
        w, h = _need_size(op, "scrop")
        rule.mogr(("scrop", f"{w}x{h}"))
        return
    w, h, x, y = p.get("w"), p.get("h"), p.get("x", 0), p.get("y", 0)
    if x or y:
        if g != "nw":
            raise _refuse(
                op.name,
                _("g={g} with x/y offsets").format(g=g),
                _("use g=nw with x/y (CI cut), or drop x/y"),
            )
        if w is None or h is None:
            raise _refuse(op.name, _("x/y offsets without both w and h"), _("give w and h with x/y"))
        rule.mogr(("cut", f"{w}x{h}x{x}x{y}"))
        return
    if w is None and h is None:
        return  # the whole image: nothing to do
    size = f"{w}x{h}" if w is not None and h is not None else (f"{w}x" if h is None else f"x{h}")
    rule.mogr(("crop", size), ("gravity", GRAVITY_FULL[g]))


def _watermark(op: Op, bucket: str | None, region: str | None) -> str:
    p = op.params
    if "text" in p and "image" in p:
        raise _refuse(
            op.name,
            _("text and image in one watermark"),
            _("use two watermark operations (one text, one image) on COS"),
        )
    _refuse_params(op, ("voffset",), _("CI places watermarks by gravity, dx and dy only; remove voffset"))
    _refuse_params(op, ("padx", "pady"), _("CI tiles with a spacing in percent; remove padx/pady"))
    _refuse_params(op, ("rw", "rh", "aw", "ah", "preprocess"), _("scale the watermark with P, or use --provider oss"))
    if "rotate" in p and not p.get("fill"):
        raise _refuse(op.name, _("rotate without fill=1"), _("CI rotates only tiled watermarks; add fill=1"))
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
        raise _refuse(
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


def image_rule(ops: Iterable[Op], *, bucket: str | None = None, region: str | None = None) -> str:
    """The CI rule for a chain of basic image operations (see the module table).

    ``bucket``/``region`` are the source's: an image watermark must live in the same bucket, and CI
    wants its full ``http://`` URL.
    """
    ops = list(ops)
    smart = next((op for op in ops if op.name == "crop" and op.params.get("g") == "auto"), None)
    if smart is not None:
        if len(ops) > 1:
            raise _refuse(
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
                raise _refuse(name, f"format {target}", _("choose one of: {names}").format(names=", ".join(FORMATS)))
            output["format"] = ("format", FORMATS[target])
        elif name == "interlace":
            output["interlace"] = ("interlace", str(int(p["mode"])))
        elif name == "watermark":
            rule.raw(_watermark(op, bucket, region))
        elif name == "blur":
            if "g" in p:
                raise _refuse(
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
            raise _refuse(name, _("the operation"), _hint_for(name))
    rule.output = list(output.values())
    return rule.render()


def blind_watermark_rule(op: Op) -> str:
    """blindwatermark-embed -> ``watermark/3/type/3/text/<b64>/level/<n>/version/3.0``."""
    _refuse_params(
        op, ("q",), _("CI's blind watermark has no output quality; remove q (a quality op before it sets the input's)")
    )
    content = str(op.params["content"])
    if len(content) > BWM_MAX_CHARS:
        raise _refuse(
            op.name,
            _("content of {n} characters").format(n=len(content)),
            _("CI's text blind watermark holds at most {n} characters").format(n=BWM_MAX_CHARS),
        )
    level = BWM_LEVELS[str(op.params.get("s", "low"))]
    return f"{BWM_PREFIX}type/3/text/{b64encode(content)}/level/{level}/version/{BWM_VERSION}"


def extract_rule(op: Op) -> str:
    """blindwatermark-extract -> ``watermark/4/type/3/version/3.0`` (a Pic-Operations rule).

    CI reads the level from the image and has no ``model``: both parameters are refused rather than
    dropped, so a command that depends on them never silently means something else."""
    _refuse_params(op, ("s",), _("CI's extraction (watermark/4) needs no strength; remove s"))
    _refuse_params(op, ("model",), _("CI has one text blind watermark algorithm; remove model, or use --provider oss"))
    return f"watermark/4/type/3/version/{BWM_VERSION}"


def rule_params(rule: str) -> dict[str, str]:
    """The query parameters that carry a rule on a GET or a signed URL: a processing rule is one
    key with an empty value; a ``ci-process=...&k=v`` rule (AIImageCrop) is its own parameters."""
    if rule.startswith("ci-process="):
        from urllib.parse import parse_qsl

        return dict(parse_qsl(rule, keep_blank_values=True))
    return {rule: ""}


def _hint_for(name: str) -> str:
    if name == "indexcrop":
        return _("CI has no indexed slice; use crop with x/y (cut) per strip, or --provider oss/local")
    return _("use --provider oss or --provider local for {name}").format(name=name)


def rule_warnings(ops: Iterable[Op]) -> list[str]:
    """Where the COS result can differ from OSS's although the request is valid."""
    out: list[str] = []
    for op in ops:
        p = op.params
        if op.name == "resize" and int(p.get("limit", 1)) == 1:
            mode = p.get("mode", "lfit")
            cover = mode in ("mfit", "fill") and "w" in p and "h" in p
            short = "s" in p and "w" not in p and "h" not in p
            if cover or short:
                out.append(
                    _(
                        "resize {what} on COS (thumbnail/!WxHr) may enlarge a smaller source; OSS limit_1 keeps it"
                    ).format(what=f"mode={mode}" if cover else "s")
                )
        if op.name == "watermark" and "P" in p:
            out.append(_("watermark P is sent as CI scatype=1 (scale by the base image's width)"))
        if op.name == "crop" and p.get("g") == "face":
            out.append(_("crop g=face is sent as CI scrop (face smart crop), which may scale before cutting w x h"))
        if op.name == "crop" and p.get("g") == "auto":
            out.append(_("crop g=auto is sent as CI AIImageCrop: Cloud Infinite's model picks the region"))
    return out


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
        return _op("resize", p=m.group("p"))
    if m.group("mw"):
        mw, mh = m.group("mw"), m.group("mh")
        if mw == mh:
            return _op("resize", s=mw, limit=0)
        return _op("resize", mode="mfit", w=mw, h=mh, limit=0)
    w, h, flag = m.group("w"), m.group("h"), m.group("flag")
    limit = 1 if flag == ">" else 0
    if flag == "!":
        return _op("resize", mode="fixed", w=w, h=h, limit=0)
    if pad == "1":
        return _op("resize", mode="pad", w=w, h=h, limit=limit, color=color_from_b64(color) if color else None)
    return _op("resize", w=w, h=h, limit=limit)


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
            ops.append(_op("auto-orient", v=1))
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
            gravity = _GRAVITY_SHORT.get((g or "northwest").lower())
            if gravity is None:
                raise InvalidOperation(_("unknown gravity {g!r}").format(g=g), hint=_("northwest .. southeast"))
            ops.append(_op("crop", w=m.group(1), h=m.group(2), g=gravity))
        elif name == "gravity":
            pending_gravity = v
        elif name == "scrop":
            m = re.fullmatch(r"(\d+)x(\d+)", v)
            if not m:
                raise InvalidOperation(_("unsupported scrop geometry {v!r}").format(v=v), hint=_("use scrop/<W>x<H>"))
            ops.append(_op("crop", w=m.group(1), h=m.group(2), g="face"))
        elif name == "cut":
            m = re.fullmatch(r"(\d+)x(\d+)x(\d+)x(\d+)", v)
            if not m:
                raise InvalidOperation(_("unsupported cut geometry {v!r}").format(v=v), hint=_("use WxHxXxY"))
            w, h, x, y = m.groups()
            ops.append(_op("crop", w=w, h=h, x=x, y=y))
        elif name == "iradius":
            ops.append(_op("circle", r=v))
        elif name == "rradius":
            ops.append(_op("rounded-corners", r=v))
        elif name == "rotate":
            ops.append(_op("rotate", angle=v))
        elif name == "flip":
            if v not in ("vertical", "horizontal"):
                raise InvalidOperation(_("flip/{v} is not vertical or horizontal").format(v=v), hint=_("flip/vertical"))
            ops.append(_op("flip", v=0 if v == "vertical" else 1))
        elif name == "blur":
            m = re.fullmatch(r"(\d+)x(\d+)", v)
            if not m:
                raise InvalidOperation(_("unsupported blur {v!r}").format(v=v), hint=_("use blur/<radius>x<sigma>"))
            ops.append(_op("blur", r=m.group(1), s=m.group(2)))
        elif name == "sharpen":
            ops.append(_op("sharpen", v=sharpen_from_cos(int(v))))
        elif name in ("bright", "contrast"):
            ops.append(_op(name, v=v))
        elif name == "quality":
            ops.append(_op("quality", Q=v.rstrip("!")))
        elif name == "rquality":
            ops.append(_op("quality", q=v))
        elif name == "format":
            target = _FORMATS_BACK.get(v.lower())
            if target is None:
                raise InvalidOperation(_("unsupported format {v!r}").format(v=v), hint=", ".join(FORMATS.values()))
            ops.append(_op("format", target=target))
        elif name == "interlace":
            ops.append(_op("interlace", mode=v))
        else:
            raise InvalidOperation(
                _("unsupported imageMogr2 parameter {name!r}").format(name=name),
                hint=_("the emulator understands what mediaproc sends; see mediaproc.ops.cos.encoding"),
            )
    return ops


def _parse_blind(kind: str, kv: Mapping[str, str]) -> Op:
    """watermark/3 (embed) and watermark/4 (extract) of the text type; image types 1 and 2 need a
    watermark image mediaproc never sends, and are refused."""
    if kv.get("type") != "3":
        raise InvalidOperation(
            _("blind watermark type {t!r} is not supported").format(t=kv.get("type", "")),
            hint=_("mediaproc reads the text blind watermark: watermark/{kind}/type/3/...").format(kind=kind),
        )
    if kind == "4":
        return _op("blindwatermark-extract")
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
    return _op("blindwatermark-embed", content=text, s=_BWM_STRENGTHS[level])


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
    return [_op("crop", g="auto", w=w, h=h)]


def _parse_watermark(tokens: list[str]) -> Op:
    if len(tokens) < 2 or tokens[1] not in ("1", "2", "3", "4"):
        raise InvalidOperation(
            _("unsupported watermark type {t!r}").format(t=tokens[1] if len(tokens) > 1 else ""),
            hint=_("watermark/1 (image), watermark/2 (text), watermark/3 and /4 (blind watermark)"),
        )
    kv: dict[str, str] = {}
    rest = tokens[2:]
    if len(rest) % 2:
        raise InvalidOperation(_("watermark parameters come in name/value pairs"), hint=_("e.g. gravity/southeast"))
    for k, v in zip(rest[::2], rest[1::2], strict=True):
        kv[k] = v
    if tokens[1] in ("3", "4"):
        return _parse_blind(tokens[1], kv)
    params: dict[str, Any] = {}
    g = _GRAVITY_SHORT.get(kv.get("gravity", "southeast").lower())
    if g is None:
        raise InvalidOperation(_("unknown gravity {g!r}").format(g=kv.get("gravity")), hint=_("northwest .. southeast"))
    params["g"] = g
    params["x"] = kv.get("dx", "0")
    params["y"] = kv.get("dy", "0")
    params["t"] = kv.get("dissolve", "90")
    if kv.get("batch") == "1":
        params["fill"] = 1
        if "degree" in kv:
            params["rotate"] = kv["degree"]
    if tokens[1] == "2":
        params["text"] = b64decode(kv.get("text", ""))
        if "font" in kv:
            font = b64decode(kv["font"])
            params["type"] = re.sub(r"\.(ttf|otf|ttc|dfont)$", "", font, flags=re.IGNORECASE)
        params["size"] = kv.get("fontsize", "13")
        params["color"] = color_from_b64(kv["fill"]) if "fill" in kv else "3D3D3D"
        if "shadow" in kv:
            params["shadow"] = kv["shadow"]
    else:
        url = b64decode(kv.get("image", ""))
        _bucket, key = key_from_url(url)
        if not key:
            raise InvalidOperation(
                _("watermark image URL {url!r} names no object").format(url=url), hint=_("use a COS URL")
            )
        params["image"] = key
        if kv.get("scatype") == "1" and "spcent" in kv:
            params["P"] = max(1, min(100, round(int(kv["spcent"]) / 10)))
    return _op("watermark", **params)


def parse_rule(rule: str) -> list[Op]:
    """A CI rule (what :func:`image_rule` writes, or the same hand-written) -> validated Ops."""
    if rule.strip().startswith("ci-process"):
        return list(make_chain(_parse_ci_process(rule.strip())))
    ops: list[Op] = []
    for proc in _split_rule(rule):
        head = proc[0]
        if head == "imageMogr2":
            ops.extend(_parse_mogr(proc[1:]))
        elif head == "watermark":
            ops.append(_parse_watermark(proc))
        elif head in ("imageInfo", "imageAve", "exif"):
            raise InvalidOperation(
                _("{name} cannot be part of a processing rule").format(name=head), hint=_("request it alone")
            )
        else:
            raise InvalidOperation(
                _("unsupported processor {name!r}").format(name=head),
                hint=_("the emulator understands imageMogr2, watermark/1-4 and ci-process=AIImageCrop"),
            )
    if not ops:
        raise InvalidOperation(_("empty rule"), hint=_("e.g. imageMogr2/thumbnail/600x>"))
    return list(make_chain(ops))


def is_rule(text: str) -> bool:
    """Whether a query key is an image processing rule."""
    return text.split("/", 1)[0] in ("imageMogr2", "watermark") or text.startswith("imageMogr2")


# -- Pic-Operations -----------------------------------------------------------------------------


def pic_operations(rules: Sequence[Mapping[str, str]], *, is_pic_info: bool = True) -> str:
    """The ``Pic-Operations`` header: ``{"is_pic_info":1,"rules":[{"fileid":..,"rule":..}]}``.

    ``fileid`` starting with ``/`` is from the bucket root, otherwise relative to the source's
    folder; an optional ``bucket`` saves into another bucket. At most five rules.
    """
    if not rules:
        raise InvalidOperation(_("Pic-Operations needs at least one rule"), hint=_("add --rule"))
    if len(rules) > MAX_RULES:
        raise InvalidOperation(
            _("{n} rules given; Pic-Operations takes at most {max}").format(n=len(rules), max=MAX_RULES),
            hint=_("split the rules over several requests"),
        )
    out = []
    for r in rules:
        item = {"fileid": r["fileid"], "rule": r["rule"]}
        if r.get("bucket"):
            item["bucket"] = r["bucket"]
        out.append(item)
    return json.dumps({"is_pic_info": 1 if is_pic_info else 0, "rules": out}, ensure_ascii=False, separators=(",", ":"))


def parse_pic_operations(header: str) -> tuple[bool, list[dict[str, str]]]:
    try:
        data = json.loads(header)
        rules = data.get("rules") or []
        parsed = [
            {
                "fileid": str(r["fileid"]),
                "rule": str(r["rule"]),
                **({"bucket": str(r["bucket"])} if r.get("bucket") else {}),
            }
            for r in rules
        ]
    except (ValueError, TypeError, KeyError, AttributeError):
        raise InvalidOperation(
            _("Pic-Operations is not valid JSON with rules[{fileid, rule}]"), hint=_("see the COS docs")
        ) from None
    if len(parsed) > MAX_RULES:
        raise InvalidOperation(
            _("{n} rules given; Pic-Operations takes at most {max}").format(n=len(parsed), max=MAX_RULES),
            hint=_("split the rules over several requests"),
        )
    return bool(int(data.get("is_pic_info", 0) or 0)), parsed


def fileid_key(source_key: str, fileid: str) -> str:
    """Where a rule's result is stored: ``/a/b.jpg`` from the root, ``b.jpg`` beside the source."""
    if fileid.startswith("/"):
        return fileid.lstrip("/")
    parent = str(PurePosixPath(source_key).parent)
    return fileid if parent in ("", ".") else f"{parent}/{fileid}"


def fileid_for(source_key: str, dest_key: str) -> str:
    """The ``fileid`` that stores at ``dest_key`` (always absolute: no surprise about folders)."""
    return "/" + dest_key.lstrip("/")


# ------------------------------------------------------------------------------------------------
# image metadata


def info_from_ci(info: Mapping[str, Any], exif: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``?imageInfo`` (+ ``?exif``) JSON -> the OSS ``image/info`` shape (values wrapped, sorted)."""
    fmt = str(info.get("format", "")).lower()
    fmt = {"jpeg": "jpg"}.get(fmt, fmt)
    out: dict[str, Any] = {
        "FileSize": {"value": str(info.get("size", ""))},
        "Format": {"value": fmt},
        "ImageHeight": {"value": str(info.get("height", ""))},
        "ImageWidth": {"value": str(info.get("width", ""))},
    }
    for name, entry in (exif or {}).items():
        value = entry.get("val", entry.get("value")) if isinstance(entry, Mapping) else entry
        if value is not None and name not in out:
            out[name] = {"value": str(value)}
    return dict(sorted(out.items()))


def oss_to_ci_info(oss_info: Mapping[str, Any], *, md5: str, hue: str | None) -> tuple[dict[str, str], dict[str, Any]]:
    """The inverse, for the emulator: (imageInfo JSON, exif JSON) from the engine's OSS shape."""

    def val(name: str) -> str:
        entry = oss_info.get(name)
        return str(entry.get("value", "")) if isinstance(entry, Mapping) else ""

    fmt = val("Format")
    info = {
        "format": {"jpg": "jpeg"}.get(fmt, fmt),
        "width": val("ImageWidth"),
        "height": val("ImageHeight"),
        "size": val("FileSize"),
        "md5": md5,
        "frame_count": "1",
    }
    if hue:
        info["photo_rgb"] = hue
    basic = {"FileSize", "Format", "ImageHeight", "ImageWidth"}
    exif = {
        k: {"val": str(v.get("value", "")), "type": 2}
        for k, v in oss_info.items()
        if k not in basic and isinstance(v, Mapping)
    }
    return info, exif


def ave_from_ci(data: Mapping[str, Any]) -> dict[str, str]:
    """``?imageAve`` -> ``{"RGB": "0x5c783b"}`` (CI spells it the same; normalise the case)."""
    rgb = str(data.get("RGB", data.get("rgb", "")))
    return {"RGB": "0x" + rgb[2:].lower() if rgb.lower().startswith("0x") else rgb}


# ------------------------------------------------------------------------------------------------
# media


def _video_node(op: Op) -> dict[str, Any]:
    p = op.params
    video: dict[str, Any] = {}
    if "vcodec" in p:
        video["Codec"] = VCODECS[p["vcodec"]]
    if "s" in p:
        video["Width"], video["Height"] = str(p["s"][0]), str(p["s"][1])
    if p.get("fps"):
        video["Fps"] = str(p["fps"])
    if "vb" in p:
        video["Bitrate"] = _kbps(int(p["vb"]))
    if "crf" in p:
        video["Crf"] = str(p["crf"])
    if "pixfmt" in p:
        video["Pixfmt"] = p["pixfmt"]
    if "maxrate" in p:
        video["Maxrate"] = _kbps(int(p["maxrate"]))
    if "bufsize" in p:
        video["Bufsize"] = _kbps(int(p["bufsize"]))
    if p.get("vn"):
        video["Remove"] = "true"
    return video


def _audio_node(op: Op) -> dict[str, Any]:
    p = op.params
    audio: dict[str, Any] = {}
    if "acodec" in p:
        audio["Codec"] = ACODECS[p["acodec"]]
    if "ar" in p:
        audio["Samplerate"] = str(p["ar"])
    if "ab" in p:
        audio["Bitrate"] = _kbps(int(p["ab"]))
    if "ac" in p:
        audio["Channels"] = str(p["ac"])
    if p.get("an"):
        audio["Remove"] = "true"
    return audio


def _time_interval(op: Op) -> dict[str, str]:
    p = op.params
    out: dict[str, str] = {}
    if p.get("ss"):
        out["Start"] = _secs(int(p["ss"]))
    if p.get("t"):
        out["Duration"] = _secs(int(p["t"]))
    return out


def _container(op: Op) -> dict[str, str]:
    f = op.params["f"]
    if f not in CONTAINERS:
        raise _refuse(op.name, f"f={f}", _("choose one of: {names}").format(names=", ".join(CONTAINERS)))
    return {"Format": CONTAINERS[f]}


_TRANSCODE_REFUSED = ("videoslim", "sn", "fpsopt", "sopt", "vbopt", "abopt", "aq", "adepth")


def _transcode(op: Op) -> dict[str, Any]:
    p = op.params
    _refuse_params(op, _TRANSCODE_REFUSED)
    if p.get("arotate", 1) == 0:
        raise _refuse(op.name, "arotate=0", _("remove arotate (CI always honours rotation metadata)"))
    body: dict[str, Any] = {}
    if op.name == "hls/m3u8":
        body["Container"] = {"Format": "hls", "ClipConfig": {"Duration": _secs(int(p.get("st", 10_000)))}}
    else:
        body["Container"] = _container(op)
    is_audio = op.name == "audio/convert" or body["Container"]["Format"] in AUDIO_CONTAINERS
    if not is_audio:
        video = _video_node(op)
        if "Codec" not in video and not p.get("vn"):
            video = {"Codec": "copy" if op.name == "video/convert" else "H.264", **video}
        body["Video"] = video
    audio = _audio_node(op)
    if audio:
        body["Audio"] = audio
    ti = _time_interval(op)
    if ti:
        body["TimeInterval"] = ti
    if "scaletype" in p:
        body["TransConfig"] = {"AdjDarMethod": SCALETYPES[p["scaletype"]]}
    return body


def _snapshot_node(op: Op, *, sprite: bool) -> dict[str, Any]:
    p = op.params
    m = p.get("m", "inter")
    if m not in SNAPSHOT_MODES:
        raise _refuse(op.name, f"m={m}", _("use m=inter, key or avg (CI modes Interval, KeyFrame, Average)"))
    _refuse_params(op, ("thr",))
    snap: dict[str, Any] = {"Mode": SNAPSHOT_MODES[m]}
    if p.get("ss"):
        snap["Start"] = _secs(int(p["ss"]))
    if "inter" in p:
        snap["TimeInterval"] = _secs(int(p["inter"]))
    if "num" in p:
        snap["Count"] = str(p["num"])
    snap["Format"] = p.get("f", "jpg")
    if sprite:
        _refuse_params(op, ("psw", "psh", "scaletype"))
        cfg: dict[str, str] = {}
        if "sw" in p:
            cfg["CellWidth"] = str(p["sw"])
        if "sh" in p:
            cfg["CellHeight"] = str(p["sh"])
        cfg["Padding"] = str(p.get("pad", 2))
        cfg["Margin"] = str(p.get("margin", 2))
        cfg["Color"] = "Black"
        cfg["Columns"] = str(p.get("tw", 6))
        cfg["Lines"] = str(p.get("th", 6))
        snap["SnapshotOutMode"] = "OnlySprite"
        snap["SpriteSnapshotConfig"] = cfg
    else:
        _refuse_params(op, ("pw", "ph", "scaletype"))
        if "w" in p:
            snap["Width"] = str(p["w"])
        if "h" in p:
            snap["Height"] = str(p["h"])
        snap["SnapshotOutMode"] = "OnlySnapshot"
    return snap


def _animation(op: Op) -> dict[str, Any]:
    p = op.params
    _refuse_params(op, ("num", "scaletype"), _("use inter (the interval between frames) instead of num on COS"))
    video: dict[str, Any] = {"Codec": p["f"]}
    if "w" in p:
        video["Width"] = str(p["w"])
    if "h" in p:
        video["Height"] = str(p["h"])
    if p.get("fps"):
        video["Fps"] = str(p["fps"])
    if "inter" in p:
        video["AnimateTimeIntervalOfFrame"] = _secs(int(p["inter"]))
    body: dict[str, Any] = {"Container": {"Format": p["f"]}, "Video": video}
    ti = _time_interval(op)
    if ti:
        body["TimeInterval"] = ti
    return body


def _numbered(key: str, fmt: str) -> str:
    """``out/frame`` -> ``out/frame-${Number}.jpg`` (CI: multiple outputs need ``${Number}``)."""
    stem = key[: -len(PurePosixPath(key).suffix)] if PurePosixPath(key).suffix else key
    return f"{stem}-${{Number}}.{fmt}"


@dataclass(frozen=True)
class ConcatRef:
    """One extra concat input as COS wants it: an object of the same bucket."""

    key: str
    position: str = "sur"  # "pre" -> CI Mode Start, "sur" -> Mode End
    ss: int | None = None
    t: int | None = None


def media_job_request(
    op: Op,
    *,
    input_key: str,
    bucket: str,
    region: str | None,
    output_key: str,
    output_bucket: str | None = None,
    inputs: Sequence[ConcatRef] = (),
) -> dict[str, Any]:
    """The ``<Request>`` of ``POST /jobs`` for one async media operation, as a nested dict.

    Tags: video/convert, audio/convert, hls/m3u8 -> ``Transcode`` (hls: container ``hls`` with
    ``ClipConfig/Duration`` = segment length); video/snapshots -> ``Snapshot``; video/sprite ->
    ``Snapshot`` with ``SnapshotOutMode=OnlySprite`` and ``SpriteSnapshotConfig``; video/animation ->
    ``Animation``; video/concat, audio/concat -> ``Concat`` (``ConcatTemplate/ConcatFragment`` with
    ``Mode`` Start for inputs before the source and End after it). Times are seconds, bitrates kbps.
    """
    name = op.name
    output: dict[str, str] = {"Region": region or REGION_PLACEHOLDER, "Bucket": output_bucket or bucket}
    operation: dict[str, Any] = {}
    if name in ("video/convert", "audio/convert", "hls/m3u8"):
        tag = "Transcode"
        operation["Transcode"] = _transcode(op)
        output["Object"] = output_key
    elif name == "video/snapshots":
        tag = "Snapshot"
        operation["Snapshot"] = _snapshot_node(op, sprite=False)
        output["Object"] = _numbered(output_key, op.params.get("f", "jpg"))
    elif name == "video/sprite":
        tag = "Snapshot"
        operation["Snapshot"] = _snapshot_node(op, sprite=True)
        fmt = op.params.get("f", "jpg")
        output["Object"] = _numbered(output_key + "-frame", fmt)
        output["SpriteObject"] = _numbered(output_key, fmt)
    elif name == "video/animation":
        tag = "Animation"
        operation["Animation"] = _animation(op)
        output["Object"] = output_key
    elif name in ("video/concat", "audio/concat"):
        tag = "Concat"
        operation["ConcatTemplate"] = _concat(op, inputs, bucket, region)
        output["Object"] = output_key
    else:
        raise _refuse(name, _("the operation"), _hint_for(name))
    operation["Output"] = output
    return {"Tag": tag, "Input": {"Object": input_key}, "Operation": operation}


def _concat(op: Op, inputs: Sequence[ConcatRef], bucket: str, region: str | None) -> dict[str, Any]:
    _refuse_params(op, ("align", "scaletype", "pixfmt", "vbopt", "abopt", "aq", "adepth"))
    fragments = []
    for ref in inputs:
        frag: dict[str, str] = {
            "Url": cos_url(bucket, region, ref.key),
            "Mode": "Start" if ref.position == "pre" else "End",
        }
        if ref.ss:
            frag["StartTime"] = _secs(ref.ss)
        if ref.t:
            frag["EndTime"] = _secs((ref.ss or 0) + ref.t)
        fragments.append(frag)
    body: dict[str, Any] = {"ConcatFragment": fragments, "Container": _container(op)}
    audio = _audio_node(op)
    if audio:
        body["Audio"] = audio
    if op.name == "video/concat":
        body["Video"] = _video_node(op)
    return body


def snapshot_params(op: Op) -> dict[str, str]:
    """``GET /<key>?ci-process=snapshot&time=..`` query for video/snapshot (the SDK's get_snapshot:
    time in seconds, width, height, format jpg|png, rotate auto|off, mode exactframe|keyframe)."""
    p = op.params
    if p.get("ar") in ("h", "w"):
        raise _refuse(op.name, f"ar={p['ar']}", _("use ar=auto or no ar on COS"))
    out = {"ci-process": "snapshot", "time": _secs(int(p["t"]))}
    if p.get("w"):
        out["width"] = str(p["w"])
    if p.get("h"):
        out["height"] = str(p["h"])
    out["format"] = p.get("f", "jpg")
    out["rotate"] = "auto" if p.get("ar") == "auto" else "off"
    out["mode"] = "keyframe" if p.get("m") == "fast" else "exactframe"
    return out


def parse_snapshot_params(query: Mapping[str, str]) -> Op:
    """The inverse of :func:`snapshot_params` (the emulator)."""
    rotate = query.get("rotate", "auto")
    return _op(
        "video/snapshot",
        t=_ms(query.get("time", "0")),
        w=query.get("width") or None,
        h=query.get("height") or None,
        f=query.get("format", "jpg"),
        ar="auto" if rotate == "auto" else None,
        m="fast" if query.get("mode") == "keyframe" else None,
    )


# -- job XML -------------------------------------------------------------------------------------


def _to_element(parent: ET.Element, name: str, value: Any) -> None:
    if isinstance(value, list):
        for item in value:
            _to_element(parent, name, item)
        return
    child = ET.SubElement(parent, name)
    if isinstance(value, Mapping):
        for k, v in value.items():
            _to_element(child, k, v)
    elif value is not None:
        child.text = str(value)


def dict_to_xml(root_name: str, data: Mapping[str, Any], *, declaration: bool = True) -> str:
    """Nested dict -> XML (lists become repeated elements), as xmltodict.unparse writes it."""
    root = ET.Element(root_name)
    for k, v in data.items():
        _to_element(root, k, v)
    text = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + text) if declaration else text


def job_xml(request: Mapping[str, Any]) -> str:
    """The ``POST /jobs`` body, as the SDK's ``format_xml`` (xmltodict.unparse) writes it."""
    return dict_to_xml("Request", request)


def _from_element(el: ET.Element) -> Any:
    children = list(el)
    if not children:
        return el.text or ""
    out: dict[str, Any] = {}
    for c in children:
        value = _from_element(c)
        if c.tag in out:
            prev = out[c.tag]
            out[c.tag] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            out[c.tag] = value
    return out


def parse_xml_document(body: bytes | str, root_name: str | None) -> dict[str, Any]:
    """An XML document -> nested dict (repeated elements become lists). Untrusted input: parsed
    with defusedxml (no entities, no external references)."""
    from defusedxml import ElementTree as DET

    try:
        root = DET.fromstring(body)
    except Exception:
        raise InvalidOperation(
            _("the request body is not well-formed XML"), hint=_("send <{root}>...</{root}>").format(root=root_name)
        ) from None
    if root_name is not None and root.tag != root_name:
        raise InvalidOperation(
            _("the body's root is <{tag}>, not <{root}>").format(tag=root.tag, root=root_name),
            hint=_("send <{root}>...</{root}>").format(root=root_name),
        )
    data = _from_element(root)
    return data if isinstance(data, dict) else {}


def parse_job_xml(body: bytes | str) -> dict[str, Any]:
    """A ``POST /jobs`` ``<Request>`` body -> nested dict."""
    return parse_xml_document(body, "Request")


@dataclass(frozen=True)
class CosJobSpec:
    """What the emulator needs to run a submitted job."""

    tag: str
    op: Op
    input_key: str
    output_bucket: str
    output_region: str
    output_key: str  # may hold ${Number}
    sprite_key: str | None = None
    inputs: tuple[ConcatRef, ...] = ()


def _get(d: Mapping[str, Any], *path: str) -> Any:
    cur: Any = d
    for p in path:
        if not isinstance(cur, Mapping) or p not in cur:
            return None
        cur = cur[p]
    return cur


def _back(mapping: Mapping[str, str], value: Any) -> str | None:
    if value in (None, ""):
        return None
    for k, v in mapping.items():
        if v.lower() == str(value).lower():
            return k
    raise InvalidOperation(_("unsupported value {v!r}").format(v=value), hint=", ".join(mapping.values()))


def parse_job_request(req: Mapping[str, Any]) -> CosJobSpec:
    """The inverse of :func:`media_job_request` (the emulator): the request dict -> an Op."""
    tag = str(req.get("Tag", ""))
    input_key = _get(req, "Input", "Object")
    output = _get(req, "Operation", "Output") or {}
    if not input_key or not isinstance(output, Mapping) or not output.get("Object"):
        raise InvalidOperation(
            _("the job needs Input/Object and Operation/Output/Object"), hint=_("see CreateMediaJobs")
        )
    operation = req.get("Operation") or {}
    inputs: tuple[ConcatRef, ...] = ()
    if tag == "Transcode":
        op = _transcode_back(_get(operation, "Transcode") or {})
    elif tag == "Snapshot":
        op = _snapshot_back(_get(operation, "Snapshot") or {})
    elif tag == "Animation":
        op = _animation_back(_get(operation, "Animation") or {})
    elif tag == "Concat":
        op, inputs = _concat_back(_get(operation, "ConcatTemplate") or {})
    else:
        raise UnsupportedOperation(
            _("job tag {tag!r} is not supported by the emulator").format(tag=tag),
            hint=_("Transcode, Snapshot, Animation or Concat"),
        )
    return CosJobSpec(
        tag=tag,
        op=op,
        input_key=str(input_key),
        output_bucket=str(output.get("Bucket", "")),
        output_region=str(output.get("Region", "")),
        output_key=str(output["Object"]),
        sprite_key=str(output["SpriteObject"]) if output.get("SpriteObject") else None,
        inputs=inputs,
    )


def _time_back(ti: Any) -> dict[str, Any]:
    ti = ti if isinstance(ti, Mapping) else {}
    return {"ss": _ms(ti.get("Start")), "t": _ms(ti.get("Duration"))}


def _media_params_back(video: Mapping[str, Any], audio: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if video:
        codec = video.get("Codec")
        out["vcodec"] = _back(VCODECS, codec) if codec else None
        if video.get("Width") and video.get("Height"):
            out["s"] = f"{video['Width']}x{video['Height']}"
        out["fps"] = video.get("Fps") or None
        out["vb"] = _bps(video.get("Bitrate"))
        out["crf"] = video.get("Crf") or None
        out["pixfmt"] = video.get("Pixfmt") or None
        if str(video.get("Remove", "")).lower() == "true":
            out["vn"] = 1
    if audio:
        out["acodec"] = _back(ACODECS, audio.get("Codec")) if audio.get("Codec") else None
        out["ar"] = audio.get("Samplerate") or None
        out["ab"] = _bps(audio.get("Bitrate"))
        out["ac"] = audio.get("Channels") or None
        if str(audio.get("Remove", "")).lower() == "true":
            out["an"] = 1
    return out


def _transcode_back(body: Mapping[str, Any]) -> Op:
    container = body.get("Container") or {}
    fmt = str(container.get("Format", "")).lower()
    video = body.get("Video") if isinstance(body.get("Video"), Mapping) else {}
    audio = body.get("Audio") if isinstance(body.get("Audio"), Mapping) else {}
    params = _media_params_back(video, audio) | _time_back(body.get("TimeInterval"))
    adj = _get(body, "TransConfig", "AdjDarMethod")
    if adj:
        params["scaletype"] = _back(SCALETYPES, adj)
    if fmt == "hls":
        params["st"] = _ms(_get(container, "ClipConfig", "Duration"))
        if params.get("vcodec") == "copy":
            params["vcodec"] = None
        params.pop("vn", None)
        params.pop("pixfmt", None)
        return _op("hls/m3u8", **params)
    f = _back(CONTAINERS, fmt)
    if fmt in AUDIO_CONTAINERS and not video:
        keep = {k: params.get(k) for k in ("ss", "t", "ar", "ac", "ab")}
        return _op("audio/convert", f=f, **keep)
    return _op("video/convert", f=f, **params)


def _snapshot_back(body: Mapping[str, Any]) -> Op:
    mode = _back(SNAPSHOT_MODES, body.get("Mode") or "Interval")
    common = {
        "f": body.get("Format") or "jpg",
        "ss": _ms(body.get("Start")),
        "m": mode if mode != "inter" else None,
        "num": body.get("Count") or None,
        "inter": _ms(body.get("TimeInterval")) or None,
    }
    if str(body.get("SnapshotOutMode", "OnlySnapshot")) == "OnlySprite":
        cfg = body.get("SpriteSnapshotConfig") or {}
        return _op(
            "video/sprite",
            **common,
            sw=cfg.get("CellWidth") or None,
            sh=cfg.get("CellHeight") or None,
            pad=cfg.get("Padding") or None,
            margin=cfg.get("Margin") or None,
            tw=cfg.get("Columns") or None,
            th=cfg.get("Lines") or None,
        )
    return _op("video/snapshots", **common, w=body.get("Width") or None, h=body.get("Height") or None)


def _animation_back(body: Mapping[str, Any]) -> Op:
    video = body.get("Video") or {}
    fmt = str(_get(body, "Container", "Format") or video.get("Codec") or "gif").lower()
    return _op(
        "video/animation",
        f=fmt,
        w=video.get("Width") or None,
        h=video.get("Height") or None,
        fps=video.get("Fps") or None,
        inter=_ms(video.get("AnimateTimeIntervalOfFrame")) or None,
        **_time_back(body.get("TimeInterval")),
    )


def _concat_back(body: Mapping[str, Any]) -> tuple[Op, tuple[ConcatRef, ...]]:
    frags = body.get("ConcatFragment") or []
    if isinstance(frags, Mapping):
        frags = [frags]
    refs = []
    for frag in frags:
        _bucket, key = key_from_url(str(frag.get("Url", "")))
        start, end = _ms(frag.get("StartTime")), _ms(frag.get("EndTime"))
        refs.append(
            ConcatRef(
                key=key,
                position="pre" if str(frag.get("Mode", "End")) == "Start" else "sur",
                ss=start,
                t=(end - (start or 0)) if end is not None else None,
            )
        )
    fmt = str(_get(body, "Container", "Format") or "").lower()
    video = body.get("Video") if isinstance(body.get("Video"), Mapping) else {}
    audio = body.get("Audio") if isinstance(body.get("Audio"), Mapping) else {}
    params = _media_params_back(video, audio)
    f = _back(CONTAINERS, fmt)
    if fmt in AUDIO_CONTAINERS and not video:
        keep = {k: params.get(k) for k in ("ar", "ac", "ab")}
        return _op("audio/concat", f=f, **keep), tuple(refs)
    params.pop("pixfmt", None)
    return _op("video/concat", f=f, **params), tuple(refs)


# -- videoinfo -----------------------------------------------------------------------------------


def mediainfo_to_oss(media_info: Mapping[str, Any], *, kind: str = "video") -> dict[str, Any]:
    """CI ``ci-process=videoinfo`` ``MediaInfo`` -> the OSS ``video/info``/``audio/info`` shape.

    CI (GenerateMediaInfo): ``Format{NumStream, FormatName, FormatLongName, StartTime, Duration,
    Bitrate (kbps), Size}``, ``Stream{Video[{Index, CodecName, CodecLongName, Profile, Width,
    Height, PixFormat, Fps, Duration, Bitrate, NumFrames, Rotation}], Audio[{Index, CodecName,
    CodecLongName, SampleFmt, SampleRate, Channel, ChannelLayout, Duration, Bitrate}]}``.
    """
    fmt = media_info.get("Format") or {}
    stream = media_info.get("Stream") or {}

    def lst(v: Any) -> list[Mapping[str, Any]]:
        if not v:
            return []
        return [x for x in (v if isinstance(v, list) else [v]) if isinstance(x, Mapping)]

    def bits(v: Any) -> str:
        b = _bps(v) if v not in (None, "") else None
        return "" if b is None else str(b)

    out_fmt = {
        "Duration": str(fmt.get("Duration", "")),
        "Size": str(fmt.get("Size", "")),
        "FormatName": str(fmt.get("FormatName", "")),
        "FormatLongName": str(fmt.get("FormatLongName", "")),
        "Bitrate": bits(fmt.get("Bitrate")),
        "StartTime": str(fmt.get("StartTime", "")),
        "NumberOfStreams": str(fmt.get("NumStream", "")),
    }
    videos = []
    for v in lst(stream.get("Video")):
        entry = {
            "Index": str(v.get("Index", "")),
            "CodecName": str(v.get("CodecName", "")),
            "CodecLongName": str(v.get("CodecLongName", "")),
            "Profile": str(v.get("Profile", "")),
            "Width": str(v.get("Width", "")),
            "Height": str(v.get("Height", "")),
            "FrameRate": str(v.get("Fps", "")),
            "BitRate": bits(v.get("Bitrate")),
            "PixelFormat": str(v.get("PixFormat", "")),
            "Duration": str(v.get("Duration", "")),
            "FrameCount": str(v.get("NumFrames", "")),
        }
        if v.get("Rotation") not in (None, "", "0"):
            entry["Rotate"] = str(v["Rotation"])
        videos.append(entry)
    audios = [
        {
            "Index": str(a.get("Index", "")),
            "CodecName": str(a.get("CodecName", "")),
            "CodecLongName": str(a.get("CodecLongName", "")),
            "SampleRate": str(a.get("SampleRate", "")),
            "Channels": str(a.get("Channel", "")),
            "ChannelLayout": str(a.get("ChannelLayout", "")),
            "SampleFormat": str(a.get("SampleFmt", "")),
            "BitRate": bits(a.get("Bitrate")),
            "Duration": str(a.get("Duration", "")),
        }
        for a in lst(stream.get("Audio"))
    ]
    streams: dict[str, Any] = {}
    if kind != "audio":
        streams["VideoStream"] = videos
    streams["AudioStream"] = audios
    return {"Format": out_fmt, "Streams": streams}


def oss_to_mediainfo(info: Mapping[str, Any]) -> dict[str, Any]:
    """The inverse, for the emulator: the engine's OSS-shaped probe -> CI ``MediaInfo``."""
    fmt = info.get("Format") or {}
    streams = info.get("Streams") or {}

    def kb(v: Any) -> str:
        return _kbps(int(v)) if str(v or "").isdigit() else ""

    video = []
    for v in streams.get("VideoStream") or []:
        entry = {
            "Index": v.get("Index", ""),
            "CodecName": v.get("CodecName", ""),
            "CodecLongName": v.get("CodecLongName", ""),
            "Profile": v.get("Profile", ""),
            "Width": v.get("Width", ""),
            "Height": v.get("Height", ""),
            "PixFormat": v.get("PixelFormat", ""),
            "Fps": v.get("FrameRate", ""),
            "Duration": v.get("Duration", ""),
            "Bitrate": kb(v.get("BitRate")),
            "NumFrames": v.get("FrameCount", ""),
            "Rotation": v.get("Rotate", "0"),
        }
        video.append(entry)
    audio = [
        {
            "Index": a.get("Index", ""),
            "CodecName": a.get("CodecName", ""),
            "CodecLongName": a.get("CodecLongName", ""),
            "SampleFmt": a.get("SampleFormat", ""),
            "SampleRate": a.get("SampleRate", ""),
            "Channel": a.get("Channels", ""),
            "ChannelLayout": a.get("ChannelLayout", ""),
            "Duration": a.get("Duration", ""),
            "Bitrate": kb(a.get("BitRate")),
        }
        for a in streams.get("AudioStream") or []
    ]
    stream: dict[str, Any] = {}
    if video:
        stream["Video"] = video
    if audio:
        stream["Audio"] = audio
    return {
        "Stream": stream,
        "Format": {
            "NumStream": fmt.get("NumberOfStreams", ""),
            "NumProgram": "0",
            "FormatName": fmt.get("FormatName", ""),
            "FormatLongName": fmt.get("FormatLongName", ""),
            "StartTime": fmt.get("StartTime", ""),
            "Duration": fmt.get("Duration", ""),
            "Bitrate": kb(fmt.get("Bitrate")),
            "Size": fmt.get("Size", ""),
        },
    }


# ------------------------------------------------------------------------------------------------
# what a chain becomes, and dry-run


def request_kind(chain: Chain) -> str:
    """``rule`` (image chain), ``info``, ``ave``, ``ai`` (detection), ``extract`` (blind watermark,
    through Pic-Operations), ``snapshot``, ``videoinfo`` or ``job``."""
    op = chain[-1]
    if op.name in AI_PROCESS:
        return "ai"
    if op.name == "blindwatermark-extract":
        return "extract"
    if op.name == "info":
        return "info"
    if op.name == "average-hue":
        return "ave"
    if op.name == "video/snapshot":
        return "snapshot"
    if op.name in ("video/info", "audio/info"):
        return "videoinfo"
    if op.spec.family.is_media:
        return "job"
    return "rule"


# ------------------------------------------------------------------------------------------------
# detection (sync ci-process calls), normalised to the IMM shapes the oss and local providers return

AI_PROCESS: Mapping[str, str] = {
    "faces": "DetectFace",
    "bodies": "AIBodyRecognition",
    "cars": "DetectCar",
    "codes": "QRcode",
    "labels": "detect-label",
    "score": "AssessQuality",
}


def ai_params(op: Op) -> dict[str, str]:
    """``GET /<key>?ci-process=<name>`` (cos-go-sdk-v5 ``ci.go``: DetectFace ``max-face-num``,
    QRcode ``cover=0`` = do not cover the codes, AssessQuality, DetectCar, detect-label,
    AIBodyRecognition)."""
    params = {"ci-process": AI_PROCESS[op.name]}
    if op.name == "codes":
        params["cover"] = "0"
    return params


def _items(value: Any) -> list[Mapping[str, Any]]:
    if not value:
        return []
    seq = value if isinstance(value, list) else [value]
    return [v for v in seq if isinstance(v, Mapping)]


def _box_of_points(points: Any) -> dict[str, int]:
    xs, ys = [], []
    for p in points if isinstance(points, list) else [points]:
        try:
            x, y = (round(float(v)) for v in str(p).split(","))
        except ValueError:
            continue
        xs.append(x)
        ys.append(y)
    if not xs:
        return {"Left": 0, "Top": 0, "Width": 0, "Height": 0}
    return {"Left": min(xs), "Top": min(ys), "Width": max(xs) - min(xs), "Height": max(ys) - min(ys)}


def _points_of_box(box: Mapping[str, Any]) -> list[str]:
    left, top = int(box.get("Left", 0)), int(box.get("Top", 0))
    right, bottom = left + int(box.get("Width", 0)), top + int(box.get("Height", 0))
    return [f"{left},{top}", f"{right},{top}", f"{right},{bottom}", f"{left},{bottom}"]


def _num(value: Any, default: float = 0.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def ai_to_oss(name: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """A CI detection answer (the XML root's children) -> the IMM-shaped JSON of the OSS provider.

    faces: ``FaceInfos{X,Y,Width,Height}`` -> ``Faces[{FigureType, Boundary}]`` (CI gives no
    confidence); bodies: ``PedestrianInfo{Name, Score 0-100, Location/Point "x,y"}`` ->
    ``Bodies[{Confidence 0-1, Boundary}]``; codes: ``QRcodeInfo{CodeUrl, CodeLocation/Point}`` ->
    ``Codes[{Type, Content, Boundary}]``; score: ``AestheticScore``/``ClarityScore`` (0-100) ->
    ``ImageScore{OverallQualityScore 0-1}``; labels: ``Labels{Name, Confidence}`` ->
    ``Labels[{LabelName, LabelConfidence}]``; cars: ``CarTags`` -> ``Cars[{CarType, CarColor,
    Confidence, Boundary, LicensePlates[{Content, Boundary}]}]``.

    Checked against cos-go-sdk-v5 ``ci.go`` (DetectFaceResult, ImageQualityResult, DetectCarResult,
    PicTagResult); the QRcode and AIBodyRecognition shapes follow the CI API pages from memory of
    their field names and are *unverified*.
    """
    if name == "faces":
        faces = []
        for f in _items(data.get("FaceInfos")):
            box = {
                k: int(_num(f.get(s)))
                for k, s in (("Left", "X"), ("Top", "Y"), ("Width", "Width"), ("Height", "Height"))
            }
            faces.append({"FigureType": "face", "Boundary": box})
        faces.sort(key=lambda f: -f["Boundary"]["Width"] * f["Boundary"]["Height"])
        return {"Faces": faces}
    if name == "bodies":
        return {
            "Bodies": [
                {
                    "Confidence": round(_num(b.get("Score")) / 100, 4),
                    "Boundary": _box_of_points((b.get("Location") or {}).get("Point")),
                }
                for b in _items(data.get("PedestrianInfo"))
            ]
        }
    if name == "codes":
        codes = [
            {
                "Type": "qrcode",
                "Content": str(c.get("CodeUrl", "")),
                "Boundary": _box_of_points((c.get("CodeLocation") or {}).get("Point")),
            }
            for c in _items(data.get("QRcodeInfo"))
        ]
        codes.sort(key=lambda c: (c["Boundary"]["Top"], c["Boundary"]["Left"]))
        return {"Codes": codes}
    if name == "score":
        aesthetic = _num(data.get("AestheticScore"))
        out: dict[str, Any] = {"ImageScore": {"OverallQualityScore": round(aesthetic / 100, 3)}}
        if data.get("ClarityScore") not in (None, ""):
            out["ClarityScore"] = round(_num(data.get("ClarityScore")) / 100, 3)
        return out
    if name == "labels":
        return {
            "Labels": [
                {"LabelName": str(lb.get("Name", "")), "LabelConfidence": round(_num(lb.get("Confidence")) / 100, 4)}
                for lb in _items(data.get("Labels"))
            ]
        }
    cars = []
    for c in _items(data.get("CarTags")):
        plates = [
            {"Content": str(p.get("Plate", "")), "Boundary": _box_of_points(p.get("PlateLocation"))}
            for p in _items(c.get("PlateContent"))
        ]
        cars.append(
            {
                "CarType": str(c.get("Type", "")),
                "CarColor": str(c.get("Color", "")),
                "Confidence": round(_num(c.get("Confidence")) / 100, 4),
                "Boundary": _box_of_points([f"{p.get('X')},{p.get('Y')}" for p in _items(c.get("CarLocation"))]),
                "LicensePlates": plates,
            }
        )
    return {"Cars": cars}


def oss_to_ai(name: str, imm: Mapping[str, Any], *, width: int = 0, height: int = 0) -> tuple[str, dict[str, Any]]:
    """The inverse, for the emulator: (XML root name, body) from the local engine's IMM shape."""
    if name == "faces":
        infos = [
            {"X": b["Left"], "Y": b["Top"], "Width": b["Width"], "Height": b["Height"]}
            for b in (f.get("Boundary", {}) for f in imm.get("Faces", []))
        ]
        return "Response", {"ImageWidth": width, "ImageHeight": height, "FaceModelVersion": "3.0", "FaceInfos": infos}
    if name == "bodies":
        people = [
            {
                "Name": "person",
                "Score": round(_num(b.get("Confidence")) * 100),
                "Location": {"Point": _points_of_box(b.get("Boundary", {}))},
            }
            for b in imm.get("Bodies", [])
        ]
        return "RecognitionResult", {"Status": 1 if people else 0, "PedestrianInfo": people}
    if name == "codes":
        codes = [
            {"CodeUrl": c.get("Content", ""), "CodeLocation": {"Point": _points_of_box(c.get("Boundary", {}))}}
            for c in imm.get("Codes", [])
        ]
        return "Response", {"CodeStatus": 1 if codes else 0, "QRcodeInfo": codes}
    if name == "score":
        overall = _num((imm.get("ImageScore") or {}).get("OverallQualityScore"))
        return "Response", {
            "LongImage": "false",
            "BlackAndWhite": "false",
            "SmallImage": "false",
            "BigImage": "false",
            "PureImage": "false",
            "ClarityScore": round(overall * 100),
            "AestheticScore": round(overall * 100),
        }
    raise UnsupportedOperation(
        _("{name} has no local model").format(name=name), hint=_("use a real Cloud Infinite bucket")
    )


def check_chain(chain: Chain, *, bucket: str | None = None, region: str | None = None) -> list[str]:
    """Refuse (UnsupportedOperation, exit 2) what COS cannot run, before any request; return the
    warnings of what runs but may differ from OSS. Encoding is the check: whatever the encoders
    refuse is refused here, so the dry-run and the provider can never disagree."""
    kind = request_kind(chain)
    if kind == "ai":
        return []
    if kind == "extract":
        extract_rule(chain[-1])
        return []
    mapped = ("blindwatermark-embed",)
    if any(op.spec.family is Family.AI and op.name not in mapped for op in chain):
        name = next(op.name for op in chain if op.spec.family is Family.AI and op.name not in mapped)
        raise _refuse(
            name,
            _("the operation"),
            _("mediaproc maps {name} for oss and local only; use --provider oss or local").format(name=name),
        )
    if kind == "rule":
        image_rule(chain.ops, bucket=bucket, region=region)
        return rule_warnings(chain.ops)
    op = chain[-1]
    if kind == "snapshot":
        snapshot_params(op)
    elif kind == "job":
        media_job_request(op, input_key="k", bucket=bucket or BUCKET_PLACEHOLDER, region=region, output_key="o")
        if op.name == "hls/m3u8":
            ignored = [k for k in ("ta", "initd") if k in op.params]
            if ignored:
                return [
                    _("{keys} only matter for OSS's transcode-while-playing; the COS job ignores them").format(
                        keys=", ".join(ignored)
                    )
                ]
    return []
