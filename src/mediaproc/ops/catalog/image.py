"""Basic image operations (OSS ``image/<name>``, chain freely).

Sources: OSS image-processing docs (help.aliyun.com/zh/oss/user-guide/…: resize, crop, indexcrop,
rotate, quality, format, interlace, watermark, blur, sharpen, bright, contrast, auto-orient,
circle, rounded-corners) and SPEC.md §2, which corrects the reference skill's tables:

- ``quality``: ``q`` is relative, ``Q`` absolute; both accepted, ``Q`` wins (a warning, not an error).
- ``watermark``: tiling is ``fill`` (+ ``padx``/``pady``), ``P`` is the image watermark's size in
  percent of the base image, ``shadow`` is an int 0-100, plus ``rotate``, ``voffset``, ``order``,
  ``align``, ``interval``; OSS defaults g=se, t=100, x=10, y=10, size=40, color=000000,
  font wqy-zenhei.
- ``rotate``: ``angle`` with alias ``degree`` (both at once is an error, raised by the parser).
- ``indexcrop``: exactly one of ``x``/``y``.
- ``crop`` ``p`` only with ``g=face``; ``blur`` ``p`` only with ``g=face|faces``.
- ``resize``: ``w``/``h``/``l``/``s`` 1-16384, ``p`` 1-1000.

``flip``: OSS documents ``image/flip,<value>`` (help.aliyun.com/zh/oss/flip-image,
alibabacloud.com/help/en/oss/user-guide/flip-image: "?x-oss-process=image/flip,0"), a positional
value; the reference skill's table gives its meaning, 0 vertical, 1 horizontal, 2 both. An older
note here said OSS had no flip because the "Image processing overview" table omits it: that table is
not the whole list. COS spells it ``imageMogr2/flip/vertical|horizontal``.

Parameter order below is the order the OSS encoder emits (``image/resize,m_fill,w_400,h_300``).

``ec=``: the detail code OSS answers a value it refuses with (not a number, out of range), each from
its error page, help.aliyun.com/zh/oss/support/<EC> (the English copies are under
help.aliyun.com/en/oss/user-guide/<EC>): resize ``m`` 0040-00000311, ``w`` 312, ``l`` 314, ``s``
315, ``p`` 317, ``color`` 318 (six hex digits, as the watermark's), ``limit`` 319; crop ``w`` 225;
rotate 217; auto-orient 215; bright 246; sharpen 280; interlace 282; format 206; quality ``q`` 309,
``Q`` 308; blur ``r`` 241, ``s`` 242; circle ``r`` 233; rounded-corners ``r`` 237; watermark ``g``
260, ``t`` 263, ``x`` 262, ``y`` 264, ``voffset`` 268, ``pady`` 277, ``order`` 269, ``color`` 254
(six hex digits: "规范格式为6位"). A parameter without a known page answers no code (contrast ...;
resize ``h`` has a page, example ``resize,h_0``, whose number is unverified): none is invented.
``missing_ec``: a value left out, rotate 216, format 207, bright 245. A second value given to an
operation that takes one (``image/rotate,90,200``) is 0040-00000203, whose page names the
operations: :data:`ONE_VALUE_OPS`.
"""

from __future__ import annotations

from mediaproc import TYPE_CHECKING
from mediaproc.i18n import _
from mediaproc.limits import SHARED
from mediaproc.ops.catalog._build import (
    MAX_SIDE,
    Params,
    bool_,
    color,
    enum,
    gravity,
    int_,
    key_,
    only_with,
    sets,
    str_,
    text,
)
from mediaproc.ops.catalog.formats import FORMAT_ALIASES, IMAGE_FORMATS
from mediaproc.ops.model import Family, Mode, OpSpec, Param, Problem, Produces, ResultProperty, SizeEffect

if TYPE_CHECKING:
    from typing import Any

# OSS 0040-00000212: "图片处理算子未指定" (``image/`` and nothing after it).
NO_OPERATION_EC = "0040-00000212"
# OSS 0040-00000203: "在单个算子参数的图片处理算子中传入多个参数" and the operations that page lists.
ONE_VALUE_EC = "0040-00000203"
ONE_VALUE_OPS = frozenset({"auto-orient", "rotate", "bright", "sharpen", "interlace"})

