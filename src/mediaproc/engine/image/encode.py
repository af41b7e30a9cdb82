"""format, quality, interlace: collected from the chain into one set of encoder settings.

These operations do not touch pixels where they appear in the chain; they decide how the final
image is written. The last occurrence of each wins, like on OSS.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from mediaproc import TYPE_CHECKING, limits
from mediaproc.engine.image.result import OUTPUT_FORMATS
from mediaproc.errors import UnsupportedOperation
from mediaproc.i18n import _
from mediaproc.ops.catalog.formats import canonical_format
from mediaproc.record import Record

if TYPE_CHECKING:
    from mediaproc.ops.model import Op

ENCODE_OPS = frozenset({"format", "quality", "interlace"})

# Formats that keep an alpha channel (OSS: the outside of a circle is transparent for these).
ALPHA_FORMATS = frozenset({"png", "webp", "gif", "bmp", "tiff", "avif", "heic"})
ANIMATED_FORMATS = frozenset({"gif", "webp"})
QUALITY_FORMATS = frozenset({"jpg", "webp", "avif", "heic"})
# Default quality when the chain sets none: libvips' and Pillow's usual 75 is visibly soft for
# photos; 90 keeps re-encoded JPEGs close to typical camera/CDN quality. Never above the source's.
DEFAULT_QUALITY = 90


@cache
def _heif_encoder_ok(compression: str) -> bool:
    """Whether the bundled libheif can encode ``compression`` (pyvips-binary ships AV1 only)."""
    import pyvips

    try:
        (pyvips.Image.black(8, 8, bands=3) + 128).heifsave_buffer(compression=compression, Q=50)
    except pyvips.Error:
        return False
    return True


def check_output_format(fmt: str) -> None:
    """Refuse, before any decoding, a format this machine cannot write."""
    if fmt not in OUTPUT_FORMATS:
        raise UnsupportedOperation(
            _("cannot write image format {fmt!r}").format(fmt=fmt),
            hint=_("choose one of: {formats}").format(formats=", ".join(f for f in OUTPUT_FORMATS if f != "heic")),
        )
    if fmt == "heic" and not _heif_encoder_ok("hevc"):
        raise UnsupportedOperation(
            _("this machine's libvips cannot encode HEIC (no HEVC encoder in the bundled libheif)"),
            hint=_("use format:target=avif (same container, AV1) or jpg/webp, or run it on the oss/cos provider"),
        )
    if fmt == "avif" and not _heif_encoder_ok("av1"):
        raise UnsupportedOperation(
            _("this machine's libvips cannot encode AVIF"),
            hint=_("use format:target=webp or jpg, or run it on the oss/cos provider"),
        )


def check_size(fmt: str, width: int, height: int) -> None:
    """Refuse, before encoding, a size the output format cannot hold (``height``: of one frame): WebP
    stores each side in 14 bits, so no encoder can write more (``webp_side``; OSS refuses it too)."""
    if fmt == "webp":
        side = limits.value("webp_side")
        limits.check(
            "webp_side",
            max(width, height),
            _("the WebP result ({w}x{h} px)").format(w=width, h=height),
            _("resize first, e.g. resize:l={n}, or choose another format").format(n=side),
        )


class EncodeSettings(Record):
    """How to encode the result: format, quality and coding, as the chain's encode operations say."""

    format: str
    quality: int | None  # None: the format's lossless/default behaviour
    progressive: bool


def settings_from_chain(
    ops: Sequence[Op], *, out_format: str | None, source_format: str, source_quality: int | None
) -> EncodeSettings:
    """Resolve output format (format op > out_format > source) and the effective quality.

    ``q`` is relative to the source JPEG quality (source 80, q_90 -> 72); ``Q`` is absolute but never
    above the source quality; ``Q`` wins when both are given (SPEC.md §2). A source that is not a
    JPEG counts as quality 100, so q and Q mean the same there.
    """
    fmt: str | None = None
    q_rel: int | None = None
    q_abs: int | None = None
    progressive = False
    for op in ops:
        if op.name == "format":
            target = op.get("target")
            if target:
                fmt = canonical_format(str(target))
        elif op.name == "quality":
            q_rel = op.get("q", q_rel)
            q_abs = op.get("Q", q_abs)
        elif op.name == "interlace":
            progressive = int(op.get("mode", 1) or 0) == 1
    if fmt is None and out_format:
        fmt = canonical_format(out_format)
    if fmt is None:
        fmt = source_format if source_format in OUTPUT_FORMATS else "png"
    check_output_format(fmt)

    base = source_quality if source_quality else 100
    if q_abs is not None:
        quality = min(int(q_abs), base)
    elif q_rel is not None:
        quality = round(base * int(q_rel) / 100)
    else:
        quality = min(DEFAULT_QUALITY, base)
    quality = max(1, min(100, quality))
    return EncodeSettings(
        format=fmt, quality=quality if fmt in QUALITY_FORMATS else None, progressive=progressive and fmt == "jpg"
    )
