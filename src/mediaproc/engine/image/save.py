"""Writing the result: encoder options per format and the atomic temp-file-then-rename write."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import pyvips

from mediaproc import TYPE_CHECKING
from mediaproc.atomic import atomic_file
from mediaproc.engine.image.encode import ALPHA_FORMATS, ANIMATED_FORMATS, EncodeSettings, check_size
from mediaproc.engine.image.load import Canvas

if TYPE_CHECKING:
    from typing import Any


def write_atomic(dst: Path, writer: Callable[[Path], object]) -> int:
    """Run ``writer`` on a temp file next to ``dst`` and rename it into place; returns the size.
    :func:`mediaproc.atomic.atomic_file` does it: ``dst`` is either the complete new file or untouched."""
    from mediaproc.signals import interrupts_deferred

    with atomic_file(Path(dst)) as tmp:
        with interrupts_deferred():  # libvips computes the image here; Ctrl-C is delivered once it returns
            writer(tmp)
        size = tmp.stat().st_size
    return size


def _flatten(img: pyvips.Image) -> pyvips.Image:
    if img.hasalpha():
        return img.flatten(background=[255.0, 255.0, 255.0]).cast("uchar").copy(interpretation="srgb")
    return img


def prepare(canvas: Canvas, fmt: str) -> pyvips.Image:
    """The single image to encode: alpha flattened on white where the format has none (jpg), frames
    stacked with page-height/delay/loop metadata for animated gif/webp, the first frame otherwise."""
    frames = canvas.frames
    if fmt not in ALPHA_FORMATS:
        frames = [_flatten(f) for f in frames]
    if len(frames) > 1 and fmt in ANIMATED_FORMATS:
        bands = max(f.bands for f in frames)
        frames = [f if f.bands == bands else f.bandjoin(255) for f in frames]
        img = pyvips.Image.arrayjoin(frames, across=1).copy(interpretation="srgb")
        img.set_type(pyvips.GValue.gint_type, "page-height", frames[0].height)
        if canvas.delays:
            delays = list(canvas.delays)[: len(frames)]
            delays += [delays[-1] if delays else 100] * (len(frames) - len(delays))
            img.set_type(pyvips.GValue.array_int_type, "delay", delays)
        img.set_type(pyvips.GValue.gint_type, "loop", int(canvas.loop))
        return img
    return frames[0]


def _frame_height(img: pyvips.Image) -> int:
    """One frame's height: animations are encoded as frames stacked into one tall image."""
    return int(img.get("page-height")) if img.get_typeof("page-height") else int(img.height)


def _saver(settings: EncodeSettings) -> tuple[str, dict[str, Any]]:
    """The libvips saver (``jpeg`` for ``jpegsave``/``jpegsave_buffer``) and its options, in one place."""
    fmt, q = settings.format, settings.quality
    if fmt == "jpg":
        return "jpeg", {"Q": q or 90, "interlace": settings.progressive, "optimize_coding": settings.progressive}
    if fmt == "png":
        return "png", {"compression": 6}
    if fmt == "webp":
        return "webp", {"Q": q or 90}
    if fmt == "gif":
        return "gif", {}
    if fmt == "tiff":
        return "tiff", {"compression": "lzw"}
    if fmt == "avif":
        return "heif", {"compression": "av1", "Q": q or 90, "effort": 2}
    if fmt == "heic":
        return "heif", {"compression": "hevc", "Q": q or 90}
    raise ValueError(fmt)  # guarded earlier by check_output_format


def save(img: pyvips.Image, path: Path, settings: EncodeSettings) -> None:
    """Encode ``img`` into ``path`` in ``settings.format`` (explicit saver: the temp name has no suffix)."""
    check_size(settings.format, img.width, _frame_height(img))
    if settings.format == "bmp":
        _save_bmp(img, path)
        return
    name, options = _saver(settings)
    getattr(img, f"{name}save")(str(path), **options)


def save_to_buffer(img: pyvips.Image, settings: EncodeSettings) -> bytes:
    """The same encoding, into memory (a server answering a request needs no file)."""
    check_size(settings.format, img.width, _frame_height(img))
    if settings.format == "bmp":  # the BMP writer is file-based; rare enough for a temp file
        import tempfile  # only here: a one-shot run must not pay for importing it

        with tempfile.TemporaryDirectory(prefix="mediaproc-bmp-") as tmp:
            path = Path(tmp) / "out.bmp"
            _save_bmp(img, path)
            return path.read_bytes()
    name, options = _saver(settings)
    return bytes(getattr(img, f"{name}save_buffer")(**options))


def _save_bmp(img: pyvips.Image, path: Path) -> None:
    """libvips has no BMP writer. Opaque images go through Pillow (24-bit); images with alpha are
    written as 32-bit BI_BITFIELDS with a BITMAPV4HEADER alpha mask, the BMP variant readers (Pillow,
    browsers, Windows) take as RGBA. Pillow's own writer would drop the alpha channel on reading."""
    from PIL import Image

    if img.bands != 4:
        Image.fromarray(img.numpy()).save(path, format="BMP")  # uint8 HxWx3 -> RGB
        return
    import numpy as np

    arr = img.numpy()
    width, height = int(img.width), int(img.height)
    bgra = np.ascontiguousarray(arr[::-1, :, [2, 1, 0, 3]])  # bottom-up rows, B G R A bytes
    data = bgra.tobytes()
    header_size, offset = 108, 14 + 108
    info = struct.pack(
        "<IiiHHIIiiII4I4s36s3I",
        header_size, width, height, 1, 32, 3, len(data), 2835, 2835, 0, 0,
        0x00FF0000, 0x0000FF00, 0x000000FF, 0xFF000000,
        b"BGRs",  # LCS_sRGB, stored little-endian
        b"\0" * 36, 0, 0, 0,
    )  # fmt: skip
    with open(path, "wb") as fh:
        fh.write(struct.pack("<2sIHHI", b"BM", offset + len(data), 0, 0, offset))
        fh.write(info)
        fh.write(data)
