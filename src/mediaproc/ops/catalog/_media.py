"""Parameters shared by the video, audio and HLS operations (one definition, one help text), and
the result properties they ask for (what ``--verify`` reads back)."""

from __future__ import annotations

from mediaproc import TYPE_CHECKING
from mediaproc.i18n import _
from mediaproc.ops.catalog._build import Params, bool_, enum, int_, size
from mediaproc.ops.model import Family, Mode, OpSpec, Param, Problem, Produces, ResultProperty

if TYPE_CHECKING:
    from typing import Any

VCODECS = ("copy", "h264", "h265", "vp9")
ACODECS = ("copy", "mp3", "aac", "flac", "vorbis", "ac3", "opus", "pcm", "amr")
CODEC_ALIASES = {"avc": "h264", "x264": "h264", "hevc": "h265", "x265": "h265", "libvpx-vp9": "vp9"}
ACODEC_ALIASES = {"ogg": "vorbis", "libopus": "opus", "mp3lame": "mp3"}
SCALETYPES = ("crop", "stretch", "fill", "fit")
PIXFMTS = ("yuv420p", "yuva420p", "yuv420p10le", "yuv422p", "yuv422p10le", "yuv444p", "yuv444p10le")
FRAME_MODES = ("inter", "key", "avg", "dhash")
MAX_MS = 24 * 3600 * 1000  # a day: generous upper bound for ss/t so typos (seconds*1e6) are caught
MEDIA_CONVERT = "MediaConvert"  # the IMM task type of every asynchronous OSS media operation

# The property of the result a parameter asks for. Encoders aim at a bit rate or frame rate, they do
# not hit it, so those compare approximately; f names a container, which the demuxer reports among
# its other names (mp4 in "mov,mp4,m4a,3gp,3g2,mj2").
CONTAINER = ResultProperty("format", "container")
IMAGE_FORMAT = ResultProperty("format")
VIDEO_CODEC = ResultProperty("video_codec")
AUDIO_CODEC = ResultProperty("audio_codec")
FRAME_RATE = ResultProperty("frame_rate", "approx", zero_keeps=True)
VIDEO_BITRATE = ResultProperty("video_bitrate", "approx")
AUDIO_BITRATE = ResultProperty("audio_bitrate", "approx")
SAMPLE_RATE = ResultProperty("sample_rate")
CHANNELS = ResultProperty("channels")
DURATION_MS = ResultProperty("duration", "approx", unit=1000)
NO_VIDEO = ResultProperty("video", "absent")
NO_AUDIO = ResultProperty("audio", "absent")


def media_spec(name: str, family: Family, summary: str, params: tuple[Param, ...], **kw: Any) -> OpSpec:
    """A video or audio operation: one per request, OSS-named as here; asynchronous ones (the
    default) are IMM media-convert tasks and produce one media file."""
    kw.setdefault("mode", Mode.ASYNC)
    kw.setdefault("produces", Produces.MEDIA)
    if kw["mode"] is Mode.ASYNC:
        kw.setdefault("imm_task", MEDIA_CONVERT)
    return OpSpec(name=name, family=family, summary=summary, params=params, oss=name, standalone=True, **kw)


def ss() -> Param:
    return int_("ss", "start time in ms (default 0)", 0, MAX_MS, default=0)


def t(help: str = "duration in ms (default 0: to the end)") -> Param:
    return int_("t", help, 0, MAX_MS, default=0)


def fps(help: str = "frame rate (0-240; 0 = keep the source rate)") -> Param:
    return int_("fps", help, 0, 240)


def fpsopt() -> Param:
    return int_("fpsopt", "frame rate option: 0 always fps, 1 keep a lower source rate, 2 fail if lower", 0, 2)


def vb() -> Param:
    return int_("vb", "video bitrate in bit/s (10000-100000000)", 10_000, 100_000_000)


def vbopt() -> Param:
    return int_("vbopt", "bitrate option: 0 always vb, 1 keep a lower source bitrate, 2 fail if lower", 0, 2)


def ab() -> Param:
    return int_("ab", "audio bitrate in bit/s (1000-10000000); exclusive with aq", 1_000, 10_000_000)


def abopt() -> Param:
    return int_("abopt", "bitrate option: 0 always ab, 1 keep a lower source bitrate, 2 fail if lower", 0, 2)


def aq() -> Param:
    return int_("aq", "audio quality (0-100); exclusive with ab", 0, 100)


def ar() -> Param:
    return int_("ar", "audio sample rate in Hz (8000-192000, e.g. 44100, 48000)", 8_000, 192_000)


def ac() -> Param:
    return int_("ac", "audio channels (1-8)", 1, 8)


