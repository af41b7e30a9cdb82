"""The engine's result types (no heavy imports here); its limits live in :mod:`mediaproc.limits`."""

from __future__ import annotations

from pathlib import Path

from mediaproc.record import Record

# Output formats the ``format`` operation accepts (canonical spellings, SPEC/TEAM contract).
OUTPUT_FORMATS: tuple[str, ...] = ("jpg", "png", "webp", "bmp", "gif", "avif", "tiff", "heic")


class ImageOutput(Record):
    """What ``process_image`` wrote: the final path, pixel size, canonical format and bytes on disk."""

    path: Path
    width: int
    height: int
    format: str
    size: int


class EncodedImage(Record):
    """What ``encode_image`` produced: the encoded bytes, pixel size and canonical format."""

    data: bytes
    width: int
    height: int
    format: str

    @property
    def size(self) -> int:
        return len(self.data)
