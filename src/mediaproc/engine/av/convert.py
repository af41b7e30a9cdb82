"""video/convert, audio/convert and hls/m3u8: one ffmpeg run each.

Trimming uses input seeking (``-ss``/``-t`` before ``-i``), which ffmpeg makes frame-accurate when
re-encoding and fast when remuxing. Rotation metadata is honoured by ffmpeg's autorotation unless
``arotate=0``; sizes are computed from the rotated (displayed) picture, so ``s=720x1280`` on a
portrait phone clip means what the user sees. HLS forces a keyframe at every multiple of ``st`` (and
disables scene-cut keyframes) so the segmenter can cut exactly there: every segment lasts ``st``
except the last.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from mediaproc.engine.av.common import (
    AUDIO_ONLY,
    MUXERS,
    MediaOutput,
    documented,
    fmt_seconds,
    p_int,
    p_size,
    p_str,
    scale_filters,
    seconds,
)
from mediaproc.engine.av.encode import (
    audio_codec,
    audio_encoder_args,
    below_source,
    target_fps,
    video_codec,
    video_encoder_args,
)
from mediaproc.engine.av.probe import MediaInfo
from mediaproc.engine.av.runner import run_ffmpeg
from mediaproc.engine.av.staging import publish, staged_dir, staged_file
from mediaproc.errors import InvalidOperation, MediaError
from mediaproc.i18n import _
from mediaproc.ops.destination import implied_params, segment_name
from mediaproc.ops.model import Op
from mediaproc.progress import ProgressCallback


def output_format(op: Op, dst: Path) -> str:
    """``f``, else what ``dst``'s name implies by the rule a request gets before it reaches the engine
    (``ops.destination.implied_params`` over the catalogue's extension table: ``.mts`` -> ts; ``.ogg``,
    Vorbis or Opus, names none), never a second table of extensions."""
    fmt = p_str(op, "f") or implied_params(op.spec, op.params, dst.name).get("f")
    if fmt is None or fmt not in MUXERS:
        raise InvalidOperation(
            _("no output format for {name}").format(name=dst.name),
            hint=_("add f=mp4 (or another container) to the operation"),
        )
    return fmt


def trim_args(op: Op, info: MediaInfo) -> tuple[list[str], float | None]:
    """Input options for ss/t, and the duration (s) the output will have, for progress."""
    ss = seconds(p_int(op, "ss"))
    t = seconds(p_int(op, "t")) or None  # t=0 means "to the end"
    args: list[str] = []
    if ss:
        if info.duration is not None and ss >= info.duration:
            raise InvalidOperation(
                _("ss={ss} ms is past the end of the source ({duration:.3f} s)").format(
                    ss=p_int(op, "ss"), duration=info.duration
                ),
                hint=_("choose a start inside the media"),
            )
        args += ["-ss", fmt_seconds(ss)]
    if t:
        args += ["-t", fmt_seconds(t)]
    remaining = None if info.duration is None else max(0.0, info.duration - (ss or 0.0))
    expected = min(t, remaining) if (t and remaining is not None) else (t or remaining)
    return args, expected


def mux_args(fmt: str) -> list[str]:
    args = ["-f", MUXERS[fmt]]
    if fmt in ("mp4", "mov"):
        args += ["-movflags", "+faststart"]
    return args


def _video_filters(op: Op, info: MediaInfo, *, rotate: bool) -> list[str]:
    v = info.v
    assert v is not None
    src = v.display_size if rotate else (v.width, v.height)
    size = p_size(op, "s")
    if size is not None and below_source(op, "sopt", _("resolution"), size[0] * size[1], src[0] * src[1]):
        size = None
    filters, _out = scale_filters(src, size, p_str(op, "scaletype"), even_dims=True)
    fps = target_fps(op, v)
    if fps:
        filters.append(f"fps={fps:g}")
    return filters


def run_convert(
    op: Op,
    src: Path,
    dst: Path,
    *,
    info: MediaInfo,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
) -> MediaOutput:
    fmt = output_format(op, dst)
    audio_only = op.name == "audio/convert" or fmt in AUDIO_ONLY
    want_video = info.v is not None and not audio_only and not p_int(op, "vn", 0)
    want_audio = info.a is not None and not p_int(op, "an", 0)
    if not want_video and not want_audio:
        raise MediaError(
            _("nothing to write: {name} has no stream left to convert").format(name=src.name),
            hint=_("audio formats need a source with sound; check vn/an"),
            code="NoStreams",
        )
    rotate = p_int(op, "arotate", 1) != 0
    trim, expected = trim_args(op, info)
    args = [*([] if rotate else ["-noautorotate"]), *trim, "-i", str(src)]
    if want_video:
        assert info.v is not None
        vcodec = video_codec(op)
        args += ["-map", f"0:{info.v.index}"]
        if vcodec != "copy":
            filters = _video_filters(op, info, rotate=rotate)
            if filters:
                args += ["-vf", ",".join(filters)]
        args += video_encoder_args(op, fmt, vcodec, info.v)
    if want_audio:
        assert info.a is not None
        args += ["-map", f"0:{info.a.index}"]
        args += audio_encoder_args(op, fmt, audio_codec(op, fmt), info.a)
    if fmt == "mkv" and not p_int(op, "sn", 0) and want_video:
        args += ["-map", "0:s?", "-c:s", "copy"]
    args += ["-map_metadata", "0", *mux_args(fmt)]
    with staged_file(dst) as tmp:
        args.append(str(tmp))
        run_ffmpeg(
            args,
            duration=expected,
            progress=progress,
            cancel=cancel,
            replace={str(tmp): dst.name, tmp.name: dst.name},
            label=op.name,
        )
    return MediaOutput(paths=(dst,))


_EXTINF = re.compile(r"#EXTINF:([0-9.]+)")


def run_hls(
    op: Op,
    src: Path,
    dst: Path,
    *,
    info: MediaInfo,
    progress: ProgressCallback | None,
    cancel: threading.Event | None,
) -> MediaOutput:
    """A VOD playlist ``dst`` (``.m3u8``) and its MPEG-TS segments ``<stem>-<n>.ts`` beside it.

    ``st`` (default 10000 ms) is the segment length. ``ta`` (segments transcoded ahead) and
    ``initd`` (initial buffer) steer OSS's transcode-while-playing service; a VOD playlist written
    in full has nothing to steer, so they are accepted and have no effect here.
    """
    if info.v is None:
        raise MediaError(_("{name} has no video stream").format(name=src.name), hint=_("hls/m3u8 needs a video"))
    if dst.suffix.lower() != ".m3u8":
        dst = dst.with_name(dst.name + ".m3u8")
    st_ms = p_int(op, "st") or int(documented(op, "st"))
    st = st_ms / 1000.0
    rotate = p_int(op, "arotate", 1) != 0
    trim, expected = trim_args(op, info)
    vcodec = p_str(op, "vcodec") or str(documented(op, "vcodec"))
    if vcodec not in ("h264", "h265"):
        raise InvalidOperation(
            _("HLS segments carry h264 or h265 video, not {codec}").format(codec=vcodec),
            hint=_("use vcodec=h264 or vcodec=h265"),
        )
    args = [*([] if rotate else ["-noautorotate"]), *trim, "-i", str(src), "-map", f"0:{info.v.index}"]
    filters = _video_filters(op, info, rotate=rotate)
    if p_int(op, "ss"):
        # After a start cut the first frame sits up to a frame after 0; segment boundaries (and the
        # forced keyframes) count from that first frame.
        filters.insert(0, "setpts=PTS-STARTPTS")
    if filters:
        args += ["-vf", ",".join(filters)]
    args += video_encoder_args(op, "ts", vcodec, info.v)
    # A keyframe at every segment boundary, and no others from scene cuts: exact segments.
    args += ["-force_key_frames", f"expr:gte(t,n_forced*{st:g})"]
    args += ["-sc_threshold", "0"] if vcodec == "h264" else ["-x265-params", "log-level=error:scenecut=0"]
    if info.a is not None and not p_int(op, "an", 0):
        args += ["-map", f"0:{info.a.index}"]
        args += audio_encoder_args(op, "ts", p_str(op, "acodec") or "aac", info.a)
    stem = dst.stem
    with staged_dir(dst.parent) as tmpdir:
        playlist = tmpdir / dst.name
        args += [
            "-f",
            "hls",
            "-hls_time",
            f"{st:g}",
            "-hls_playlist_type",
            "vod",
            "-hls_list_size",
            "0",
            "-hls_segment_type",
            "mpegts",
            "-hls_flags",
            "independent_segments",
            "-hls_segment_filename",
            str(tmpdir / segment_name(stem, "%d")),
            # a segment line "p:1-0.ts" is a URL of scheme "p" to every player (RFC 3986 4.2): "./p:1-0.ts"
            *(["-hls_base_url", "./"] if ":" in stem else []),
            str(playlist),
        ]
        run_ffmpeg(
            args,
            duration=expected,
            progress=progress,
            cancel=cancel,
            replace={str(tmpdir) + "/": "", str(tmpdir): str(dst.parent)},
            label=op.name,
        )
        text = playlist.read_text(encoding="utf-8")
        segments = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
        moves = [(tmpdir / name, dst.parent / name) for name in segments]
        # Segments first, the playlist last: a reader of the playlist finds every segment it names.
        out = publish([*moves, (playlist, dst)])
    return MediaOutput(paths=(out[-1], *out[:-1]))


def segment_durations(playlist: Path) -> list[float]:
    """EXTINF durations of a playlist (used by tests and verification)."""
    return [float(m) for m in _EXTINF.findall(playlist.read_text(encoding="utf-8"))]
