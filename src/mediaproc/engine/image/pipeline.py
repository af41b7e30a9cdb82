"""``process_image``: probe, decode (shrinking on load when it can), run the chain, encode atomically.

Small stills with a simple chain take the Pillow path of ``small`` (libvips' fixed cost per image
outweighs its speed there); everything else runs here. Which path an image takes is decided from
its header and the chain alone, never from what the process has imported, so the same command
gives the same pixels in a one-shot run, a batch, a worker or serve; and a large image never
imports Pillow (15-20 ms of a one-shot run).

Speed comes from two things: libvips evaluates the whole chain lazily in one streaming pass, and a
downscaling ``resize`` at the head of the chain is folded into the decode (JPEG: libvips' DCT-scaled
shrink-on-load; other formats: libvips ``thumbnail``, e.g. WebP/HEIF reduced decode), so a 12 MP
JPEG is never decoded at full size for a thumbnail (benchmarks/thumbnail.py measures it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pyvips

from mediaproc import TYPE_CHECKING, limits
from mediaproc.engine.image import geometry
from mediaproc.engine.image.encode import ANIMATED_FORMATS, ENCODE_OPS, settings_from_chain
from mediaproc.engine.image.handlers import HANDLERS
from mediaproc.engine.image.load import FAIL_ON, Canvas, Source, load, media_error, normalise, probe
from mediaproc.engine.image.result import EncodedImage, ImageOutput
from mediaproc.engine.image.save import prepare, save, save_to_buffer, write_atomic
from mediaproc.engine.image.small import encode_small
from mediaproc.engine.intelligent import is_vision_op
from mediaproc.errors import InvalidOperation, UnsupportedOperation
from mediaproc.i18n import _
from mediaproc.record import Record, replace

if TYPE_CHECKING:
    from typing import Any

    from mediaproc.ops.model import Op

_ROTATED_ORIENTATIONS = frozenset({5, 6, 7, 8})  # EXIF orientations that swap width and height


def _check_chain(ops: Sequence[Op]) -> None:
    for op in ops:
        if op.name in HANDLERS or op.name in ENCODE_OPS or op.name == "watermark" or is_vision_op(op):
            continue
        raise InvalidOperation(
            _("operation {name!r} cannot be part of an image processing chain").format(name=op.name),
            hint=_("info, average-hue, detection and media operations run on their own"),
        )


class _Context(Record, frozen=False):
    """What operations may need besides the canvas: the probed source and how to find a key."""

    source: Source
    resolve_key: Callable[[str], Path] | None


def _open(source: Source, ops: list[Op]) -> tuple[Canvas, list[Op]]:
    """Decode the source, folding a leading downscaling resize (optionally after auto-orient) into a
    shrink-on-load ``thumbnail``; returns the canvas and the operations still to run."""
    if source.via_pillow or source.animated or not ops:
        return load(source), ops
    i, autorot = 0, False
    if ops[0].name == "auto-orient" and int(ops[0].get("v", 1)) == 1 and len(ops) > 1:
        i, autorot = 1, True
    if ops[i].name != "resize":
        return load(source), ops
    w, h = source.width, source.height
    if autorot and source.orientation in _ROTATED_ORIENTATIONS:
        w, h = h, w
    plan = geometry.resize_plan(w, h, ops[i].params)
    if not plan.downscales(w, h):
        return load(source), ops
    sw, sh = plan.scaled
    try:
        if source.format == "jpg":
            img = _jpeg_shrink_load(source, sw, sh, autorot)
        else:
            img = pyvips.Image.thumbnail(
                str(source.path), sw, height=sh, size="force", no_rotate=not autorot, fail_on=FAIL_ON
            )
        img = normalise(img)
        if (img.width, img.height) != (sw, sh):
            img = geometry.scale_to(img, sw, sh)
        rest = ops[i + 1 :]
        if rest:
            # The decode streams its source sequentially; later operations (rotations, detectors,
            # watermarks) may read in any order or twice, so keep the already small result in memory.
            img = img.copy_memory()
    except pyvips.Error as err:
        raise media_error(source.path, err) from err
    return Canvas([geometry.finish_resize(img, plan)]), rest


def _jpeg_shrink_load(source: Source, sw: int, sh: int, autorot: bool) -> pyvips.Image:
    """Decode a JPEG at the smallest DCT scale (1/2, 1/4, 1/8) that still covers the target.

    libvips' ``thumbnail`` keeps a 2x margin before using DCT scaling (for 4000 -> 600 px it decodes
    at 1/2), which costs ~30% more than decoding at 1/4; a Lanczos reduce after a 1/4 decode looks
    the same at thumbnail sizes (``geometry.dct_shrink`` keeps a smaller margin). The decode is
    libvips' own shrink-on-load (libjpeg's DCT scaling): the same pixels as Pillow's ``draft`` at
    the same scale (measured: identical), except that libvips rounds the scaled size down where
    libjpeg rounds up, dropping the last partial pixel column/row (as ``thumbnail`` does).
    """
    w, h = source.width, source.height
    if autorot and source.orientation in _ROTATED_ORIENTATIONS:
        sw, sh = sh, sw  # the target in stored (unrotated) orientation
    shrink = geometry.dct_shrink(w, h, sw, sh)
    img = pyvips.Image.new_from_file(str(source.path), shrink=shrink, access="sequential", fail_on=FAIL_ON)
    if autorot:
        img = img.autorot()
    return img


def check_canvas(canvas: Canvas, step: str | None) -> None:
    """Refuse a working image over the output limits (``output_pixels``: width x height x frames;
    ``output_side`` where the service has one) after each step. libvips evaluates lazily, so a step's
    result has its size but no pixel yet: a resize to 16384 x 16384, a pad or a rotation is refused
    here before any of it is computed."""
    w, h, n = canvas.width, canvas.height, len(canvas.frames)
    size = _("{w}x{h} px, {n} frames").format(w=w, h=h, n=n) if n > 1 else _("{w}x{h} px").format(w=w, h=h)
    subject = (
        _("the result of {step} ({size})").format(step=step, size=size)
        if step
        else _("the image ({size})").format(size=size)
    )
    hint = _("ask for a smaller result, e.g. resize:l=4096 first")
    limits.check("output_side", max(w, h), subject, hint)
    limits.check("output_pixels", w * h * n, subject, hint)


def _apply(canvas: Canvas, op: Op, ctx: _Context) -> None:
    if is_vision_op(op):
        if canvas.animated:
            raise UnsupportedOperation(
                _("{op} does not apply to animated images").format(op=op.name),
                hint=_("add format:target=png (or jpg) to use the first frame, or use a still image"),
            )
        from mediaproc.engine import vision

        canvas.map(lambda frame: normalise(vision.apply(frame, op)))
        return
    if op.name == "watermark":
        from mediaproc.engine.image import watermark  # fonts and overlays: only for a watermark

        overlay = watermark.build_overlay(op.params, canvas.width, canvas.height, ctx.resolve_key)
        canvas.map(lambda frame: watermark.apply_overlay(frame, overlay, op.params))
        return
    handler = HANDLERS[op.name]
    canvas.map(lambda frame: handler(frame, op.params))


def _render(
    src: Path, ops: Sequence[Op], out_format: str | None, resolve_key: Callable[[str], Path] | None
) -> tuple[Any, Any, Any]:
    """The image to encode, its canvas and the encode settings (libvips is lazy: pixels are computed
    when the caller encodes, so pyvips errors may surface there too)."""
    chain = list(ops)
    _check_chain(chain)
    source = probe(src)
    settings = settings_from_chain(
        chain,
        out_format=out_format,
        source_format=source.format,
        source_quality=source.jpeg_quality if source.format == "jpg" else None,
    )
    if source.animated and settings.format not in ANIMATED_FORMATS:
        source = replace(source, pages=1)  # only the first frame can be written: decode only that
    pixel_ops = [op for op in chain if op.name not in ENCODE_OPS]
    ctx = _Context(source=source, resolve_key=resolve_key)
    canvas, rest = _open(source, pixel_ops)
    check_canvas(canvas, pixel_ops[0].name if pixel_ops and len(rest) < len(pixel_ops) else None)
    for op in rest:
        _apply(canvas, op, ctx)
        check_canvas(canvas, op.name)
    return prepare(canvas, settings.format), canvas, settings


def process_image(
    src: Path,
    ops: Sequence[Op],
    dst: Path,
    *,
    out_format: str | None = None,
    resolve_key: Callable[[str], Path] | None = None,
) -> ImageOutput:
    """Run the chain on ``src`` and write ``dst`` atomically (format op > out_format > source format).

    Raises NotFound (missing source), MediaError (unreadable/corrupt/too large source, engine
    failure), InvalidOperation/UnsupportedOperation (bad parameters for this image, unwritable format),
    ConfigError (no font for a text watermark).
    """
    src, dst = Path(src), Path(dst)
    small = encode_small(src, ops, out_format)
    if small is not None:
        size = write_atomic(dst, lambda path: path.write_bytes(small.data))
        return ImageOutput(path=dst, width=small.width, height=small.height, format=small.format, size=size)
    try:
        img, canvas, settings = _render(src, ops, out_format, resolve_key)
        size = write_atomic(dst, lambda path: save(img, path, settings))
    except pyvips.Error as err:
        raise media_error(src, err) from err
    return ImageOutput(path=dst, width=canvas.width, height=canvas.height, format=settings.format, size=size)


def encode_image(
    src: Path,
    ops: Sequence[Op],
    *,
    out_format: str | None = None,
    resolve_key: Callable[[str], Path] | None = None,
    small: bool = True,
) -> EncodedImage:
    """``process_image`` into memory: for a server answering with the result (no temp file, no rename).

    ``small=False`` skips the Pillow path: the libvips result it is tested against.
    """
    src = Path(src)
    fast = encode_small(src, ops, out_format) if small else None
    if fast is not None:
        return fast
    try:
        img, canvas, settings = _render(src, ops, out_format, resolve_key)
        data = save_to_buffer(img, settings)
    except pyvips.Error as err:
        raise media_error(src, err) from err
    return EncodedImage(data=data, width=canvas.width, height=canvas.height, format=settings.format)