# The fonts OSS draws text watermarks with, as ``type`` names them ("文字类型编码对应表",
# help.aliyun.com/document_detail/32240.html; the same table on the image/watermark page). OSS
# refuses another with 0040-00000251 (help.aliyun.com/zh/oss/support/0040-00000251); the local
# provider also takes a font file name (engine.image.fonts).
OSS_FONTS = (
    "wqy-zenhei",
    "wqy-microhei",
    "fangzhengshusong",
    "fangzhengkaiti",
    "fangzhengheiti",
    "fangzhengfangsong",
    "droidsansfallback",
)
FONT_EC = "0040-00000251"
# A watermark value that must be URL-safe base64 and is not: the font (0040-00000250) and the image
# key (0040-00000265), each from its page under help.aliyun.com/zh/oss/support/.
BASE64_EC = {("watermark", "type"): "0040-00000250", ("watermark", "image"): "0040-00000265"}

_TEXT = SHARED["text_bytes"]  # OSS 0040-00000259: the decoded text is at most 64 bytes
_SIZE = SHARED["text_size"]  # OSS 0040-00000256: size in (0, 1000]
LOCAL_OSS_COS = frozenset({"local", "oss", "cos"})


def _image(name: str, summary: str, *params: Param, **kw: Any) -> OpSpec:
    kw.setdefault("oss", name)
    return OpSpec(
        name=name,
        family=Family.IMAGE,
        mode=Mode.SYNC,
        produces=Produces.IMAGE,
        summary=summary,
        params=tuple(params),
        **kw,
    )


def _resize_color_needs_pad(params: Params) -> list[Problem]:
    if "color" in params and params.get("mode") != "pad":
        return [
            Problem(
                _("resize color only fills the padding of mode=pad"),
                hint=_("add mode=pad or remove color"),
                warning=True,
            )
        ]
    return []


RESIZE = _image(
    "resize",
    "Scale the image (fit, cover, fill, pad or exact size).",
    enum(
        "mode",
        "scaling mode: lfit (fit inside, default), mfit (cover), fill (cover+crop), pad, fixed",
        ("lfit", "mfit", "fill", "pad", "fixed"),
        oss="m",
        aliases=("m",),
        default="lfit",
        ec="0040-00000311",
    ),
    int_("w", "target width in px (1-16384)", 1, 16384, ec="0040-00000312"),
    int_("h", "target height in px (1-16384)", 1, 16384),
    int_("l", "target long side in px (1-16384)", 1, 16384, ec="0040-00000314"),
    int_("s", "target short side in px (1-16384)", 1, 16384, ec="0040-00000315"),
    int_("p", "scale by percent (1-1000; 50 = half, 200 = double)", 1, 1000, ec="0040-00000317"),
    bool_("limit", "1 (default): never enlarge with w/h/l/s; 0: allow enlarging", default=1, ec="0040-00000319"),
    color("color", "padding colour for mode=pad, RRGGBB (default FFFFFF)", default="FFFFFF", ec="0040-00000318"),
    one_of=(("w", "h", "l", "s", "p"),),
    checks=(_resize_color_needs_pad,),
    size_effect=SizeEffect.RESIZE,
)

CROP = _image(
    "crop",
    "Cut a region, anchored by gravity; g=auto is smart crop, g=face centres on a face.",
    int_("w", "crop width in px (default: to the right edge)", 1, MAX_SIDE, ec="0040-00000225"),
    int_("h", "crop height in px (default: to the bottom edge)", 1, MAX_SIDE),
    int_("x", "horizontal offset from the anchor in px (rightwards)", 0, MAX_SIDE),
    int_("y", "vertical offset from the anchor in px (downwards)", 0, MAX_SIDE),
    gravity(
        "anchor: nw (default), north, ne, west, center, east, sw, south, se; auto = smart; face",
        extra=("auto", "face"),
        default="nw",
    ),
    int_("p", "zoom around the face in percent (1-200); only with g=face", 1, 200),
    checks=(only_with("p", "g", ("face",)),),
    size_effect=SizeEffect.SIDES,
)

INDEXCROP = _image(
    "indexcrop",
    "Split into equal strips along x or y and keep strip number i.",
    int_("x", "strip width in px when splitting along x (give x or y)", 1, MAX_SIDE),
    int_("y", "strip height in px when splitting along y (give x or y)", 1, MAX_SIDE),
    int_("i", "index of the strip to keep, from 0 (past the last: the source image)", 0, MAX_SIDE, default=0),
    one_of=(("x", "y"),),
    exclusive=(("x", "y"),),
    backends=frozenset({"local", "oss"}),  # Cloud Infinite has no indexed slice
)

