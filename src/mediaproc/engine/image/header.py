"""What a JPEG or PNG header says (format, size, EXIF orientation, quantization tables), read in
plain Python.

This is what ``small`` decides from before it imports Pillow (which then only decodes): whether a
source may take the Pillow path depends on its size. Reading the header with Pillow would import
Pillow (15-20 ms: most of what a one-shot run of a large image could save) for images libvips
then decodes anyway; libvips' own header read costs 0.1-0.2 ms, a quarter of the whole Pillow path
of a 160x120 thumbnail. Walking the few header segments here costs ~20 us and imports nothing. No
library does only this without heavy imports (``imagesize`` pulls in ``urllib.request``: 50 ms).

Only what is needed is read. Anything unexpected (another format, a truncated or odd header) gives
None, never an exception: the caller then lets libvips take the image, which reports what is wrong
with it.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from pathlib import Path

from mediaproc import TYPE_CHECKING
from mediaproc.record import Record

if TYPE_CHECKING:
    from typing import BinaryIO

_STANDALONE = frozenset({0x01, 0xD8, *range(0xD0, 0xD8)})  # JPEG markers without a length field
# Start-of-frame markers (T.81 B.1.1.3): every SOFn except DHT (C4), JPG (C8) and DAC (CC).
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_APP1 = 0xE1
_SOS = 0xDA
DQT = 0xDB
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# A crafted header must not make these walks take long: bytes between JPEG segments, and markers or
# chunks read (a real header has tens; an ICC profile split into 64 KB segments a few hundred more),
# tolerated before giving up (None: libvips reads the file and says what is wrong).
_GARBAGE_LIMIT = 1 << 20
_STEP_LIMIT = 10_000
_ORIENTATION_TAG = 0x0112


class Header(Record):
    """Format (``jpg`` or ``png``), stored size, EXIF orientation (1-8; 1 without one) and a JPEG's
    quantization tables (natural order, by table id; empty for PNG).

    A :class:`~mediaproc.record.Record`, as every class a one-shot run builds."""

    format: str
    width: int
    height: int
    orientation: int
    tables: dict[int, list[int]]


def jpeg_segments(fh: BinaryIO, wanted: Callable[[int], bool]) -> Iterator[tuple[int, bytes]]:
    """The marker code and payload of each JPEG header segment ``wanted`` keeps, in file order, up
    to the first scan (SOS itself, when wanted, with no payload: the header was read to its end);
    the others are skipped unread. Nothing (not a JPEG) or fewer (truncated, or past the walk's
    limits) is not an error: the caller decides what a missing segment means."""
    if fh.read(2) != b"\xff\xd8":
        return
    garbage, steps = 0, 0
    while steps < _STEP_LIMIT:
        steps += 1
        byte = fh.read(1)
        if not byte:
            return
        if byte != b"\xff":
            # Bytes between segments (libjpeg skips them with a warning): find the next 0xFF a block
            # at a time (not megabytes one byte at a time), up to _GARBAGE_LIMIT of them.
            block = fh.read(4096)
            at = block.find(b"\xff")
            garbage += len(block) if at < 0 else at
            if at < 0:
                if not block or garbage > _GARBAGE_LIMIT:
                    return
                continue
            fh.seek(at - len(block) + 1, 1)  # just past that 0xFF
        marker = fh.read(1)
        while marker == b"\xff" and steps < _STEP_LIMIT:  # fill bytes
            marker, steps = fh.read(1), steps + 1
        if not marker or marker == b"\xff":
            return
        code = marker[0]
        if code in _STANDALONE:
            continue
        if code in (_SOS, 0xD9):  # start of scan / end of image: the header ends here
            if code == _SOS and wanted(code):
                yield code, b""  # the header was read to its end
            return
        raw = fh.read(2)
        if len(raw) < 2:
            return
        length = max(0, struct.unpack(">H", raw)[0] - 2)
        if wanted(code):
            yield code, fh.read(length)
        else:
            fh.seek(length, 1)


def read_header(path: Path) -> Header | None:
    """The header of a JPEG or PNG file, or None (another format, unreadable, odd)."""
    try:
        with open(path, "rb") as fh:
            start = fh.read(8)
            fh.seek(0)
            if start.startswith(b"\xff\xd8"):
                return _jpeg(fh)
            if start == _PNG_SIGNATURE:
                return _png(fh)
    except (OSError, struct.error):
        pass
    return None


# Position in the natural (row-major) 8x8 order of each coefficient in the file's zigzag order.
_ZIGZAG = (
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
    12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
    35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
    58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
)  # fmt: skip


def add_tables(segment: bytes, tables: dict[int, list[int]]) -> None:
    """The quantization tables of one DQT segment into ``tables`` (natural order, by table id)."""
    i = 0
    while i < len(segment):
        precision, table_id = segment[i] >> 4, segment[i] & 0x0F
        i += 1
        size = 128 if precision else 64
        chunk = segment[i : i + size]
        if len(chunk) < size:
            break
        values = struct.unpack(">64H", chunk) if precision else tuple(chunk)
        i += size
        natural = [0] * 64
        for k, v in enumerate(values):
            natural[_ZIGZAG[k]] = v
        tables[table_id] = natural


def _jpeg(fh: BinaryIO) -> Header | None:
    """SOF, EXIF and DQT segments up to the first scan (a DQT may follow the SOF)."""
    orientation, size, exif_seen, complete = 1, None, False, False
    tables: dict[int, list[int]] = {}
    for code, data in jpeg_segments(fh, lambda c: c in _SOF or c in (_APP1, DQT, _SOS)):
        if code == _SOS:
            complete = True
        elif code == DQT:
            add_tables(data, tables)
        elif code == _APP1:
            if data.startswith(b"Exif\0\0") and not exif_seen:  # the first one, as Pillow reads it
                exif_seen = True
                orientation = _exif_orientation(data[6:])
        elif size is None and len(data) >= 5:
            height, width = struct.unpack(">HH", data[1:5])
            size = (width, height)
    if not complete or size is None or size[0] < 1 or size[1] < 1:
        return None  # cut short, no frame header, or a height set later by a DNL segment: libvips takes it
    return Header("jpg", size[0], size[1], orientation, tables)


def _png(fh: BinaryIO) -> Header | None:
    """IHDR, then the chunks up to the first IDAT for an ``eXIf`` orientation (PNG 1.2 extensions)."""
    fh.seek(8)
    size: tuple[int, int] | None = None
    orientation = 1
    for _step in range(_STEP_LIMIT):
        head = fh.read(8)
        if len(head) < 8:
            return None  # cut short before the image data
        length, kind = struct.unpack(">I4s", head)
        if kind == b"IHDR":
            size = struct.unpack(">II", fh.read(8))
            fh.seek(length - 8 + 4, 1)
        elif kind == b"eXIf":
            orientation = _exif_orientation(fh.read(length))
            fh.seek(4, 1)
        elif kind in (b"IDAT", b"IEND"):
            break
        else:
            fh.seek(length + 4, 1)  # the payload and its CRC
    else:
        return None  # past the walk's limit before the image data
    if size is None or size[0] < 1 or size[1] < 1:
        return None
    return Header("png", size[0], size[1], orientation, {})


def _exif_orientation(tiff: bytes) -> int:
    """Tag 0x0112 of IFD0 in a TIFF-structured EXIF block; 1 when absent or out of range."""
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None or len(tiff) < 8:
        return 1
    (ifd,) = struct.unpack(order + "I", tiff[4:8])
    if ifd + 2 > len(tiff):
        return 1
    (count,) = struct.unpack(order + "H", tiff[ifd : ifd + 2])
    for i in range(count):
        entry = tiff[ifd + 2 + 12 * i : ifd + 14 + 12 * i]
        if len(entry) < 12:
            break
        tag, kind = struct.unpack(order + "HH", entry[:4])
        if tag == _ORIENTATION_TAG and kind in _INTEGER_TYPES:
            (value,) = struct.unpack(order + _INTEGER_TYPES[kind], entry[8 : 8 + struct.calcsize(_INTEGER_TYPES[kind])])
            return value if 1 <= value <= 8 else 1
    return 1


# TIFF field types an orientation may be written as, and how to read one: SHORT, LONG, SSHORT, SLONG. The
# standard says SHORT; some writers store LONG, and Pillow and libvips (libexif) read all four, so this does.
_INTEGER_TYPES = {3: "H", 4: "I", 8: "h", 9: "i"}


__all__ = ["DQT", "Header", "add_tables", "jpeg_segments", "read_header"]
