"""The engine's result types (no heavy imports here); its limits live in :mod:`mediaproc.limits`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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
