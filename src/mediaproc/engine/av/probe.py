"""Probing: MP4/MOV headers in pure Python (:mod:`mediaproc.engine.av.mp4`), everything else, and
what that reader is not sure of, with PyAV (the imageio-ffmpeg wheel ships no ffprobe).

:func:`media_info` gives the engine typed facts (duration, sizes, rotation, rates) to plan ffmpeg
runs; :func:`probe` renders them in the OSS ``video/info`` / ``audio/info`` shape (SPEC.md §4):
``Format{Duration,Size,FormatName,Bitrate,...}`` and ``Streams{VideoStream[],AudioStream[]}``,
every value a string as OSS sends it. :func:`locate_frame` finds the exact timestamp of the frame
shown at a time (or of the keyframe at or before it) by reading packets only, which is what makes
``video/snapshot`` exact and ``m=fast`` truthful without decoding the video twice (from the MP4
reader's sample tables when it read the file: no second open).
"""

from __future__ import annotations

import math
from pathlib import Path

from mediaproc import TYPE_CHECKING, limits
from mediaproc.engine.av.common import local_file
from mediaproc.engine.av.media import AudioStreamInfo, MediaInfo, VideoStreamInfo
from mediaproc.errors import MediaError, NotFound
from mediaproc.i18n import _
from mediaproc.record import replace

if TYPE_CHECKING:  # typing too: not imported on a one-shot run (mediaproc.TYPE_CHECKING)
    from fractions import Fraction  # PyAV's time bases (only typed here: the MP4 path never needs the module)
    from typing import Any


def _check_file(src: Path) -> None:
    if not src.exists():
        raise NotFound(_("{name} does not exist").format(name=src), hint=_("check the path"))
    if src.is_dir():
        raise NotFound(_("{name} is a folder, not a media file").format(name=src), hint=_("name a file"))


