"""Text and image watermarks (OSS ``image/watermark``).

The overlay (text, image, or both side by side) is built once per operation as an RGBA image and then
composited onto every frame. Placement follows SPEC.md §4: the x margin applies to west/east columns,
the y margin to top/bottom rows, ``voffset`` moves the middle row; ``fill_1`` tiles the overlay over
the whole image with ``padx``/``pady`` gaps.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pyvips

from mediaproc import limits
from mediaproc.engine.image import geometry
from mediaproc.engine.image.handlers import HANDLERS
from mediaproc.engine.image.load import load_image
from mediaproc.errors import InvalidOperation, UsageError
from mediaproc.i18n import _
from mediaproc.ops.catalog.image import WATERMARK

# OSS defaults (SPEC.md §2): the catalogue's, the ones the COS encoder writes out too.
DEFAULT_SIZE: int = WATERMARK.default("size")
DEFAULT_COLOR: str = WATERMARK.default("color")
DEFAULT_GRAVITY: str = WATERMARK.default("g")
DEFAULT_MARGIN_X: int = WATERMARK.default("x")
DEFAULT_MARGIN_Y: int = WATERMARK.default("y")
DEFAULT_OPACITY: int = WATERMARK.default("t")


def _gravity(value: Any, default: str) -> str:
    """A gravity in the catalogue's canonical spelling (its aliases: ``c``, ``southeast``, ``top-left``)."""
    g = str(value or default).lower()
    param = WATERMARK.param("g")
    return param.choice_aliases.get(g, g) if param is not None else g


def place(width: int, height: int, w: int, h: int, gravity: str, x: int, y: int, voffset: int) -> tuple[int, int]:
    """Top-left of a ``w`` x ``h`` watermark on a ``width`` x ``height`` image (may be negative)."""
    g = _gravity(gravity, DEFAULT_GRAVITY)
    if g in ("nw", "west", "sw"):
        left = x
    elif g in ("north", "center", "south"):
        left = (width - w) // 2
    else:
        left = width - w - x
    if g in ("nw", "north", "ne"):
        top = y
    elif g in ("west", "center", "east"):
        top = (height - h) // 2 + voffset
    else:
        top = height - h - y
    return left, top


def _rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def _from_pil(im: Any) -> pyvips.Image:
    im = im.convert("RGBA")
    return pyvips.Image.new_from_memory(im.tobytes(), im.width, im.height, 4, "uchar").copy(interpretation="srgb")


def check_text_area(width: int, height: int, angle: int, size: int) -> None:
    """Refuse a text whose drawing (after its rotation, which enlarges the box) is over the
    ``text_pixels`` limit, before Pillow allocates it: 4,000 "W" at size 1000 would be a 2.4
    gigapixel layer, drawn four times over (text, shadow, two composites)."""
    rad = math.radians(angle)
    cos, sin = abs(math.cos(rad)), abs(math.sin(rad))
    rotated = (math.ceil(width * cos + height * sin), math.ceil(width * sin + height * cos))
    area = max(width * height, rotated[0] * rotated[1])
    limits.check(
        "text_pixels",
        area,
        _("the watermark text ({w}x{h} px at size {size})").format(w=width, h=height, size=size),
        _("use a shorter text or a smaller size"),
    )


def check_overlay(img: pyvips.Image, what: str) -> None:
    """The watermark image (after its P/rw/rh/aw/ah sizing) or the text+image row is built in memory
    once per operation: refuse it over ``output_pixels`` before it is (libvips has not computed it)."""
    limits.check(
        "output_pixels",
        img.width * img.height,
        _("the watermark {what} ({w}x{h} px)").format(what=what, w=img.width, h=img.height),
        _("make the watermark smaller (P, rw/rh or aw/ah)"),
    )


