"""Pieces shared by the media operations: containers, codecs, sizes and the scale filters.

The OSS names (``f=mkv``, ``vcodec=h265``, ``scaletype=fit``) are mapped to ffmpeg here, once.
Scaletype semantics follow IMM's ``ScaleType`` (the service behind OSS media processing):
``stretch`` (default) forces W x H; ``crop`` scales to cover W x H and cuts the centre; ``fill``
scales to fit inside W x H and pads the rest black; ``fit`` scales to fit inside W x H and the
output keeps that fitted size. Sizes are computed here in Python, from the probed (rotated) source
size, so the output size is known before ffmpeg runs and tests can hold it to the pixel.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from mediaproc import TYPE_CHECKING
from mediaproc.errors import InvalidOperation, MediaError
from mediaproc.i18n import _
from mediaproc.ops.catalog.formats import AUDIO_CONTAINERS
from mediaproc.ops.model import Op
from mediaproc.record import Record

if TYPE_CHECKING:  # typing for type checkers only: not imported on a one-shot run (mediaproc.TYPE_CHECKING)
    from typing import Any, Literal

# The ffmpeg muxer of each container the catalogue's ``f`` takes (ops/catalog/formats.py: VIDEO_CONTAINERS,
# AUDIO_CONTAINERS); tests/test_shared_facts.py holds the keys to that list.
MUXERS: dict[str, str] = {
    "mp4": "mp4",
    "mkv": "matroska",
    "mov": "mov",
    "asf": "asf",
    "avi": "avi",
    "mxf": "mxf",
    "ts": "mpegts",
    "flv": "flv",
    "webm": "webm",
    "mp3": "mp3",
    "aac": "adts",
    "flac": "flac",
    "oga": "oga",
    "ac3": "ac3",
    "opus": "opus",
    "amr": "amr",
}
AUDIO_ONLY = AUDIO_CONTAINERS  # the containers with no video stream: the catalogue's list

VIDEO_ENCODERS = {"h264": "libx264", "h265": "libx265", "vp9": "libvpx-vp9"}
AUDIO_ENCODERS = {
    "aac": "aac",
    "mp3": "libmp3lame",
    "opus": "libopus",
    "vorbis": "libvorbis",
    "flac": "flac",
    "ac3": "ac3",
    "pcm": "pcm_s16le",
    "amr": "libopencore_amrnb",
}
# The audio codec an audio-only container implies, and the default codecs of video containers
# when something must be encoded without the user naming a codec.
FORMAT_ACODEC = {
    "mp3": "mp3",
    "aac": "aac",
    "flac": "flac",
    "oga": "vorbis",
    "ac3": "ac3",
    "opus": "opus",
    "amr": "amr",
}
CONTAINER_VCODEC = {"webm": "vp9"}
CONTAINER_ACODEC = {"webm": "opus", "mxf": "pcm", "avi": "mp3", "asf": "mp3"}

# What a container can hold when streams are copied (ffmpeg codec names); containers not listed
# are left to ffmpeg, which names the problem itself.
COPY_VIDEO_OK: dict[str, frozenset[str]] = {
    "webm": frozenset({"vp8", "vp9", "av1"}),
    "flv": frozenset({"h264", "flv1", "vp6f"}),
    "mp4": frozenset({"h264", "hevc", "mpeg4", "av1", "vp9", "mpeg2video", "mjpeg"}),
    "ts": frozenset({"h264", "hevc", "mpeg2video", "mpeg1video", "av1"}),
}
COPY_AUDIO_OK: dict[str, frozenset[str]] = {
    "webm": frozenset({"vorbis", "opus"}),
    "flv": frozenset({"aac", "mp3"}),
    "mp4": frozenset({"aac", "mp3", "opus", "flac", "ac3", "eac3", "alac"}),
    "ts": frozenset({"aac", "mp3", "ac3", "eac3", "mp2", "opus"}),
    "mp3": frozenset({"mp3"}),
    "aac": frozenset({"aac"}),
    "flac": frozenset({"flac"}),
    "oga": frozenset({"vorbis", "flac", "opus", "speex"}),
    "ac3": frozenset({"ac3"}),
    "opus": frozenset({"opus"}),
    "amr": frozenset({"amr_nb"}),
}
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)


def local_file(path: Path | str) -> str:
    """``path`` as ffmpeg and PyAV must be given a local file: absolute. A relative name with a colon
    (``clip:1.mp4``, ``a:b.jpg``) is read as a URL of the protocol named before the colon ("Protocol not
    found", "Did you mean file:clip:1.mp4?"); an absolute path starts with ``/``, which no protocol name
    holds. The engine's paths all derive from the ones :func:`mediaproc.engine.av.run_media` makes
    absolute with this, and the probe opens files through it."""
    return os.path.abspath(path)


class ConcatPart(Record):
    """One extra input of video/audio concat: a local file before (``pre``) or after (``sur``)
    the source, optionally trimmed (``ss`` start and ``t`` duration, ms)."""

    path: Path
    position: Literal["pre", "main", "sur"] = "sur"  # main: the source itself, between the two
    ss: int | None = None
    t: int | None = None


class MediaOutput(Record):
    """What a media operation wrote: every file, in order (a playlist comes first, then segments)."""

    paths: tuple[Path, ...]
    warnings: tuple[str, ...] = ()


def p_int(op: Op, key: str, default: int | None = None) -> int | None:
    value = op.get(key)
    if value is None:
        return default
    return int(value)


def documented(op: Op, key: str) -> Any:
    """The catalogue's default of ``op``'s parameter ``key`` (None without one): the value the engine
    applies when the user leaves it out, the one the COS encoder writes out (ops/catalog)."""
    param = op.spec.param(key)
    return None if param is None else param.default


def p_str(op: Op, key: str, default: str | None = None) -> str | None:
    value = op.get(key)
    return default if value in (None, "") else str(value).lower()


def p_size(op: Op, key: str) -> tuple[int, int] | None:
    value: Any = op.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        w, _sep, h = value.lower().partition("x")
        return int(w), int(h)
    return int(value[0]), int(value[1])


def seconds(ms: int | None) -> float | None:
    return None if ms is None else ms / 1000.0


def fmt_seconds(value: float) -> str:
    """ffmpeg time argument, floored to the microsecond so it never lands after a frame."""
    return f"{math.floor(max(0.0, value) * 1_000_000) / 1_000_000:.6f}"


def even(x: float) -> int:
    return max(2, round(x / 2.0) * 2)


def scaled_size(
    src: tuple[int, int],
    w: int | None,
    h: int | None,
    *,
    even_dims: bool,
) -> tuple[int, int] | None:
    """One side given: the other keeps the aspect ratio. None when nothing is asked."""
    sw, sh = src
    w = w or None
    h = h or None
    if w is None and h is None:
        return None
    if w is not None and h is not None:
        return (w, h)
    if w is not None:
        oh = sh * w / sw
        return (even(w) if even_dims else w, even(oh) if even_dims else max(1, round(oh)))
    assert h is not None
    ow = sw * h / sh
    return (even(ow) if even_dims else max(1, round(ow)), even(h) if even_dims else h)


def scale_filters(
    src: tuple[int, int],
    size: tuple[int, int] | None,
    scaletype: str | None,
    *,
    even_dims: bool,
    both_given: bool = True,
) -> tuple[list[str], tuple[int, int]]:
    """ffmpeg filters that take a ``src``-sized picture to ``size`` by ``scaletype``; and the result.

    ``both_given`` False means the size came from one side plus the aspect ratio: scale directly.
    With no size, sources with odd sides are cut by one pixel when the encoder needs even sides.
    """
    sw, sh = src
    if size is None:
        if even_dims and (sw % 2 or sh % 2):
            w2, h2 = sw - sw % 2, sh - sh % 2
            return [f"crop={w2}:{h2}:0:0", "setsar=1"], (w2, h2)
        return [], src
    w, h = size
    mode = (scaletype or "stretch") if both_given else "stretch"
    if mode == "stretch" or (sw, sh) == (w, h):
        return [f"scale={w}:{h}:flags=bicubic", "setsar=1"], (w, h)
    if mode == "crop":
        k = max(w / sw, h / sh)
        cw, ch = max(w, math.ceil(sw * k - 1e-9)), max(h, math.ceil(sh * k - 1e-9))
        return [f"scale={cw}:{ch}:flags=bicubic", f"crop={w}:{h}", "setsar=1"], (w, h)
    k = min(w / sw, h / sh)
    fw, fh = min(w, max(1, round(sw * k))), min(h, max(1, round(sh * k)))
    if even_dims:
        fw, fh = min(w, even(fw)), min(h, even(fh))
    if mode == "fit":
        return [f"scale={fw}:{fh}:flags=bicubic", "setsar=1"], (fw, fh)
    if mode == "fill":
        return [
            f"scale={fw}:{fh}:flags=bicubic",
            f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:color=black",
            "setsar=1",
        ], (w, h)
    raise InvalidOperation(
        _("unknown scaletype {value!r}").format(value=mode), hint=_("use crop, stretch, fill or fit")
    )


def no_video(name: str) -> MediaError:
    return MediaError(
        _("{name} has no video stream").format(name=name),
        hint=_("this operation needs a video; for audio use the audio commands"),
        code="NoVideoStream",
    )


def no_audio(name: str) -> MediaError:
    return MediaError(
        _("{name} has no audio stream").format(name=name),
        hint=_("give a file with sound"),
        code="NoAudioStream",
    )
