"""What a probe found in a media file: the records :func:`~mediaproc.engine.av.probe.media_info` returns.

Their own module, below both readers (PyAV's in :mod:`~mediaproc.engine.av.probe`, the pure-Python MP4
one in :mod:`~mediaproc.engine.av.mp4`), so that each builds them without importing the other.
:class:`Timeline` holds a video track's sample tables when the MP4 reader read them:
:func:`~mediaproc.engine.av.probe.locate_frame` finds a frame from them without opening the file again.
"""

from __future__ import annotations

from pathlib import Path

from mediaproc.record import Record, field


class Timeline(Record):
    """A video track's sample tables: enough to list each frame's presentation time and keyframes."""

    time_scale: int
    stts: tuple[tuple[int, int], ...]  # (count, delta)
    ctts: tuple[tuple[int, int], ...]  # (count, offset)
    keyframes: tuple[int, ...] | None  # 0-based sample numbers; None: every sample is one
    shift: int  # the edit list's media time, subtracted from every composition time
    samples: int
    # The track's length as its edit shows it (time_scale units, from 0 after ``shift``): a frame starting at
    # or past it is cut off by the edit, and which packets FFmpeg keeps then (``mov_fix_index``) is its call
    end: int | None = None

    def frames(self) -> tuple[list[int], list[bool]]:
        """Every sample's presentation time (in ``time_scale`` units) and whether it is a keyframe."""
        pts: list[int] = []
        dts = 0
        for count, delta in self.stts:
            if count:
                pts.extend(range(dts, dts + count * delta, delta))
            dts += count * delta
        i = 0
        for count, offset in self.ctts:
            for j in range(i, min(i + count, len(pts))):
                pts[j] += offset
            i += count
        pts = [p - self.shift for p in pts[: self.samples]]
        if self.keyframes is None:
            return pts, [True] * len(pts)
        keys = [False] * len(pts)
        for k in self.keyframes:
            if 0 <= k < len(keys):
                keys[k] = True
        return pts, keys

    def frame_at(self, target: float, *, key_only: bool) -> float | None:
        """The presentation time (seconds) of the frame shown at ``target`` seconds: the latest at or
        before it (the latest keyframe with ``key_only``), or the first one when ``target`` precedes
        them all; compared as ``locate_frame`` compares PyAV's packet times (``int / int`` is exactly
        rounded, as ``float(Fraction)`` is). None when not sure: no candidate, or frames the edit
        cuts off."""
        pts, keys = self.frames()
        if self.end is not None and pts and max(pts) >= self.end:
            return None  # an edit shorter than the media (a trim kept as an edit list): PyAV's packets decide
        candidates = [p for p, k in zip(pts, keys, strict=True) if k or not key_only]
        if not candidates:
            return None
        limit = target + 1e-6
        shown = [p for p in candidates if p / self.time_scale <= limit]
        best = max(shown) if shown else min(candidates)
        return best / self.time_scale


class VideoStreamInfo(Record):
    """One video stream of a probed file."""

    index: int
    codec: str
    codec_long: str
    width: int  # coded size, before rotation
    height: int
    fps: float | None
    rotation: int  # clockwise degrees a player applies: 0, 90, 180, 270
    bit_rate: int | None
    pix_fmt: str | None
    profile: str | None
    frames: int | None
    duration: float | None

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as shown (after rotation metadata is honoured)."""
        if self.rotation in (90, 270):
            return self.height, self.width
        return self.width, self.height


class AudioStreamInfo(Record):
    """One audio stream of a probed file."""

    index: int
    codec: str
    codec_long: str
    sample_rate: int | None
    channels: int | None
    layout: str | None
    sample_fmt: str | None
    bit_rate: int | None
    duration: float | None


class MediaInfo(Record):
    """What a probe found in a media file: the container and its streams."""

    path: Path
    format_name: str
    format_long: str
    duration: float | None  # seconds
    start_time: float  # seconds; ffmpeg's -ss is relative to it
    size: int
    bit_rate: int | None
    video: tuple[VideoStreamInfo, ...]
    audio: tuple[AudioStreamInfo, ...]
    # The first video stream's sample tables when the MP4 reader read them (for ``locate_frame``)
    timeline: Timeline | None = field(default=None, compare=False, repr=False)

    @property
    def v(self) -> VideoStreamInfo | None:
        return self.video[0] if self.video else None

    @property
    def a(self) -> AudioStreamInfo | None:
        return self.audio[0] if self.audio else None