def _open(src: Path) -> Any:
    import av

    _check_file(src)
    try:
        return av.open(local_file(src), metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise MediaError(
            _("cannot read {name}: {reason}").format(name=src.name, reason=reason),
            hint=_("the file is corrupt or not audio/video; check it plays"),
        ) from None


def _seconds(value: Any, time_base: Any) -> float | None:
    if value is None or time_base is None:
        return None
    return float(value * time_base)


def _rotation(container: Any, stream: Any) -> int:
    """Clockwise rotation from the display matrix, read off the first decoded frame.

    PyAV (18.1) reads the matrix only from a frame: it can write a stream's matrix
    (``VideoStream.set_display_rotation``) but exposes neither the stream's coded side data nor a
    ``rotate`` tag (FFmpeg stopped exporting it), and packets do not carry it. The pixels are
    thrown away, so the decoder skips what only they need: the inverse transform and the loop
    filter (a 4K H.264 keyframe: ~51 -> ~40 ms of CPU), on one thread (the default, one per core,
    costs more to start than a small frame costs to decode).
    """
    try:
        cc = stream.codec_context
        cc.thread_count = 1
        cc.options = {"skip_idct": "all", "skip_loop_filter": "all"}
        for frame in container.decode(stream):
            ccw = float(getattr(frame, "rotation", 0) or 0)
            return round(-ccw) % 360
    except Exception:  # a stream we cannot decode has no usable rotation either
        return 0
    return 0


def _check_frame_size(src: Path, width: int, height: int) -> None:
    """A video frame is an image: the source image limits bound it before the first one is decoded."""
    subject = _("video {name} ({w}x{h} px frames)").format(name=src.name, w=width, h=height)
    hint = _("scale the video down first")
    limits.check("source_side", max(width, height), subject, hint)
    limits.check("source_pixels", width * height, subject, hint)


def check_media(info: MediaInfo) -> None:
    """Refuse a source longer than ``media_seconds`` (from its header) before ffmpeg reads it: a few
    bytes can claim days of audio, and the work (snapshots, sprites) grows with the length."""
    if info.duration is not None:
        limits.check(
            "media_seconds",
            math.ceil(info.duration),
            _("{name} ({s:.0f} s long)").format(name=info.path.name, s=info.duration),
            _("cut it into shorter parts first"),
        )


def media_info(src: Path) -> MediaInfo:
    """Typed facts about a media file; raises NotFound / MediaError for missing or unreadable input.

    An MP4/MOV is read by :mod:`mediaproc.engine.av.mp4` (pure Python, no PyAV import: most of a
    one-shot ``video info``'s time was that import and a decoded frame); what it is not sure of, and
    every other container, by PyAV."""
    _check_file(src)
    from mediaproc.engine.av.mp4 import read

    info = read(src)
    if info is not None:
        if info.video:
            _check_frame_size(src, info.video[0].width, info.video[0].height)
        return info
    return media_info_pyav(src)


def media_info_pyav(src: Path) -> MediaInfo:
    """:func:`media_info` through PyAV (FFmpeg's demuxers and decoders): every container."""
    container = _open(src)
    try:
        video: list[VideoStreamInfo] = []
        audio: list[AudioStreamInfo] = []
        undecodable = 0
        for s in container.streams:
            if s.type not in ("video", "audio"):
                continue  # a timecode (tmcd), subtitle or data stream: PyAV gives it no codec context
            cc = s.codec_context
            if cc is None:
                continue  # no decoder context (a stream whose data FFmpeg could not reach): nothing to report
            codec = getattr(cc.codec, "canonical_name", None) or cc.name
            long_name = getattr(cc.codec, "long_name", "") or ""
            if s.type == "video":
                if s.disposition and "attached_pic" in str(s.disposition).lower():
                    continue  # cover art of an audio file is not a video
                if not cc.width or not cc.height:
                    # FFmpeg found no frame size ("Could not find codec parameters"): nothing it can
                    # decode, e.g. a text file named .jpg, which the image2 demuxer takes by its name
                    undecodable += 1
                    continue
                rate = s.average_rate or s.guessed_rate or s.base_rate
                video.append(
                    VideoStreamInfo(
                        index=s.index,
                        codec=codec,
                        codec_long=long_name,
                        width=cc.width,
                        height=cc.height,
                        fps=float(rate) if rate else None,
                        rotation=0,
                        bit_rate=s.bit_rate or cc.bit_rate or None,
                        pix_fmt=cc.pix_fmt,
                        profile=cc.profile,
                        frames=s.frames or None,
                        duration=_seconds(s.duration, s.time_base),
                    )
                )
            elif s.type == "audio":
                audio.append(
                    AudioStreamInfo(
                        index=s.index,
                        codec=codec,
                        codec_long=long_name,
                        sample_rate=cc.sample_rate or None,
                        channels=cc.channels or None,
                        layout=cc.layout.name if cc.layout is not None else None,
                        sample_fmt=cc.format.name if cc.format is not None else None,
                        bit_rate=s.bit_rate or cc.bit_rate or None,
                        duration=_seconds(s.duration, s.time_base),
                    )
                )
        if undecodable and not video and not audio:
            raise MediaError(
                _("cannot read {name}: {reason}").format(name=src.name, reason=_("no stream FFmpeg can decode")),
                hint=_("the file is corrupt or not audio/video; check it plays"),
            )
        if video:
            _check_frame_size(src, video[0].width, video[0].height)  # _rotation decodes a frame
            stream = container.streams[video[0].index]
            rot = _rotation(container, stream)
            if rot:
                first = video[0]
                video[0] = replace(first, rotation=rot)
        if container.duration is not None:
            duration: float | None = container.duration / 1_000_000
        else:
            durations = [d for d in (*(v.duration for v in video), *(a.duration for a in audio)) if d]
            duration = max(durations) if durations else None
        return MediaInfo(
            path=src,
            format_name=container.format.name,
            format_long=container.format.long_name or "",
            duration=duration,
            start_time=(container.start_time or 0) / 1_000_000,
            size=src.stat().st_size,
            bit_rate=container.bit_rate or None,
            video=tuple(video),
            audio=tuple(audio),
        )
    finally:
        container.close()


def fmt_number(value: float | int | None) -> str:
    """OSS-style decimal: ``3.0``, ``29.97``, ``120.5`` (at most three decimals)."""
    if value is None:
        return ""
    text = f"{float(value):.3f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def probe(src: Path, *, kind: str = "video") -> dict[str, Any]:
    """OSS ``video/info`` (``kind="video"``) or ``audio/info`` (``kind="audio"``) JSON for a file.

    ``audio/info`` of a file without sound (a photo, a silent clip) is bad input, exit 2 with a
    hint, not an empty answer that a script would take for success."""
    from mediaproc.engine.av.common import no_audio

    info = media_info(src)
    if kind == "audio" and not info.audio:
        raise no_audio(src.name)
    return info_json(info, kind=kind)


def info_json(info: MediaInfo, *, kind: str = "video") -> dict[str, Any]:
    """:class:`MediaInfo` in the OSS info shape (see :func:`probe`)."""
    fmt: dict[str, str] = {
        "Duration": fmt_number(info.duration),
        "Size": str(info.size),
        "FormatName": info.format_name,
        "FormatLongName": info.format_long,
        "Bitrate": _str(info.bit_rate),
        "StartTime": fmt_number(info.start_time),
        "NumberOfStreams": str(len(info.video) + len(info.audio)),
    }
    videos = []
    for v in info.video:
        w, h = v.display_size
        entry = {
            "Index": str(v.index),
            "CodecName": v.codec,
            "CodecLongName": v.codec_long,
            "Profile": _str(v.profile),
            "Width": str(w),
            "Height": str(h),
            "FrameRate": fmt_number(v.fps),
            "BitRate": _str(v.bit_rate),
            "PixelFormat": _str(v.pix_fmt),
            "Duration": fmt_number(v.duration),
            "FrameCount": _str(v.frames),
        }
        if v.rotation:
            entry["Rotate"] = str(v.rotation)
        videos.append(entry)
    audios = [
        {
            "Index": str(a.index),
            "CodecName": a.codec,
            "CodecLongName": a.codec_long,
            "SampleRate": _str(a.sample_rate),
            "Channels": _str(a.channels),
            "ChannelLayout": _str(a.layout),
            "SampleFormat": _str(a.sample_fmt),
            "BitRate": _str(a.bit_rate),
            "Duration": fmt_number(a.duration),
        }
        for a in info.audio
    ]
    streams: dict[str, list[dict[str, str]]] = {}
    if kind != "audio":
        streams["VideoStream"] = videos
    streams["AudioStream"] = audios
    return {"Format": fmt, "Streams": streams}


def locate_frame(info: MediaInfo, t: float, *, key_only: bool) -> float:
    """Offset (seconds from the file's start, for ffmpeg's ``-ss``) of the frame shown at ``t``.

    The frame shown at ``t`` is the last one whose timestamp is at or before ``t``; with
    ``key_only`` the last keyframe at or before ``t``. Past the end this is the last (key)frame.
    Only packets are read: seek to the keyframe before ``t`` and scan forward until the decode
    timestamp passes ``t`` (a frame's pts is never below its dts, so nothing earlier is missed).
    """
    if info.v is None:
        raise MediaError(_("{name} has no video stream").format(name=info.path.name), hint=_("use a video"))
    target = info.start_time + max(0.0, t)
    if info.timeline is not None:  # the MP4 reader's sample tables: exact, and no second open
        found = info.timeline.frame_at(target, key_only=key_only)
        if found is not None:
            return max(0.0, found - info.start_time)
    import av

    with av.open(local_file(info.path), metadata_errors="ignore") as container:
        stream = container.streams[info.v.index]
        tb: Fraction = stream.time_base
        best: Fraction | None = None
        for attempt in (0, 1):
            try:
                if attempt == 0:
                    container.seek(int(target / tb), stream=stream, backward=True, any_frame=False)
                else:
                    container.seek(0, backward=True, any_frame=False)
            except av.error.FFmpegError:
                if attempt == 0:
                    continue
                raise MediaError(
                    _("cannot seek in {name}").format(name=info.path.name),
                    hint=_("the file may be damaged; try remuxing it with video/convert"),
                ) from None
            best = None
            first: Fraction | None = None  # the earliest candidate: the answer for t before it
            landed = False
            for pkt in container.demux(stream):
                if pkt.pts is None:
                    continue
                if not landed:
                    landed = True
                    if attempt == 0 and not pkt.is_keyframe:
                        break  # an index-less seek (MPEG-TS) landed mid-GOP: scan from the start
                if key_only and not pkt.is_keyframe:
                    continue
                pts = pkt.pts * tb
                if first is None or pts < first:
                    first = pts
                if pkt.dts is not None and float(pkt.dts * tb) > target + 1e-6:
                    break
                if float(pts) <= target + 1e-6 and (best is None or pts > best):
                    best = pts
            if best is None and attempt == 1:
                best = first  # t lies before the first frame (streams starting after the file does)
            if best is not None:
                break
        if best is None:
            raise MediaError(_("no frame found in {name}").format(name=info.path.name), hint=_("check the video plays"))
    return max(0.0, float(best) - info.start_time)