ROTATE = _image(
    "rotate",
    "Rotate clockwise by 0-360 degrees (other than right angles enlarges the canvas).",
    int_(
        "angle",
        "clockwise rotation in degrees (0-360)",
        0,
        360,
        aliases=("degree",),
        positional=True,
        required=True,
        ec="0040-00000217",
        missing_ec="0040-00000216",
    ),
    size_effect=SizeEffect.ROTATE,
)

FLIP = _image(
    "flip",
    "Mirror the image: v=0 vertical, 1 horizontal, 2 both.",
    int_("v", "0 = vertical (top-bottom), 1 = horizontal (left-right), 2 = both", 0, 2, positional=True, required=True),
    size_effect=SizeEffect.KEEPS,
)

QUALITY = _image(
    "quality",
    "JPEG/WebP quality: q relative to the source's quality, Q absolute (Q wins).",
    int_("q", "relative quality in percent of the source's own quality (1-100)", 1, 100, ec="0040-00000309"),
    int_("Q", "absolute quality (1-100), never above the source's quality", 1, 100, ec="0040-00000308"),
    one_of=(("q", "Q"),),
    size_effect=SizeEffect.KEEPS,
)

FORMAT = _image(
    "format",
    "Convert to another image format.",
    enum(
        "target",
        "output format: " + ", ".join(IMAGE_FORMATS) + " (jpeg = jpg)",
        IMAGE_FORMATS,
        FORMAT_ALIASES,
        positional=True,
        required=True,
        ec="0040-00000206",
        missing_ec="0040-00000207",
    ),
    size_effect=SizeEffect.KEEPS,
    sets=sets(target=ResultProperty("format")),
)

INTERLACE = _image(
    "interlace",
    "Progressive JPEG on (1) or off (0).",
    bool_(
        "mode", "1 = progressive (interlaced) JPEG, 0 = baseline", positional=True, required=True, ec="0040-00000282"
    ),
    size_effect=SizeEffect.KEEPS,
)


def _watermark_checks(params: Params) -> list[Problem]:
    problems: list[Problem] = []
    if "preprocess" in params and "image" not in params:
        problems.append(
            Problem(
                _("watermark preprocess applies to an image watermark"),
                hint=_("add image=KEY or remove preprocess"),
            )
        )
    mixed = [k for k in ("order", "align", "interval") if k in params]
    if mixed and not ("text" in params and "image" in params):
        problems.append(
            Problem(
                _("{keys} only matter for a text+image watermark").format(keys=", ".join(mixed)),
                hint=_("give both text= and image=, or remove them"),
                warning=True,
            )
        )
    if ("padx" in params or "pady" in params) and not params.get("fill"):
        problems.append(
            Problem(
                _("padx/pady only space tiled watermarks"),
                hint=_("add fill=1 or remove padx/pady"),
                warning=True,
            )
        )
    return problems


