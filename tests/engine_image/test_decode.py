"""The JPEG decode under a leading downscale: libvips' shrink-on-load, what the Pillow path of
``small`` decodes instead, and the header gate that picks between them without importing Pillow.

Both paths rely on one fact measured here: at each DCT scale libvips' shrink-on-load and Pillow's
``draft`` give the same pixels (libjpeg's scaled IDCT in both), libvips rounding a scaled side down
where libjpeg rounds it up (the last partial pixel dropped, as ``thumbnail`` does).
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import numpy as np
import pytest
import pyvips
from PIL import Image

from mediaproc.engine.image import header
from mediaproc.engine.image.header import Header, read_header
from mediaproc.engine.image.jpegq import estimate_quality

from .helpers import DATA

# (size, mode, encoder options): sides no DCT scale divides, every chroma layout, progressive, grey.
SOURCES = {
    "444": ((1001, 777), "RGB", {"quality": 90, "subsampling": 0}),
    "422": ((999, 705), "RGB", {"quality": 85, "subsampling": 1}),
    "420-progressive": ((1603, 1201), "RGB", {"quality": 80, "subsampling": 2, "progressive": True}),
    "grey": ((1203, 907), "L", {"quality": 80}),
    "even": ((1600, 1200), "RGB", {"quality": 92}),
}


@pytest.fixture(scope="module")
def jpegs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("decode")
    out: dict[str, Path] = {}
    with Image.open(DATA / "astronaut.png") as im:
        rgb = im.convert("RGB")
    for name, (size, mode, options) in SOURCES.items():
        out[name] = d / f"{name}.jpg"
        rgb.resize(size, Image.Resampling.LANCZOS).convert(mode).save(out[name], **options)
    return out


@pytest.mark.parametrize("shrink", [2, 4, 8])
@pytest.mark.parametrize("name", list(SOURCES))
def test_shrink_on_load_decodes_what_pillow_draft_does(jpegs: dict[str, Path], name: str, shrink: int) -> None:
    src = jpegs[name]
    vips = pyvips.Image.new_from_file(str(src), shrink=shrink, access="sequential")
    with Image.open(src) as im:
        width, height = im.size
        im.draft(im.mode, (width // shrink, height // shrink))  # as small._run asks
        im.load()
        pil = np.asarray(im)
    assert pil.shape[:2] == (-(-height // shrink), -(-width // shrink))  # libjpeg: rounded up, 1/shrink exactly
    assert (vips.width, vips.height) == (width // shrink, height // shrink)  # libvips: rounded down
    decoded = vips.numpy()
    if decoded.ndim == 3 and pil.ndim == 2:
        decoded = decoded[:, :, 0]
    assert np.array_equal(decoded, pil[: vips.height, : vips.width])


def test_header_gate_reads_what_libvips_and_pillow_read(jpegs: dict[str, Path], tmp_path: Path) -> None:
    """Size and orientation as libvips reads them, quantization tables as Pillow does."""
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "camera"
    with Image.open(DATA / "chelsea.png") as im:
        rgb = im.convert("RGB").resize((160, 120))
    rgb.save(tmp_path / "turned.jpg", quality=88, exif=exif.tobytes(), xmp=b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>")
    rgb.save(tmp_path / "turned.png", exif=exif.tobytes())
    rgb.save(tmp_path / "plain.png")
    for path in [*jpegs.values(), tmp_path / "turned.jpg", tmp_path / "turned.png", tmp_path / "plain.png",
                 DATA / "rocket.jpg", DATA / "astronaut.png"]:
        head = pyvips.Image.new_from_file(str(path))
        orientation = int(head.get("orientation")) if head.get_typeof("orientation") else 1
        with Image.open(path) as im:
            tables = {k: list(v) for k, v in getattr(im, "quantization", {}).items()}
        fmt = "jpg" if path.suffix == ".jpg" else "png"
        assert read_header(path) == Header(fmt, head.width, head.height, orientation, tables), path.name
    turned = read_header(tmp_path / "turned.jpg")
    assert turned is not None
    assert (turned.format, turned.width, turned.height, turned.orientation) == ("jpg", 160, 120, 6)
    assert estimate_quality(tmp_path / "turned.jpg") == 88  # jpegq reads the same DQT segments


@pytest.mark.parametrize("content", [b"", b"\xff\xd8", b"\xff\xd8\xff\xc0\x00\x03", b"\x89PNG\r\n\x1a\n\x00",
                                     b"GIF89a\x01\x00\x01\x00", b"not an image at all"])
def test_header_gate_says_none_for_what_it_cannot_read(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "x").write_bytes(content)
    assert read_header(tmp_path / "x") is None
    assert read_header(tmp_path / "missing") is None


def test_header_gate_never_raises_on_damaged_headers(tmp_path: Path) -> None:
    """Truncations and byte flips of a JPEG (EXIF, ICC, DQT) and a PNG (eXIf): a Header or
    None, never an exception (serve reads uploaded files through it)."""
    exif = Image.Exif()
    exif[0x0112] = 8
    with Image.open(DATA / "astronaut.png") as im:
        rgb, icc = im.convert("RGB").resize((96, 64)), im.info["icc_profile"]
    jpg, png = tmp_path / "a.jpg", tmp_path / "a.png"
    rgb.save(jpg, quality=80, exif=exif.tobytes(), icc_profile=icc)
    rgb.save(png, exif=exif.tobytes())
    rng = np.random.default_rng(3)
    for good in (jpg, png):
        data = good.read_bytes()
        end = data.index(b"\xff\xda") + 2 if good is jpg else data.index(b"IDAT") + 4
        damaged = [data[:n] for n in sorted({*range(64), *range(0, end + 1, 7), end})]
        for _ in range(300):
            flipped = bytearray(data[:end])
            flipped[int(rng.integers(0, end))] = int(rng.integers(0, 256))
            damaged.append(bytes(flipped))
        for i, body in enumerate(damaged):
            (tmp_path / "x").write_bytes(body)
            head = read_header(tmp_path / "x")
            assert head is None or isinstance(head, Header), i
        head = read_header(good)
        assert head is not None and head.orientation == 8


class _CountingReads(io.BytesIO):
    """A file whose reads are counted: how long a walk through it was, without a clock."""

    reads = 0

    def read(self, size: int | None = -1, /) -> bytes:
        self.reads += 1
        return super().read(size)


@pytest.mark.parametrize("filler", ["zeros", "fill-bytes", "restart-markers", "tiny-segments", "png-chunks"])
def test_header_gate_stops_early_on_crafted_headers(tmp_path: Path, filler: str) -> None:
    """8 MB of what a header walk would otherwise step through a few bytes at a time, before the
    frame header or image data: None (libvips then reads the file), after a bounded number of reads."""
    size = 8 << 20
    if filler == "png-chunks":
        ihdr = b"IHDR" + (64).to_bytes(4, "big") * 2 + b"\x08\x02\x00\x00\x00"
        chunk = b"\x00\x00\x00\x00teXt" + zlib.crc32(b"teXt").to_bytes(4, "big")
        body = b"\x89PNG\r\n\x1a\n" + (13).to_bytes(4, "big") + ihdr + zlib.crc32(ihdr).to_bytes(4, "big")
        body += chunk * (size // len(chunk))
    else:
        unit = {"zeros": b"\x00", "fill-bytes": b"\xff", "restart-markers": b"\xff\xd0",
                "tiny-segments": b"\xff\xe0\x00\x02"}[filler]
        body = b"\xff\xd8" + unit * (size // len(unit))
    (tmp_path / "x").write_bytes(body)
    assert read_header(tmp_path / "x") is None
    fh = _CountingReads(body)
    if filler == "png-chunks":
        assert header._png(fh) is None
    else:
        assert list(header.jpeg_segments(fh, lambda code: code == 0xDA)) == []  # the scan never reached
    assert fh.reads <= 4 * header._STEP_LIMIT  # a few reads per marker, at most _STEP_LIMIT markers


def _tiff_orientation(order: str, kind: int, value: int) -> bytes:
    """A one-entry IFD0 with the orientation tag written as TIFF field type ``kind``."""
    import struct

    fmt = {3: "H", 4: "I", 8: "h", 9: "i"}[kind]
    e = "<" if order == "II" else ">"
    payload = struct.pack(e + fmt, value).ljust(4, b"\0")
    return (order.encode() + struct.pack(e + "HI", 42, 8) + struct.pack(e + "H", 1)
            + struct.pack(e + "HHI", 0x0112, kind, 1) + payload + struct.pack(e + "I", 0))


@pytest.mark.parametrize("kind", [3, 4, 8, 9])  # SHORT as the standard says; LONG, SSHORT, SLONG as writers do
@pytest.mark.parametrize("order", ["II", "MM"])
def test_an_orientation_of_any_integer_type_is_read_as_libvips_reads_it(tmp_path: Path, order: str, kind: int) -> None:
    from mediaproc.engine.image import encode_image
    from mediaproc.engine.image.small import encode_small
    from mediaproc.ops.parse import parse_chain

    tiff = _tiff_orientation(order, kind, 6)
    with Image.open(DATA / "chelsea.png") as im:
        rgb = im.convert("RGB").resize((64, 48))
    rgb.save(tmp_path / "o.jpg", quality=90, exif=b"Exif\0\0" + tiff)
    rgb.save(tmp_path / "o.png", exif=b"Exif\0\0" + tiff)
    ops = parse_chain(["auto-orient", "resize:w=40"]).ops
    for path in (tmp_path / "o.jpg", tmp_path / "o.png"):
        head = pyvips.Image.new_from_file(str(path))
        assert int(head.get("orientation")) == 6, path.name
        found = read_header(path)
        assert found is not None and found.orientation == 6, path.name
        small = encode_small(path, ops)
        assert small is not None and (small.width, small.height) == (40, 53), path.name  # turned, then resized
        full = encode_image(path, ops)  # libvips' path when the image is not small, Pillow's when it is
        assert (small.width, small.height) == (full.width, full.height)