def adepth() -> Param:
    return int_("adepth", "audio bit depth, 16 or 24 (flac output only)", 16, 24)


def crf() -> Param:
    return int_("crf", "constant rate factor (0-51; lower = better and larger)", 0, 51)


def s_size() -> Param:
    return size("s", "output resolution WxH, each side 64-4096 and even (e.g. 1280x720)", 64, 4096)


def sopt() -> Param:
    return int_("sopt", "resolution option: 0 always s, 1 keep a smaller source, 2 fail if smaller", 0, 2)


def scaletype() -> Param:
    return enum("scaletype", "how to fit the size: crop, stretch, fill, fit", SCALETYPES)


def pixfmt() -> Param:
    return enum("pixfmt", "pixel format: " + ", ".join(PIXFMTS) + " (default: as source)", PIXFMTS)


def arotate() -> Param:
    return bool_("arotate", "1 = honour rotation metadata (default), 0 = ignore it", default=1)


def _aliases_for(aliases: dict[str, str], choices: tuple[str, ...]) -> dict[str, str]:
    return {k: v for k, v in aliases.items() if v in choices}


def vcodec(choices: tuple[str, ...] = VCODECS, **kw: object) -> Param:
    aliases = _aliases_for(CODEC_ALIASES, choices)
    return enum("vcodec", "video codec: " + ", ".join(choices), choices, aliases, **kw)  # type: ignore[arg-type]


def acodec(choices: tuple[str, ...] = ACODECS, **kw: object) -> Param:
    aliases = _aliases_for(ACODEC_ALIASES, choices)
    return enum("acodec", "audio codec: " + ", ".join(choices), choices, aliases, **kw)  # type: ignore[arg-type]


def frame_w(key: str, help: str) -> Param:
    return int_(key, help + " (32-4096)", 32, 4096)


def percent(key: str, help: str) -> Param:
    """``pw``/``ph``/``psw``/``psh``: the reference skill's tables give 0-200; OSS "视频截雪碧图" says
    (0,200], default 100. 0 is accepted and means what leaving it out means (the source's size), so
    the skill's examples run; docs/decisions.md records this."""
    return int_(key, help + " (0-200; 0 or absent = 100)", 0, 200, default=100)


def num(help: str = "number of frames (0 = no limit, default)") -> Param:
    return int_("num", help, 0, 100_000, default=0)


def inter(help: str = "interval between frames in ms (0 = every frame, default)") -> Param:
    return int_("inter", help, 0, MAX_MS, default=0)


def avg_needs_num(params: Params) -> list[Problem]:
    if params.get("m") == "avg" and not params.get("num"):
        return [
            Problem(
                _("m=avg needs num (the number of evenly spaced frames)"),
                hint=_("add num=N (N > 0)"),
            )
        ]
    return []


def interval_needs_num_or_inter(params: Params) -> list[Problem]:
    """Sampling at an interval (``m=inter``, the default) needs ``num`` or ``inter``; ``m=key`` takes
    the keyframes and needs neither (the reference skill's own example:
    ``video/sprite:f=jpg,sw=160,sh=120,m=key,tw=4,th=4,pad=2,margin=2``), ``avg`` needs ``num``
    (:func:`avg_needs_num`) and ``dhash`` samples every second by default."""
    if params.get("m", "inter") == "inter" and "num" not in params and "inter" not in params:
        return [
            Problem(
                _("give num or inter (or m=key for the keyframes)"),
                hint=_("e.g. inter=2000 (a frame every 2 s) or num=36"),
            )
        ]
    return []


def frame_mode() -> Param:
    return enum(
        "m", "frame selection: inter (every inter ms), key (keyframes), avg (evenly), dhash (dedup)", FRAME_MODES
    )


def thr() -> Param:
    return int_("thr", "dedup threshold for m=dhash (0-100)", 0, 100)


def thr_needs_dhash(params: Params) -> list[Problem]:
    if "thr" in params and params.get("m") != "dhash":
        return [
            Problem(
                _("thr only applies to m=dhash"),
                hint=_("add m=dhash or remove thr"),
                warning=True,
            )
        ]
    return []


def needs_vcodec(params: Params) -> list[Problem]:
    """Without a video codec OSS only remuxes and silently ignores the encoder settings."""
    if params.get("vcodec", "copy") != "copy":
        return []
    ignored = [k for k in ("vb", "crf", "s", "fps", "videoslim", "pixfmt") if k in params]
    if not ignored:
        return []
    return [
        Problem(
            _("{keys} need a video codec: without vcodec (or with copy) the stream is only remuxed").format(
                keys=", ".join(ignored)
            ),
            hint=_("add vcodec=h264 (or h265, vp9)"),
            warning=True,
        )
    ]