WATERMARK = _image(
    "watermark",
    "Overlay a text and/or image watermark.",
    text(
        "text",
        f"watermark text (plain, at most {_TEXT.value} bytes as UTF-8; base64-encoded on the wire)",
        max=_TEXT.value,
        ec=_TEXT.ec,
    ),
    key_(
        "image",
        "object key of the watermark image in the same bucket; may carry ?x-oss-process=image/...",
    ),
    str_("preprocess", "processing of the watermark image before use, ops joined by + (resize,P_30+rotate,90)"),
    text("type", "font name (default wqy-zenhei)", default="wqy-zenhei"),
    int_("size", "font size in px (1-1000, default 40)", 1, _SIZE.value, default=40, ec=_SIZE.ec),
    color("color", "text colour RRGGBB (default 000000)", default="000000", ec="0040-00000254"),
    int_("t", "opacity in percent (0-100, default 100 = opaque)", 0, 100, aliases=("opacity",), default=100,
         ec="0040-00000263"),
    gravity("position: nw, north, ne, west, center, east, sw, south, se (default se)", default="se",
            ec="0040-00000260"),
    int_("x", "horizontal margin in px (0-4096, default 10)", 0, 4096, default=10, ec="0040-00000262"),
    int_("y", "vertical margin in px (0-4096, default 10)", 0, 4096, default=10, ec="0040-00000264"),
    int_("voffset", "vertical offset from the centre line for west/center/east (-1000..1000)", -1000, 1000, default=0,
         ec="0040-00000268"),
    bool_("fill", "1 = tile the watermark over the whole image", aliases=("tile",), default=0),
    int_("padx", "horizontal spacing between tiles in px (0-4096)", 0, 4096),
    int_("pady", "vertical spacing between tiles in px (0-4096)", 0, 4096, ec="0040-00000277"),
    int_("shadow", "text shadow opacity in percent (0-100)", 0, 100),
    int_("rotate", "text rotation in degrees clockwise (0-360)", 0, 360),
    int_("P", "image watermark size in percent of the base image (1-100)", 1, 100),
    int_("order", "text+image order: 0 image first (default), 1 text first", 0, 1, ec="0040-00000269"),
    int_("align", "text+image alignment: 0 top, 1 middle, 2 bottom", 0, 2),
    int_("interval", "space between text and image in px (0-1000)", 0, 1000),
    int_("rw", "image watermark width in percent of its own width (1-1000)", 1, 1000),
    int_("rh", "image watermark height in percent of its own height (1-1000)", 1, 1000),
    int_("aw", "image watermark width in px", 1, 4096),
    int_("ah", "image watermark height in px", 1, 4096),
    one_of=(("text", "image"),),
    checks=(_watermark_checks,),
    size_effect=SizeEffect.KEEPS,
)

BLUR = _image(
    "blur",
    "Gaussian blur of the whole image, or of faces with g=face|faces.",
    int_("r", "blur radius (1-50)", 1, 50, required=True, ec="0040-00000241"),
    int_("s", "standard deviation (1-50)", 1, 50, required=True, ec="0040-00000242"),
    enum("g", "blur only faces: face (largest) or faces (all)", ("face", "faces")),
    int_("p", "grow the face region in percent (1-200); only with g=face|faces", 1, 200),
    checks=(only_with("p", "g", ("face", "faces")),),
    size_effect=SizeEffect.KEEPS,
)

SHARPEN = _image(
    "sharpen",
    "Sharpen (50-399; around 100 is a good start).",
    int_("v", "sharpening amount (50-399)", 50, 399, positional=True, required=True, ec="0040-00000280"),
    size_effect=SizeEffect.KEEPS,
)

BRIGHT = _image(
    "bright",
    "Brightness (-100..100).",
    int_(
        "v",
        "brightness change (-100 darker .. 100 brighter)",
        -100,
        100,
        positional=True,
        required=True,
        ec="0040-00000246",
        missing_ec="0040-00000245",
    ),
    size_effect=SizeEffect.KEEPS,
)

CONTRAST = _image(
    "contrast",
    "Contrast (-100..100).",
    int_("v", "contrast change (-100 flatter .. 100 stronger)", -100, 100, positional=True, required=True),
    size_effect=SizeEffect.KEEPS,
)

AUTO_ORIENT = _image(
    "auto-orient",
    "Apply the EXIF orientation (v=1, default) or keep the stored pixels (v=0).",
    bool_("v", "1 = rotate by EXIF orientation (default), 0 = keep as stored", positional=True, default=1,
          ec="0040-00000215"),
    aliases=("auto_orient", "autoorient", "orient"),
)

CIRCLE = _image(
    "circle",
    "Cut an inscribed circle of radius r (transparent outside for png/webp).",
    int_("r", "circle radius in px (1-4096; clamped to half the short side)", 1, 4096, required=True,
         ec="0040-00000233"),
)

ROUNDED_CORNERS = _image(
    "rounded-corners",
    "Round the corners with radius r (transparent outside for png/webp).",
    int_("r", "corner radius in px (1-4096; clamped to half the short side)", 1, 4096, required=True,
         ec="0040-00000237"),
    aliases=("rounded_corners", "roundedcorners", "round-corners", "rounded"),
    size_effect=SizeEffect.KEEPS,
)

SPECS: tuple[OpSpec, ...] = (
    RESIZE,
    CROP,
    INDEXCROP,
    ROTATE,
    FLIP,
    QUALITY,
    FORMAT,
    INTERLACE,
    WATERMARK,
    BLUR,
    SHARPEN,
    BRIGHT,
    CONTRAST,
    AUTO_ORIENT,
    CIRCLE,
    ROUNDED_CORNERS,
)
