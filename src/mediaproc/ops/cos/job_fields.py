"""Media-job fields declared once: our parameter key, its path in the Cloud Infinite job body and
the unit conversion, so that one declaration writes the body (:func:`encode_fields`) and reads it
back for the emulator (:func:`decode_fields`). A field that is written but never read back cannot
happen: the two directions are the same row.

Sources (searched 2026-11-21, read in the docs' source repository tencentyun/qcloud-documents; the
SDK cos-python-sdk-v5 1.9.44 for the request shapes): CreateMediaJobs 436/54013 (``Transcode`` with
``Container/Video/Audio/TimeInterval/TransConfig``; times in seconds, bitrates in kbit/s, where OSS
counts milliseconds and bits/s), Snapshot jobs 436/54005 (``Mode Start TimeInterval Count Format
Width Height SnapshotOutMode`` and ``SpriteSnapshotConfig{CellWidth CellHeight Padding Margin Color
Columns Lines}``), Animation (``Video/AnimateTimeIntervalOfFrame``). Unverified and marked where
used: AdjDarMethod values for OSS ``scaletype``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mediaproc.errors import InvalidOperation
from mediaproc.i18n import _
from mediaproc.ops.catalog.formats import AUDIO_CONTAINERS as CATALOGUE_AUDIO_CONTAINERS
from mediaproc.ops.catalog.hls import M3U8
from mediaproc.ops.catalog.video import SPRITE as SPRITE_SPEC
from mediaproc.ops.cos.common import refuse, to_bps, to_kbps, to_ms, to_secs
from mediaproc.ops.model import Op, OpSpec

__all__ = [
    "ACODECS",
    "AUDIO",
    "AUDIO_CONTAINERS",
    "CONTAINERS",
    "SCALETYPES",
    "SNAPSHOT_MODES",
    "TIME",
    "VCODECS",
    "VIDEO",
    "JobField",
    "Unit",
    "decode_fields",
    "encode_fields",
    "fields_of",
    "get_path",
]

VCODECS: Mapping[str, str] = {"h264": "H.264", "h265": "H.265", "vp9": "VP9", "copy": "copy"}
ACODECS: Mapping[str, str] = {
    "aac": "aac",
    "mp3": "mp3",
    "flac": "flac",
    "vorbis": "Vorbis",
    "ac3": "ac3",
    "opus": "opus",
    "pcm": "pcm_s16le",
    "amr": "amr",
    "copy": "copy",
}
CONTAINERS: Mapping[str, str] = {
    "mp4": "mp4",
    "mkv": "mkv",
    "mov": "mov",
    "avi": "avi",
    "ts": "ts",
    "flv": "flv",
    "webm": "webm",
    "mp3": "mp3",
    "aac": "aac",
    "flac": "flac",
    "oga": "ogg",
    "opus": "opus",
    "amr": "amr",
}
# CI's names of the catalogue's audio-only containers (no video stream), where CI has the container
AUDIO_CONTAINERS = frozenset(CONTAINERS[c] for c in CATALOGUE_AUDIO_CONTAINERS if c in CONTAINERS)
# OSS scaletype -> CI TransConfig/AdjDarMethod (scale, crop, pad, none). Unverified beyond the
# names: CI documents the values, not their exact geometry.
SCALETYPES: Mapping[str, str] = {"crop": "crop", "stretch": "scale", "fill": "pad", "fit": "none"}
SNAPSHOT_MODES: Mapping[str, str] = {"inter": "Interval", "key": "KeyFrame", "avg": "Average"}


@dataclass(frozen=True)
class Unit:
    """How one value crosses the wire. ``out``: our value -> CI text, or a mapping of CI children
    (a size is ``Width`` and ``Height``), or None for "nothing to write" (0 where 0 means "keep the
    source's"). ``back``: what the body holds -> our value, or None. ``names``: a named unit's
    table; a value outside it has no CI spelling and is refused."""

    out: Callable[[Any], Any]
    back: Callable[[Any], Any]
    names: Mapping[str, str] | None = None


def _text_back(value: Any) -> Any:
    return None if isinstance(value, Mapping) else value


def _named(names: Mapping[str, str]) -> Unit:
    def back(value: Any) -> str | None:
        text = str(value).lower()
        for ours, theirs in names.items():
            if theirs.lower() == text:
                return ours
        raise InvalidOperation(_("unsupported value {v!r}").format(v=value), hint=", ".join(names.values()))

    return Unit(out=lambda v: names[str(v)], back=back, names=names)


def _size_back(node: Any) -> str | None:
    if isinstance(node, Mapping) and node.get("Width") and node.get("Height"):
        return f"{node['Width']}x{node['Height']}"
    return None


TEXT = Unit(out=str, back=_text_back)
NONZERO = Unit(out=lambda v: str(v) if v else None, back=_text_back)  # 0 = keep the source's: not written
KBPS = Unit(out=lambda bps: to_kbps(int(bps)), back=to_bps)  # OSS bit/s <-> CI kbit/s
SECS = Unit(out=lambda ms: to_secs(int(ms)), back=to_ms)  # OSS ms <-> CI seconds
SECS_NONZERO = Unit(out=lambda ms: to_secs(int(ms)) if ms else None, back=to_ms)  # 0 = from the start / to the end
FLAG = Unit(out=lambda v: "true" if v else None, back=lambda v: 1 if str(v).lower() == "true" else None)
SIZE = Unit(out=lambda wh: {"Width": str(wh[0]), "Height": str(wh[1])}, back=_size_back)  # s = WxH


@dataclass(frozen=True)
class JobField:
    """One row: ``key`` (ours; None for a constant of the body), ``path`` below the job's node
    (dotted), ``unit``. ``default`` is written when the operation leaves ``key`` out (CI needs a
    value there, or CI's default differs from ours) and read back when the body leaves it out, so
    both sides agree on what an absent value means. ``hint`` is the refusal's advice for a named
    value CI does not have."""

    key: str | None
    path: str
    unit: Unit = TEXT
    default: Any = None
    hint: str | None = field(default=None, compare=False)


def const(path: str, value: str) -> JobField:
    """A value every body of its kind carries (``SnapshotOutMode``), read back by dispatch only."""
    return JobField(None, path, default=value)


# -- the fields shared by several jobs (Transcode, Concat, Animation) ---------------------------------------

CONTAINER = JobField("f", "Container.Format", _named(CONTAINERS))
VIDEO: tuple[JobField, ...] = (
    JobField("vcodec", "Video.Codec", _named(VCODECS)),
    JobField("s", "Video", SIZE),
    JobField("fps", "Video.Fps", NONZERO),
    JobField("vb", "Video.Bitrate", KBPS),
    JobField("crf", "Video.Crf"),
    JobField("pixfmt", "Video.Pixfmt"),
    JobField("maxrate", "Video.Maxrate", KBPS),
    JobField("bufsize", "Video.Bufsize", KBPS),
    JobField("vn", "Video.Remove", FLAG),
)
AUDIO: tuple[JobField, ...] = (
    JobField("acodec", "Audio.Codec", _named(ACODECS)),
    JobField("ar", "Audio.Samplerate"),
    JobField("ab", "Audio.Bitrate", KBPS),
    JobField("ac", "Audio.Channels"),
    JobField("an", "Audio.Remove", FLAG),
)
TIME: tuple[JobField, ...] = (
    JobField("ss", "TimeInterval.Start", SECS_NONZERO),
    JobField("t", "TimeInterval.Duration", SECS_NONZERO),
)
TRANS_CONFIG = JobField("scaletype", "TransConfig.AdjDarMethod", _named(SCALETYPES))
HLS_CONTAINER: tuple[JobField, ...] = (
    const("Container.Format", "hls"),
    # ClipConfig/Duration is the segment length; OSS's st default (the catalogue's, 10 s), written out.
    JobField("st", "Container.ClipConfig.Duration", SECS, default=M3U8.default("st")),
)
SNAPSHOT: tuple[JobField, ...] = (
    JobField(
        "m",
        "Mode",
        _named(SNAPSHOT_MODES),
        default="inter",
        hint=_("use m=inter, key or avg (CI modes Interval, KeyFrame, Average)"),
    ),
    JobField("ss", "Start", SECS_NONZERO),
    JobField("inter", "TimeInterval", SECS),
    JobField("num", "Count"),
    JobField("f", "Format", default="jpg"),
)
FRAME_SIZE: tuple[JobField, ...] = (
    JobField("w", "Width"),
    JobField("h", "Height"),
    const("SnapshotOutMode", "OnlySnapshot"),
)
# A sprite sheet: OSS's pad/margin/columns/lines defaults (the catalogue's: 2, 2, 6, 6) written out (CI's
# own are not in the pages read); the background colour is always Black.
SPRITE: tuple[JobField, ...] = (
    const("SnapshotOutMode", "OnlySprite"),
    JobField("sw", "SpriteSnapshotConfig.CellWidth"),
    JobField("sh", "SpriteSnapshotConfig.CellHeight"),
    JobField("pad", "SpriteSnapshotConfig.Padding", default=SPRITE_SPEC.default("pad")),
    JobField("margin", "SpriteSnapshotConfig.Margin", default=SPRITE_SPEC.default("margin")),
    const("SpriteSnapshotConfig.Color", "Black"),
    JobField("tw", "SpriteSnapshotConfig.Columns", default=SPRITE_SPEC.default("tw")),
    JobField("th", "SpriteSnapshotConfig.Lines", default=SPRITE_SPEC.default("th")),
)
ANIMATION: tuple[JobField, ...] = (
    JobField("f", "Container.Format", default="gif"),
    JobField("f", "Video.Codec"),  # the animation's format is its codec too
    JobField("w", "Video.Width"),
    JobField("h", "Video.Height"),
    JobField("fps", "Video.Fps", NONZERO),
    JobField("inter", "Video.AnimateTimeIntervalOfFrame", SECS),
)


def fields_of(spec: OpSpec, *groups: Iterable[JobField], refused: Iterable[str] = ()) -> tuple[JobField, ...]:
    """The rows of ``groups`` that ``spec`` has a parameter for (constants always), minus
    ``refused``: what an operation's job writes and reads back."""
    skip = set(refused)
    keys = set(spec.param_keys) - skip
    return tuple(f for group in groups for f in group if f.key is None or f.key in keys)


def get_path(node: Any, path: str) -> Any:
    """The value at a dotted ``path``; None where the body has nothing (or a text node) on the way."""
    cur = node
    for part in path.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _put(body: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = body
    for part in parents:
        node = node.setdefault(part, {})
    if isinstance(value, Mapping):
        node.setdefault(leaf, {}).update(value)
    else:
        node[leaf] = value


def encode_fields(op: Op, fields: Iterable[JobField], defaults: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The body ``fields`` write for ``op``, in field order. ``defaults`` adds per-operation values
    to write when the op leaves them out, over each field's own."""
    body: dict[str, Any] = {}
    for f in fields:
        value = f.default if f.key is None else op.params.get(f.key, (defaults or {}).get(f.key, f.default))
        if value is None:
            continue
        try:
            wire = f.unit.out(value)
        except KeyError:
            names = f.unit.names or {}
            raise refuse(
                op.name, f"{f.key}={value}", f.hint or _("choose one of: {names}").format(names=", ".join(names))
            ) from None
        if wire is not None:
            _put(body, f.path, wire)
    return body


def decode_fields(body: Mapping[str, Any], fields: Iterable[JobField], spec: OpSpec) -> dict[str, Any]:
    """Our parameters from a body, by the same rows; a field the body leaves out reads as its
    default. A named value the operation has no choice for (``copy`` in an HLS job, written by
    hand) is left to the operation's own default rather than refused."""
    out: dict[str, Any] = {}
    rows = [(f.key, f) for f in fields if f.key is not None]
    for key, f in rows:  # the first row that finds a value wins (an animation's format: Container, then Codec)
        raw = get_path(body, f.path)
        if out.get(key) is None and raw not in (None, ""):
            out[key] = f.unit.back(raw)
    for key, f in rows:
        if out.get(key) is None:
            out[key] = f.default
        param = spec.param(key)
        if param is not None and param.choices and out[key] is not None and str(out[key]) not in param.choices:
            out[key] = None
    return out
