"""Formats: the image formats the catalogue uses, the other spellings taken for them, and the file
extension a result in each is named with; the video and audio containers.

One table, because three places used to keep their own: batch mode names an output after the
format it asks for (``format:target=webp`` -> ``photo.webp``), the local provider reads the format a
destination asks for from its extension (``out.jpeg`` -> jpg), and the OSS provider reports the
format of a saved result the same way. Pure data and string work (no I/O): completion imports the
catalogue on every Tab press.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePath
from types import MappingProxyType

VIDEO_CONTAINERS: tuple[str, ...] = ("mp4", "mkv", "mov", "asf", "avi", "mxf", "ts", "flv", "webm")
AUDIO_CONTAINERS: tuple[str, ...] = ("mp3", "aac", "flac", "oga", "ac3", "opus", "amr")  # no video stream
IMAGE_FORMATS: tuple[str, ...] = ("jpg", "png", "webp", "bmp", "gif", "avif", "tiff", "heic")
# What ``format:target=`` takes besides the names (``mediaproc ops format`` lists them).
FORMAT_ALIASES: Mapping[str, str] = MappingProxyType({"jpeg": "jpg", "tif": "tiff", "heif": "heic"})
# File names are spelled in a few more ways than the operation takes.
EXTENSION_ALIASES: Mapping[str, str] = MappingProxyType({**FORMAT_ALIASES, "jpe": "jpg", "jfif": "jpg"})
# The audio/video file extensions a name is read for, and which ``f`` values (VIDEO_CONTAINERS,
# AUDIO_CONTAINERS, video/animation's gif|webp) write what such a file holds. ``.ogg`` holds Vorbis
# (``oga``) or Opus alike; an empty set is a well-known kind no operation writes (``.wav``: PCM in RIFF),
# so asking ``f=mp3`` for ``a.wav`` is a contradiction, not a wish. Extensions not listed say nothing.
MEDIA_EXTENSIONS: Mapping[str, frozenset[str]] = MappingProxyType({
    **{c: frozenset({c}) for c in (*VIDEO_CONTAINERS, *AUDIO_CONTAINERS)},
    "m4v": frozenset({"mp4"}), "m4a": frozenset({"mp4"}), "mka": frozenset({"mkv"}), "qt": frozenset({"mov"}),
    "wmv": frozenset({"asf"}), "wma": frozenset({"asf"}), "mts": frozenset({"ts"}), "m2ts": frozenset({"ts"}),
    "ogg": frozenset({"oga", "opus"}), "gif": frozenset({"gif"}), "webp": frozenset({"webp"}),
    "wav": frozenset(), "aif": frozenset(), "aiff": frozenset(), "mpg": frozenset(), "mpeg": frozenset(),
    "3gp": frozenset(),
})  # fmt: skip


def canonical_format(name: str) -> str:
    """The catalogue's name for a format or extension (``JPEG``, ``.tif`` -> ``jpg``, ``tiff``);
    an unknown name comes back lower-cased, for the engine to refuse with its own message."""
    text = name.strip().lower().lstrip(".")
    return EXTENSION_ALIASES.get(text, text)


def extension(fmt: str) -> str | None:
    """The file extension a result in ``fmt`` is named with (``.jpg``), or None for a name that
    is not an image format."""
    return f".{fmt}" if fmt in IMAGE_FORMATS else None


def format_from_extension(path: PurePath) -> str | None:
    """The format a file name asks for by its extension (``out.jpeg`` -> ``jpg``), None without one."""
    return canonical_format(path.suffix) if path.suffix else None


__all__ = [
    "AUDIO_CONTAINERS",
    "EXTENSION_ALIASES",
    "FORMAT_ALIASES",
    "IMAGE_FORMATS",
    "MEDIA_EXTENSIONS",
    "VIDEO_CONTAINERS",
    "canonical_format",
    "extension",
    "format_from_extension",
]