def render_text(params: Mapping[str, Any]) -> pyvips.Image:
    """The text as an RGBA image: colour, optional shadow, optional clockwise rotation."""
    from PIL import Image, ImageDraw, ImageFont

    from mediaproc.engine.image.fonts import find_font

    text = str(params.get("text") or "")
    size = max(1, int(params.get("size") or DEFAULT_SIZE))
    color = _rgb(str(params.get("color") or DEFAULT_COLOR))
    shadow = int(params.get("shadow") or 0)
    angle = int(params.get("rotate") or 0) % 360
    choice = find_font(text, params.get("type"))
    if choice.path is not None:
        font: Any = ImageFont.truetype(str(choice.path), size)
    else:
        font = ImageFont.load_default(size)
    left, top, right, bottom = font.getbbox(text)  # metrics only: nothing is drawn yet
    tw, th = max(1, right - left), max(1, bottom - top)
    off = max(1, size // 20) if shadow else 0
    check_text_area(tw + off, th + off, angle, size)
    layer = Image.new("RGBA", (tw + off, th + off), (0, 0, 0, 0))
    if shadow:
        sh = Image.new("RGBA", layer.size, (0, 0, 0, 0))
        ImageDraw.Draw(sh).text((off - left, off - top), text, font=font, fill=(0, 0, 0, round(2.55 * shadow)))
        layer = Image.alpha_composite(layer, sh)
    fg = Image.new("RGBA", layer.size, (0, 0, 0, 0))
    ImageDraw.Draw(fg).text((-left, -top), text, font=font, fill=(*color, 255))
    layer = Image.alpha_composite(layer, fg)
    if angle:
        layer = layer.rotate(-angle, expand=True, resample=Image.Resampling.BICUBIC)
    return _from_pil(layer)


def _parse_value(v: str) -> Any:
    try:
        return int(v)
    except ValueError:
        return v


def _sub_params(name: str, items: list[str]) -> dict[str, Any]:
    """One segment's parameters under the catalogue's canonical keys: ``m_fill`` -> ``mode``, ``degree``
    -> ``angle``, a bare value -> the operation's positional parameter (``rotate,90``), as the catalogue
    spells them (its wire names, aliases and positional flags), not a table of our own."""
    from mediaproc.ops.catalog import find_spec

    spec = find_spec(name)
    positional = next((p.key for p in spec.params if p.positional), None) if spec is not None else None
    params: dict[str, Any] = {}
    for item in items:
        if not item:
            continue
        if "_" in item:
            k, v = item.split("_", 1)
            param = None
            if spec is not None:
                param = spec.param(k) or next((p for p in spec.params if p.wire == k), None)
            params[param.key if param is not None else k] = _parse_value(v)
        elif positional is not None:
            params[positional] = _parse_value(item)
    return params


def parse_subchain(process: str) -> list[tuple[str, dict[str, Any]]]:
    """``image/resize,P_30/rotate,90`` (or the reference skill's ``resize,P_30+rotate,90``) ->
    [(name, params)], canonical keys. Kept local on purpose: ``P`` inside a watermark image's resize
    means "percent of the base image", which is not a parameter of the chain-level resize."""
    body = process.strip()
    if body.startswith("image/"):
        body = body[len("image/") :]
    out: list[tuple[str, dict[str, Any]]] = []
    for seg in body.replace("+", "/").split("/"):
        if not seg:
            continue
        name, *items = seg.split(",")
        params = _sub_params(name, items)
        if "g" in params:
            params["g"] = _gravity(params["g"], "nw")
        out.append((name, params))
    return out


_SUB_IGNORED = frozenset({"format", "quality", "interlace"})


def _fit_percent(img: pyvips.Image, percent: int, base_w: int, base_h: int) -> pyvips.Image:
    """Scale so the watermark fits in ``percent``% of the base image (OSS ``P``), aspect kept."""
    k = min(base_w * percent / 100 / img.width, base_h * percent / 100 / img.height)
    return geometry.scale_to(img, max(1, round(img.width * k)), max(1, round(img.height * k)))


def apply_subchain(img: pyvips.Image, process: str, base_w: int, base_h: int) -> pyvips.Image:
    for name, params in parse_subchain(process):
        if name == "resize" and "P" in params:
            img = _fit_percent(img, int(params["P"]), base_w, base_h)
            continue
        if name in _SUB_IGNORED:
            continue
        fn = HANDLERS.get(name)
        if fn is None:
            raise InvalidOperation(
                _("operation {name!r} is not supported inside a watermark image's processing").format(name=name),
                hint=_("use resize, crop, indexcrop, rotate, rounded-corners or circle there"),
            )
        img = fn(img, params)
    return img


def _with_alpha(img: pyvips.Image) -> pyvips.Image:
    return img if img.hasalpha() else img.bandjoin(255).copy(interpretation="srgb")


def render_image(
    params: Mapping[str, Any], base_w: int, base_h: int, resolve_key: Callable[[str], Path] | None
) -> pyvips.Image:
    """The watermark image: the key's own ``?x-oss-process=`` (and ``preprocess``) applied, then P,
    rw/rh or aw/ah sizing."""
    raw = str(params.get("image") or "")
    key, _sep, process = raw.partition("?x-oss-process=")
    if resolve_key is None:
        raise UsageError(
            _("an image watermark needs an object store to read {key!r} from").format(key=key),
            hint=_("run the operation through a provider (local, oss or cos) with the watermark key in the bucket"),
        )
    img = _with_alpha(load_image(resolve_key(key)))
    if process:
        img = apply_subchain(img, process, base_w, base_h)
    pre = params.get("preprocess")
    if pre:
        img = apply_subchain(img, str(pre), base_w, base_h)
    if params.get("P"):
        img = _fit_percent(img, int(params["P"]), base_w, base_h)
    aw, ah, rw, rh = (int(params.get(k) or 0) for k in ("aw", "ah", "rw", "rh"))
    if aw or ah:  # an absolute size; the missing side keeps the aspect ratio
        w = aw or max(1, round(img.width * ah / img.height))
        h = ah or max(1, round(img.height * aw / img.width))
        img = geometry.scale_to(img, w, h)
    elif rw or rh:  # a percentage; the missing side takes the other one's
        w = max(1, round(img.width * (rw or rh) / 100))
        h = max(1, round(img.height * (rh or rw) / 100))
        img = geometry.scale_to(img, w, h)
    return _with_alpha(img)


def _side_by_side(first: pyvips.Image, second: pyvips.Image, align: int, interval: int) -> pyvips.Image:
    """Image and text in one row (OSS mixed watermark); ``align`` 0 top, 1 middle, 2 bottom."""
    height = max(first.height, second.height)
    width = first.width + interval + second.width

    def top(im: pyvips.Image) -> int:
        return 0 if align == 0 else (height - im.height) // 2 if align == 1 else height - im.height

    canvas = pyvips.Image.black(width, height, bands=4).copy(interpretation="srgb")
    canvas = canvas.insert(first, 0, top(first)).insert(second, first.width + interval, top(second))
    return canvas.cast("uchar")


def build_overlay(
    params: Mapping[str, Any], base_w: int, base_h: int, resolve_key: Callable[[str], Path] | None
) -> pyvips.Image:
    """The RGBA watermark, opacity ``t`` applied."""
    has_text, has_image = bool(params.get("text")), bool(params.get("image"))
    if not has_text and not has_image:
        raise InvalidOperation(_("watermark needs text or image"), hint=_("for example watermark:text=Hello"))
    text = render_text(params) if has_text else None
    image = render_image(params, base_w, base_h, resolve_key) if has_image else None
    if image is not None:
        check_overlay(image, _("image"))
    if text is not None and image is not None:
        order = int(params.get("order") or 0)
        first, second = (image, text) if order == 0 else (text, image)
        overlay = _side_by_side(first, second, int(params.get("align") or 0), int(params.get("interval") or 0))
        check_overlay(overlay, _("text and image"))
    else:
        overlay = text if text is not None else image
    assert overlay is not None
    t = params.get("t")
    opacity = DEFAULT_OPACITY if t is None else int(t)
    if opacity < 100:
        rgb = overlay.extract_band(0, n=3)
        alpha = (overlay.extract_band(3) * (max(0, opacity) / 100.0)).cast("uchar")
        overlay = rgb.bandjoin(alpha).copy(interpretation="srgb")
    return overlay.copy_memory()


def _composite(base: pyvips.Image, overlay: pyvips.Image, left: int, top: int) -> pyvips.Image:
    """``overlay`` over ``base`` at (left, top), clipped to the base; the base keeps its band count."""
    x0, y0 = max(0, left), max(0, top)
    x1, y1 = min(base.width, left + overlay.width), min(base.height, top + overlay.height)
    if x1 <= x0 or y1 <= y0:
        return base
    part = overlay.crop(x0 - left, y0 - top, x1 - x0, y1 - y0)
    out = base.composite2(part, "over", x=x0, y=y0, compositing_space="srgb")
    if not base.hasalpha():
        out = out.extract_band(0, n=3)
    return out.cast("uchar").copy(interpretation="srgb")


def apply_overlay(img: pyvips.Image, overlay: pyvips.Image, params: Mapping[str, Any]) -> pyvips.Image:
    if int(params.get("fill") or 0) == 1:
        padx, pady = int(params.get("padx") or 0), int(params.get("pady") or 0)
        cell = overlay.embed(
            0, 0, overlay.width + padx, overlay.height + pady, extend="background", background=[0, 0, 0, 0]
        )
        across = math.ceil(img.width / cell.width)
        down = math.ceil(img.height / cell.height)
        tiled = cell.replicate(across, down).crop(0, 0, img.width, img.height)
        return _composite(img, tiled, 0, 0)
    x = params.get("x")
    y = params.get("y")
    left, top = place(
        img.width, img.height, overlay.width, overlay.height,
        str(params.get("g") or DEFAULT_GRAVITY),
        DEFAULT_MARGIN_X if x is None else int(x),
        DEFAULT_MARGIN_Y if y is None else int(y),
        int(params.get("voffset") or 0),
    )  # fmt: skip
    return _composite(img, overlay, left, top)
