"""The engine's result type and the source limits it enforces (no heavy imports here)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mediaproc.errors import MediaError

# Source limits from the OSS documentation (reference/alibaba-skill/limitations.md). The 20 MB file
# size limit is the cloud's transfer limit: the local provider does not enforce it (a big local file
# is fine here), ``mediaproc serve`` does (400 ImageTooLarge, as the service), and URL sources are
# capped at it by default. Whether the service counts 20 * 10^6 or 20 * 2^20 bytes is unverified;
# the smaller is used. The pixel limits are enforced everywhere: they protect this machine from
# decompression bombs.
MAX_FILE_BYTES = 20 * 1000 * 1000
MAX_SIDE = 30_000
MAX_PIXELS = 250_000_000


def too_large(message: str, hint: str) -> MediaError:
    """The error for a source or intermediate image over a documented size limit: an input error
    (exit 2) with the code OSS image processing uses for it, ``ImageTooLarge``."""
    return MediaError(message, hint=hint, code="ImageTooLarge")


# Output formats the ``format`` operation accepts (canonical spellings, SPEC/TEAM contract).
OUTPUT_FORMATS: tuple[str, ...] = ("jpg", "png", "webp", "bmp", "gif", "avif", "tiff", "heic")


@dataclass(frozen=True)
class ImageOutput:
    """What ``process_image`` wrote: the final path, pixel size, canonical format and bytes on disk."""

    path: Path
    width: int
    height: int
    format: str
    size: int


@dataclass(frozen=True)
class EncodedImage:
    """What ``encode_image`` produced: the encoded bytes, pixel size and canonical format."""

    data: bytes
    width: int
    height: int
    format: str

    @property
    def size(self) -> int:
        return len(self.data)
