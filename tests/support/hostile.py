"""Hostile inputs, made in a few milliseconds: small files that claim to be huge, and requests that ask
for huge results. The tests (``tests/hostile/``) and ``benchmarks/hostile.py`` send the same ones.

Every file here is a few hundred bytes to a few hundred kilobytes; what makes it hostile is what its
header claims (100000 x 100000 px, 10,000 frames, 149 hours of audio), which a decoder that believed
it would try to allocate. Each is built from a tiny real file whose header is rewritten, so every byte
before the claim is what a real encoder writes.
"""

from __future__ import annotations

import base64
import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` (RGB), with 64 bytes of pixel data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def jpeg_claiming(width: int, height: int) -> bytes:
    """A real 8x8 JPEG whose SOF0 frame header is rewritten to ``width`` x ``height`` (at most 65535)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 40, 40)).save(buf, "JPEG", quality=80)
    data = bytearray(buf.getvalue())
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)  # FF C0, length (2), precision (1), height, width
    return bytes(data)


def webp_claiming(width: int, height: int) -> bytes:
    """A real 1x1 lossless WebP whose VP8L header is rewritten to ``width`` x ``height`` (at most 16384)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (1, 1), (10, 200, 10)).save(buf, "WEBP", lossless=True)
    data = bytearray(buf.getvalue())
    at = data.find(b"VP8L") + 8  # chunk tag (4), size (4), then the 0x2F signature
    assert data[at] == 0x2F
    bits = struct.unpack_from("<I", data, at + 1)[0]
    bits = (bits & ~0x0FFFFFFF) | (width - 1) | ((height - 1) << 14)
    struct.pack_into("<I", data, at + 1, bits)
    return bytes(data)


def tiff_claiming(width: int, height: int) -> bytes:
    """A little-endian, uncompressed, 8-bit grey TIFF whose tags claim ``width`` x ``height``, with one
    tiny strip of data."""
    strip = b"\0" * 16
    entries = [  # tag, type (3 SHORT, 4 LONG), count, value
        (256, 4, 1, width),
        (257, 4, 1, height),
        (258, 3, 1, 8),
        (259, 3, 1, 1),
        (262, 3, 1, 1),
        (273, 4, 1, 0),  # StripOffsets: patched below
        (277, 3, 1, 1),
        (278, 4, 1, height),
        (279, 4, 1, len(strip)),
    ]
    ifd_offset = 8
    ifd_size = 2 + 12 * len(entries) + 4
    strip_offset = ifd_offset + ifd_size
    out = bytearray(b"II*\0" + struct.pack("<I", ifd_offset))
    out += struct.pack("<H", len(entries))
    for tag, kind, count, value in entries:
        value = strip_offset if tag == 273 else value
        packed = struct.pack("<HHI", tag, kind, count)
        packed += struct.pack("<HH", value, 0) if kind == 3 else struct.pack("<I", value)
        out += packed
    out += struct.pack("<I", 0)
    return bytes(out + strip)


# GIF, written by hand: a 2-colour global table, and frames of one pixel each (index 0), LZW-coded with
# a minimum code size of 2: clear (4), 0, end (5) in 3-bit codes, least significant bit first.
_GIF_PIXEL = b"\x02\x02\x44\x01\x00"  # min code size, a 2-byte sub-block, the block terminator
_GIF_LOOP = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"


def _gif(width: int, height: int, frames: int) -> bytes:
    screen = b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    control = b"\x21\xf9\x04\x00\x0a\x00\x00\x00"  # no disposal, 0.1 s
    image = b"\x2c" + struct.pack("<HHHHB", 0, 0, width, height, 0) + _GIF_PIXEL
    return screen + (_GIF_LOOP if frames > 1 else b"") + (control + image) * frames + b"\x3b"


def gif_claiming(width: int, height: int) -> bytes:
    """A one-pixel GIF whose screen and image descriptor claim ``width`` x ``height`` (at most 65535)."""
    return _gif(width, height, 1)


def gif_frames(count: int) -> bytes:
    """A 1x1 GIF of ``count`` frames (10,000 frames are 230 kB)."""
    return _gif(1, 1, count)


def flv_claiming(seconds: float) -> bytes:
    """A real one-second 32x32 FLV (made by ffmpeg) whose ``onMetaData`` claims ``seconds``: ffmpeg's FLV
    demuxer takes the duration from there, as players do."""
    import subprocess
    import tempfile

    from mediaproc.engine.av import ffmpeg_exe

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "clip.flv"
        subprocess.run(
            [ffmpeg_exe(), "-loglevel", "error", "-y", "-f", "lavfi", "-i", "color=c=red:size=32x32:rate=5:duration=1",
             "-c:v", "flv1", str(out)],
            check=True,
        )  # fmt: skip
        data = bytearray(out.read_bytes())
    at = data.find(b"duration")
    assert at > 0 and data[at + 8] == 0  # an AMF0 number follows the name
    struct.pack_into(">d", data, at + 9, float(seconds))
    return bytes(data)


def wav_claiming(seconds: int, rate: int = 8000) -> bytes:
    """A WAV (8-bit mono) whose header claims ``seconds`` of audio, with a tenth of a second of it."""
    size = min(seconds * rate, 0xFFFFFFF0)
    body = b"\x80" * (rate // 10)
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate, 1, 8)
    return (
        b"RIFF" + struct.pack("<I", size + 36) + b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt
        + b"data" + struct.pack("<I", size) + body
    )  # fmt: skip


def b64(text: str) -> str:
    """URL-safe base64 without padding, as OSS process strings carry text."""
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


@dataclass(frozen=True)
class HostileFile:
    """A hostile source file: its name (the extension matters), how to make it, the limit it trips."""

    name: str
    make: Callable[[], bytes]
    limit: str


# The decompression bombs of issue 19: tiny files claiming 100000 x 100000 px (or the most their format
# can claim), and a GIF of 10,000 frames.
HOSTILE_IMAGES: tuple[HostileFile, ...] = (
    HostileFile("bomb.png", lambda: png_claiming(100_000, 100_000), "source_side"),
    HostileFile("bomb.jpg", lambda: jpeg_claiming(65_000, 65_000), "source_side"),
    HostileFile("bomb.webp", lambda: webp_claiming(16_383, 16_383), "source_pixels"),
    HostileFile("bomb.tiff", lambda: tiff_claiming(100_000, 100_000), "source_side"),
    HostileFile("bomb.gif", lambda: gif_claiming(65_000, 65_000), "source_side"),
    HostileFile("frames.gif", lambda: gif_frames(10_000), "source_frames"),
)

LONG_TEXT = "W" * 4000  # the watermark: 4,000 bytes decoded, at size 1000 (a 22 GB server)


def honest_jpeg(width: int = 160, height: int = 120) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.radial_gradient("L").resize((width, height)).convert("RGB").save(buf, "JPEG", quality=85)
    return buf.getvalue()


def prepare(work: Path) -> None:
    """Write every file the :data:`CASES` name into ``work``."""
    for f in HOSTILE_IMAGES:
        (work / f.name).write_bytes(f.make())
    (work / "a.jpg").write_bytes(honest_jpeg(400, 300))
    (work / "days.flv").write_bytes(flv_claiming(149 * 3600))
    (work / "hour.flv").write_bytes(flv_claiming(3600))
    (work / "clip.flv").write_bytes(flv_claiming(1))


# The local command of each hostile input (``{dir}``: the folder :func:`prepare` filled).
@dataclass(frozen=True)
class Case:
    """One command: what it runs (``{dir}`` is the work folder), and the limit it must trip."""

    id: str
    args: tuple[str, ...]
    limit: str
    wrote: str = "out"  # what must not exist afterwards (relative to the work folder)

    def command(self, work: Path) -> list[str]:
        """The ``mediaproc`` arguments, for the files :func:`prepare` wrote into ``work``."""
        return ["--no-progress", *(a.format(dir=work, text=b64(LONG_TEXT)) for a in self.args)]


CASES: tuple[Case, ...] = (
    *(Case(f"bomb-{f.name}", ("process", "{dir}/" + f.name, "resize:w=100", "--to", "{dir}/out"), f.limit)
      for f in HOSTILE_IMAGES),
    Case("info-bomb", ("image", "info", "{dir}/bomb.png"), "source_side"),
    Case("info-frames", ("image", "info", "{dir}/frames.gif"), "source_frames"),
    Case("watermark-text", ("process", "{dir}/a.jpg", f"watermark:text={LONG_TEXT},size=1000", "--to", "{dir}/out"),
         "text_bytes"),
    Case("watermark-text-area", ("process", "{dir}/a.jpg", f"watermark:text={'W' * 60},size=1000",
                                 "--to", "{dir}/out"), "text_pixels"),
    Case("watermark-native", ("process", "{dir}/a.jpg", "image/watermark,text_{text},size_1000", "--to", "{dir}/out"),
         "text_bytes"),
    Case("pad", ("process", "{dir}/a.jpg", "resize:m=pad,w=16384,h=16384,limit=0", "--to", "{dir}/out"),
         "output_pixels"),
    Case("enlarge", ("process", "{dir}/a.jpg", "resize:p=1000", "resize:p=1000", "resize:p=1000", "--to", "{dir}/out"),
         "output_pixels"),
    Case("circle-on-pad", ("process", "{dir}/a.jpg", "resize:m=pad,w=16384,h=16384,limit=0", "circle:r=4096",
                           "--to", "{dir}/out"), "output_pixels"),
    Case("chain", ("process", "{dir}/a.jpg", *(["bright:v=1"] * 40), "--to", "{dir}/out"), "chain_ops"),
    Case("process-string", ("process", "{dir}/a.jpg", "image/" + "bright,1/" * 2000, "--to", "{dir}/out"),
         "process_chars"),
    Case("duration", ("process", "{dir}/days.flv", "video/convert:f=mp4", "--to", "{dir}/out.mp4"),
         "media_seconds", "out.mp4"),
    Case("snapshots", ("process", "{dir}/hour.flv", "video/snapshots:f=jpg,inter=100", "--to", "{dir}/out/"),
         "output_frames"),
    Case("animation-frames", ("process", "{dir}/hour.flv", "video/animation:f=gif", "--to", "{dir}/out.gif"),
         "output_frames", "out.gif"),
    Case("animation-pixels", ("process", "{dir}/hour.flv", "video/animation:f=gif,w=4096,h=4096,t=10000",
                              "--to", "{dir}/out.gif"), "output_pixels", "out.gif"),
    Case("sprite", ("process", "{dir}/clip.flv", "video/sprite:f=jpg,sw=4096,sh=4096,tw=100,th=100,num=4",
                    "--to", "{dir}/out.jpg"), "sprite_side", "out.jpg"),
    Case("concat-inputs", ("process", "{dir}/clip.flv", "video/concat:f=mp4,vcodec=h264,acodec=aac",
                           *(a for _ in range(11) for a in ("--input", "{dir}/clip.flv")), "--to", "{dir}/out.mp4"),
         "concat_inputs", "out.mp4"),
)  # fmt: skip
