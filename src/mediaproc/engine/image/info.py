"""``image/info`` and ``image/average-hue`` for local files, in the OSS JSON shapes."""

from __future__ import annotations

from pathlib import Path

import pyvips

from mediaproc import TYPE_CHECKING
from mediaproc.engine.image.load import load, media_error, normalise, probe
from mediaproc.record import replace

if TYPE_CHECKING:
    from typing import Any

# IFD pointers and blobs that are not user-facing values.
_SKIP_TAGS = frozenset({"ExifOffset", "GPSInfo", "InteropOffset", "MakerNote", "PrintImageMatching",
                        "JPEGInterchangeFormat", "JPEGInterchangeFormatLength", "StripOffsets",
                        "StripByteCounts", "TileOffsets", "TileByteCounts", "XMLPacket", "ExifInteroperabilityOffset",
                        "InterColorProfile", "IPTCNAA", "ImageResources"})  # fmt: skip


def _value_str(value: Any) -> str | None:
    """EXIF value as OSS shows it: text as is, rationals as ``n/d``, sequences comma-separated."""
    from PIL.TiffImagePlugin import IFDRational

    if isinstance(value, IFDRational):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, bytes):
        text = value.rstrip(b"\x00")
        if not text:
            return None
        try:
            decoded = text.decode("ascii")
        except UnicodeDecodeError:
            return None
        return decoded if decoded.isprintable() else None
    if isinstance(value, str):
        return value.rstrip("\x00").strip()
    if isinstance(value, (tuple, list)):
        parts = [_value_str(v) for v in value]
        if any(p is None for p in parts):
            return None
        return ", ".join(p for p in parts if p is not None)
    if isinstance(value, (int, float)):
        return str(value)
    return None


def _exif_fields(exif_blob: bytes) -> dict[str, str]:
    """Named EXIF fields (IFD0, Exif, GPS) parsed with Pillow; unknown or binary tags are dropped."""
    from PIL import Image
    from PIL.ExifTags import GPSTAGS, IFD, TAGS

    exif = Image.Exif()
    try:
        exif.load(exif_blob)
    except Exception:  # malformed EXIF must not make info fail
        return {}
    out: dict[str, str] = {}

    def add(tags: dict[int, Any], names: dict[int, str]) -> None:
        for tag, value in tags.items():
            name = names.get(tag)
            if not name or name in _SKIP_TAGS:
                continue
            text = _value_str(value)
            if text is not None and text != "":
                out.setdefault(name, text)

    add(dict(exif.items()), TAGS)
    for ifd, names in ((IFD.Exif, TAGS), (IFD.GPSInfo, GPSTAGS)):
        try:
            add(dict(exif.get_ifd(ifd).items()), names)
        except Exception:
            continue
    return out


def image_info(src: Path) -> dict[str, Any]:
    """``{"FileSize":{"value":"21839"},"Format":{"value":"jpg"},"FrameCount":{"value":"1"},
    "ImageHeight":...,"ImageWidth":...}`` plus EXIF fields when present; keys sorted, values strings
    (the OSS shape). FrameCount is one of the fields OSS always returns ("Query image information",
    help.aliyun.com/en/oss/user-guide/query-the-exif-data-of-an-image-4); it was missing."""
    source = probe(Path(src))
    fields: dict[str, str] = {
        "FileSize": str(source.path.stat().st_size),
        "Format": source.format,
        "FrameCount": str(source.pages),
        "ImageHeight": str(source.height),
        "ImageWidth": str(source.width),
    }
    exif_blob: bytes | None = None
    if not source.via_pillow:
        try:
            head = pyvips.Image.new_from_file(str(source.path), access="sequential")
            if head.get_typeof("exif-data"):
                exif_blob = bytes(head.get("exif-data"))
        except pyvips.Error as err:
            raise media_error(source.path, err) from err
    if exif_blob:
        for name, value in _exif_fields(exif_blob).items():
            fields.setdefault(name, value)
    return {k: {"value": fields[k]} for k in sorted(fields)}


def average_hue(src: Path) -> dict[str, str]:
    """Mean colour as ``{"RGB": "0xrrggbb"}``; alpha-weighted so transparent pixels do not count.

    Computed on a shrink-on-load thumbnail: box-filtered reduction keeps the mean, at a fraction of
    the cost of decoding every pixel.
    """
    source = probe(Path(src))
    try:
        if source.via_pillow or source.animated:
            img = load(replace(source, pages=1)).frames[0]  # the first frame, like a still
        else:
            thumb = pyvips.Image.thumbnail(str(source.path), 256, height=256, no_rotate=True, fail_on="error")
            img = normalise(thumb).copy_memory()  # read once: the bands are averaged separately below
        if img.hasalpha():
            a = img.extract_band(3).cast("double") / 255.0
            total = a.avg()
            if total <= 0:
                means = [0.0, 0.0, 0.0]
            else:
                means = [(img.extract_band(i).cast("double") * a).avg() / total for i in range(3)]
        else:
            means = [img.extract_band(i).avg() for i in range(3)]
    except pyvips.Error as err:
        raise media_error(source.path, err) from err
    r, g, b = (max(0, min(255, round(m))) for m in means)
    return {"RGB": f"0x{r:02x}{g:02x}{b:02x}"}
