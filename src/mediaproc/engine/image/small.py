"""Small stills through Pillow: the same chain, the same sizes and encoder settings, a fifth of the CPU.

libvips pays a fixed cost per image (operation objects, a worker thread pool and its futex
hand-offs, region buffers): about 0.8 ms just to decode a 160x120 JPEG, where Pillow needs 0.16 ms.
For thumbnails of small images (avatars, icons, the 160x120 crops of ``benchmarks/batch.py``) that
fixed cost is most of the work: a 160x120 JPEG resized to 80 px takes 3.0 ms of CPU through libvips
and 0.5 ms here. Above about ``SMALL_PIXELS`` libvips' vectorised resampling wins (640x480 -> 320:
5.1 ms against 6.4 ms), so only work that stays small comes here.

This is not a second implementation of the operations' rules: sizes come from the same pure
functions (``geometry.resize_plan``, ``crop_box``), encoder settings from ``settings_from_chain``,
and the DCT scale of the decode from ``geometry.dct_shrink`` as in ``pipeline._jpeg_shrink_load``.
Only plain 8-bit RGB/grey JPEG and RGB/RGBA/grey PNG sources, and only shrinking resizes, crop,
right-angle rotate, flip, auto-orient, format, quality and interlace, come here; anything else
(animation, CMYK, palettes, 16-bit, XMP/IPTC, other operations and formats) returns None and runs
through libvips. Kept: pixels (Lanczos-3 both ways, alpha premultiplied), EXIF,
ICC profile, DPI, chroma subsampling (libvips' rule: none from Q 90), progressive coding.

Sizes, orientation and the source quality come from the header (``header.read_header``, plain
Python), before Pillow is imported; Pillow then decodes, declining what is not plain pixels. Both
are facts of the file and the chain, never of what the process has imported already: the same
command gives the same pixels in a one-shot run, a batch, a worker or serve, and a run of large
images never pays for Pillow's import.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

from mediaproc import TYPE_CHECKING
from mediaproc.engine.image import geometry
from mediaproc.engine.image.encode import ENCODE_OPS, check_size, settings_from_chain
from mediaproc.engine.image.header import read_header
from mediaproc.engine.image.jpegq import estimate_from_tables
from mediaproc.engine.image.result import EncodedImage

if TYPE_CHECKING:
    from typing import Any

    from PIL import Image as PILImage

    from mediaproc.engine.image.encode import EncodeSettings
    from mediaproc.ops.model import Op

# The largest working image (decoded, or produced by any step) this path takes: the measured
# crossover where libvips' faster resampling outweighs its fixed cost is between 77k and 300k pixels.
SMALL_PIXELS = 1 << 17
# The largest source it opens: even a 1/8 DCT-scaled decode (1/64 of the pixels) is too large above.
_LARGEST_SOURCE = SMALL_PIXELS * 64
_PIXEL_OPS = frozenset({"resize", "crop", "rotate", "flip", "auto-orient"})
_SOURCE_FORMATS = {"JPEG": "jpg", "PNG": "png"}
# Pillow mode and raw (file) mode pairs that are plain 8-bit pixels.
_PLAIN = {"jpg": {("RGB", "RGB"), ("L", "L"), ("RGB", "YCbCr")}, "png": {("RGB", "RGB"), ("RGBA", "RGBA"), ("L", "L")}}
_OUTPUTS = frozenset({"jpg", "png", "webp"})
# JPEG APP segments whose content this path carries over (JFIF, EXIF, ICC, Adobe colour transform).
_APP_KEPT = (("APP0", b"JFIF"), ("APP0", b"JFXX"), ("APP1", b"Exif\0"), ("APP2", b"ICC_PROFILE"), ("APP14", b"Adobe"))
_ROTATED = frozenset({5, 6, 7, 8})


def encode_small(src: Path, ops: Sequence[Op], out_format: str | None = None) -> EncodedImage | None:
    """The chain's result when source and chain qualify (see the module docstring), else None.

    Everything is decided from the header (``header.read_header``) before Pillow is imported; Pillow
    then only decodes. Errors the chain itself would raise on any engine (an invalid crop origin, an
    output format this machine cannot write) are raised here too, in the libvips path's order
    (limits, encoder settings, geometry); a source Pillow cannot read is left to libvips, which
    reports it.
    """
    if any(op.name not in _PIXEL_OPS and op.name not in ENCODE_OPS for op in ops):
        return None
    if any(op.name == "rotate" and _angle(op) % 90 for op in ops):
        return None
    head = read_header(Path(src))
    if head is None or head.width * head.height > _LARGEST_SOURCE:
        return None  # not a JPEG/PNG header this reads, or too large even at a 1/8 DCT scale
    from mediaproc.engine.image.load import check_limits

    check_limits(Path(src), head.width, head.height, 1)
    quality = estimate_from_tables(head.tables) if head.format == "jpg" else None
    settings = settings_from_chain(ops, out_format=out_format, source_format=head.format, source_quality=quality)
    if settings.format not in _OUTPUTS:
        return None
    pixel_ops = [op for op in ops if op.name not in ENCODE_OPS]
    plan = _dry_run(head.width, head.height, pixel_ops, head.orientation, jpeg=head.format == "jpg")
    if plan is None:
        return None
    shrink, (out_w, out_h) = plan
    check_size(settings.format, out_w, out_h)
    from PIL import Image  # only now: a run of large images never imports Pillow

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(src)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    with im:
        if _plain_format(im) != head.format or im.size != (head.width, head.height):
            return None
        try:
            out = _run(im, pixel_ops, shrink, head.orientation)
            data = _encode(out, settings, out.info)  # Pillow carries ``info`` through every step
        except (OSError, ValueError, SyntaxError):
            return None  # a corrupt or truncated body: libvips reads it again and says what is wrong
    return EncodedImage(data=data, width=out.width, height=out.height, format=settings.format)


def _angle(op: Op) -> int:
    return int(op.get("angle", op.get("degree", 0)) or 0)


def _plain_format(im: PILImage.Image) -> str | None:
    from PIL.ImageFile import ImageFile  # only a decoded file has ``tile``, the layout read below

    fmt = _SOURCE_FORMATS.get(im.format or "")
    if fmt is None or not isinstance(im, ImageFile) or getattr(im, "n_frames", 1) != 1 or len(im.tile) < 1:
        return None
    raw = im.tile[0][3]
    rawmode = raw[0] if isinstance(raw, tuple) else raw
    if (im.mode, rawmode) not in _PLAIN[fmt]:
        return None
    info = im.info
    if "transparency" in info or "xmp" in info or "XML:com.adobe.xmp" in info:
        return None
    if im.mode == "L" and "icc_profile" in info:
        return None  # a grey profile cannot describe the RGB pixels the engine writes
    if fmt == "jpg":
        for marker, data in getattr(im, "applist", []):
            if not any(marker == m and data.startswith(prefix) for m, prefix in _APP_KEPT):
                return None  # XMP, IPTC, maker segments: libvips keeps what this path would drop
    return fmt


def _dry_run(
    width: int, height: int, ops: Sequence[Op], orientation: int, *, jpeg: bool
) -> tuple[int, tuple[int, int]] | None:
    """The DCT shrink for the decode and the output size, or None when a step would be larger than
    ``SMALL_PIXELS`` or would enlarge.

    Sizes only (no pixels), with the functions the libvips path uses, so a chain that is invalid for
    this image (a crop origin outside it) fails here with the same error.
    """
    shrink = 1
    i = 0
    if ops and ops[0].name == "auto-orient" and int(ops[0].get("v", 1)) == 1 and len(ops) > 1:
        i = 1
    if jpeg and len(ops) > i and ops[i].name == "resize":
        w, h = (height, width) if i == 1 and orientation in _ROTATED else (width, height)
        plan = geometry.resize_plan(w, h, ops[i].params)
        if plan.downscales(w, h):
            sw, sh = plan.scaled
            if i == 1 and orientation in _ROTATED:
                sw, sh = sh, sw
            shrink = geometry.dct_shrink(width, height, sw, sh)
    w, h = -(-width // shrink), -(-height // shrink)
    peak = w * h
    oriented = False
    # Sizes below are in source pixels (as the libvips path plans them), not the decoded ones.
    w, h = width, height
    for op in ops:
        if op.name == "auto-orient":
            if int(op.get("v", 1)) == 1 and not oriented:
                oriented = True
                if orientation in _ROTATED:
                    w, h = h, w
        elif op.name == "resize":
            plan = geometry.resize_plan(w, h, op.params)
            if plan.scaled[0] > w or plan.scaled[1] > h:
                return None  # enlarging: libvips' upsampling grid differs from Pillow's (34 dB apart)
            peak = max(peak, plan.scaled[0] * plan.scaled[1], plan.canvas[0] * plan.canvas[1])
            w, h = plan.canvas
        elif op.name == "crop":
            _left, _top, w, h = geometry.crop_box(w, h, op.params)
        elif op.name == "rotate" and _angle(op) % 360:
            geometry.check_rotatable(w, h)
            if _angle(op) % 180:
                w, h = h, w
        peak = max(peak, w * h)
    return (shrink, (w, h)) if peak <= SMALL_PIXELS else None


def _run(im: PILImage.Image, ops: Sequence[Op], shrink: int, orientation: int) -> PILImage.Image:
    from PIL import Image

    src_w, src_h = im.size
    scaled = (max(1, src_w // shrink), max(1, src_h // shrink))
    if shrink > 1:
        # Pillow picks the largest scale whose result covers the size asked for, and libjpeg rounds
        # a scaled size up: asking for the rounded-down size gets exactly 1/shrink (asking for the
        # rounded-up one got one scale less whenever a side was not a multiple of ``shrink``).
        im.draft(im.mode, scaled)
    im.load()
    out: Image.Image = im
    if shrink > 1 and out.size != scaled:
        # libvips' shrink-on-load rounds the scaled size down, dropping the last partial pixel:
        # the same decoded pixels here (measured identical), so both paths resize the same grid.
        out = out.crop((0, 0, *scaled))
    if out.mode == "L":
        out = out.convert("RGB")  # the engine's one pixel layout: sRGB, 3 or 4 bands (load.normalise)
    # The plan for a head resize uses the source size, like the libvips path's shrink-on-load.
    planned: tuple[int, int] | None = (src_w, src_h) if shrink > 1 else None
    oriented = False
    for op in ops:
        if op.name == "auto-orient":
            if int(op.get("v", 1)) == 1 and not oriented:
                oriented = True
                out = _orient(out, orientation)
                if planned is not None and orientation in _ROTATED:
                    planned = (planned[1], planned[0])
            continue
        if op.name == "resize":
            w, h = planned or out.size
            planned = None
            plan = geometry.resize_plan(w, h, op.params)
            if out.size != plan.scaled:
                out = out.resize(plan.scaled, Image.Resampling.LANCZOS)
            out = _finish_resize(out, plan)
            continue
        planned = None
        if op.name == "crop":
            left, top, w, h = geometry.crop_box(out.width, out.height, op.params)
            if (left, top, w, h) != (0, 0, out.width, out.height):
                out = out.crop((left, top, left + w, top + h))
        elif op.name == "rotate":
            angle = _angle(op) % 360
            turns = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}
            if angle in turns:
                out = out.transpose(turns[angle])  # clockwise, as geometry.rotate
        elif op.name == "flip":
            v = int(op.get("v") or 0)
            table = {0: Image.Transpose.FLIP_TOP_BOTTOM, 1: Image.Transpose.FLIP_LEFT_RIGHT}
            out = out.transpose(table.get(v, Image.Transpose.ROTATE_180))
    return out


def _orient(im: PILImage.Image, orientation: int) -> PILImage.Image:
    """libvips ``autorot``: turn the pixels upright and drop the orientation tag."""
    from PIL import Image

    method = {
        2: Image.Transpose.FLIP_LEFT_RIGHT,
        3: Image.Transpose.ROTATE_180,
        4: Image.Transpose.FLIP_TOP_BOTTOM,
        5: Image.Transpose.TRANSPOSE,
        6: Image.Transpose.ROTATE_270,
        7: Image.Transpose.TRANSVERSE,
        8: Image.Transpose.ROTATE_90,
    }.get(orientation)
    info = dict(im.info)
    out = im.transpose(method) if method is not None else im.copy()
    exif = info.get("exif")
    if isinstance(exif, bytes) and exif:
        parsed = Image.Exif()
        parsed.load(exif)
        parsed.pop(0x0112, None)
        info["exif"] = parsed.tobytes()
    out.info = info
    return out


def _finish_resize(im: PILImage.Image, plan: geometry.ResizePlan) -> PILImage.Image:
    """``geometry.finish_resize`` for a Pillow image: the fill crop or the pad canvas."""
    from PIL import Image

    cw, ch = plan.canvas
    if im.size == (cw, ch):
        return im
    if plan.mode == "fill":
        left, top = max(0, (im.width - cw) // 2), max(0, (im.height - ch) // 2)
        return im.crop((left, top, left + min(cw, im.width), top + min(ch, im.height)))
    if plan.mode == "pad":
        left, top = max(0, (cw - im.width) // 2), max(0, (ch - im.height) // 2)
        rgb = tuple(int(plan.color[i : i + 2], 16) for i in (0, 2, 4))
        canvas = Image.new(im.mode, (cw, ch), rgb + ((255,) if im.mode == "RGBA" else ()))
        canvas.paste(im, (left, top))
        canvas.info = dict(im.info)
        return canvas
    return im


def _encode(im: PILImage.Image, settings: EncodeSettings, info: Mapping[Any, Any]) -> bytes:
    from PIL import Image

    if settings.format == "jpg" and im.mode == "RGBA":
        flat = Image.new("RGB", im.size, (255, 255, 255))
        flat.paste(im, mask=im.getchannel("A"))  # pipeline's _flatten: alpha over white
        im = flat
    extra: dict[str, Any] = {}
    for key in ("exif", "icc_profile"):
        value = info.get(key)
        if isinstance(value, bytes) and value:
            extra[key] = value
    if "dpi" in info:
        extra["dpi"] = tuple(float(v) for v in info["dpi"])
    buf = io.BytesIO()
    if settings.format == "jpg":
        q = settings.quality or 90
        im.save(
            buf,
            "JPEG",
            quality=q,
            subsampling=0 if q >= 90 else 2,  # libvips' default: chroma subsampling only below Q 90
            progressive=settings.progressive,
            optimize=settings.progressive,
            **extra,
        )
    elif settings.format == "png":
        im.save(buf, "PNG", compress_level=6, **extra)
    else:
        extra.pop("dpi", None)
        im.save(buf, "WEBP", quality=settings.quality or 90, method=4, **extra)
    return buf.getvalue()


__all__ = ["SMALL_PIXELS", "encode_small"]
