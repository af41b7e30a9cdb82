"""Encoder arguments for the video and audio streams of convert, concat and HLS.

OSS semantics kept here: omitting ``vcodec`` (or ``copy``) remuxes the video stream untouched and the
encoder settings are ignored (the operation model warns about that); ``fpsopt``/``sopt``/``vbopt``/
``abopt`` follow IMM's ``fixed`` (0, default) / ``adaptive`` (1: keep the source's value when it is
lower than the requested one) / ``fall`` (2: fail when it is lower).
"""

from __future__ import annotations

from mediaproc.engine.av.common import (
    AUDIO_ENCODERS,
    AUDIO_ONLY,
    CONTAINER_ACODEC,
    COPY_AUDIO_OK,
    COPY_VIDEO_OK,
    FORMAT_ACODEC,
    OPUS_RATES,
    VIDEO_ENCODERS,
    documented,
    p_int,
    p_str,
)
from mediaproc.engine.av.probe import AudioStreamInfo, VideoStreamInfo
from mediaproc.errors import InvalidOperation, MediaError
from mediaproc.i18n import _
from mediaproc.ops.model import Op

AUDIO_PARAMS = ("ar", "ac", "ab", "aq", "adepth")


def below_source(op: Op, opt_key: str, what: str, requested: float, source: float | None) -> bool:
    """Apply an IMM ``*opt`` rule; True means "keep the source's value instead"."""
    mode = p_int(op, opt_key, 0) or 0
    if mode == 0 or source is None or source >= requested:
        return False
    if mode == 1:
        return True
    raise MediaError(
        _("the source's {what} ({source:g}) is lower than the requested {requested:g} ({key}=2)").format(
            what=what, source=source, requested=requested, key=opt_key
        ),
        hint=_("use {key}=0 to force the value or {key}=1 to keep the source's").format(key=opt_key),
        code="SourceBelowTarget",
    )


def copy_check(kind: str, fmt: str, codec: str) -> None:
    table = COPY_VIDEO_OK if kind == "video" else COPY_AUDIO_OK
    allowed = table.get(fmt)
    if allowed is not None and codec not in allowed:
        key = "vcodec" if kind == "video" else "acodec"
        raise InvalidOperation(
            _("the source's {kind} codec {codec} cannot be copied into {fmt}").format(kind=kind, codec=codec, fmt=fmt),
            hint=_("name a codec to re-encode, e.g. {key}={example}").format(
                key=key,
                example=("vp9" if fmt == "webm" else "h264")
                if kind == "video"
                else (FORMAT_ACODEC.get(fmt) or CONTAINER_ACODEC.get(fmt, "aac")),
            ),
        )


def video_codec(op: Op) -> str:
    """The OSS video codec to use: as asked, else the operation's documented default (video/convert:
    copy, OSS remuxes when vcodec is omitted)."""
    return p_str(op, "vcodec") or str(documented(op, "vcodec") or "copy")


def video_encoder_args(op: Op, fmt: str, vcodec: str, v: VideoStreamInfo) -> list[str]:
    if vcodec == "copy":
        copy_check("video", fmt, v.codec)
        return ["-c:v", "copy"]
    enc = VIDEO_ENCODERS[vcodec]
    args = ["-c:v", enc]
    crf = p_int(op, "crf")
    vb = p_int(op, "vb")
    if vb is not None and below_source(op, "vbopt", _("video bitrate"), vb, v.bit_rate):
        vb = v.bit_rate
    if p_int(op, "videoslim", 0) and crf is None and vb is None:
        crf = {"h264": 26, "h265": 31, "vp9": 38}[vcodec]  # narrow-band HD: smaller, same look
    if vcodec == "vp9":
        args += ["-deadline", "good", "-cpu-used", "4", "-row-mt", "1"]
        if crf is not None or vb is None:
            args += ["-crf", str(32 if crf is None else crf)]
            args += ["-b:v", str(vb) if vb is not None else "0"]
        else:
            args += ["-b:v", str(vb)]
    else:
        if crf is not None:
            args += ["-crf", str(crf)]
            if vb is not None:
                args += ["-maxrate", str(vb), "-bufsize", str(2 * vb)]
        elif vb is not None:
            args += ["-b:v", str(vb)]
        if vcodec == "h265":
            args += ["-x265-params", "log-level=error"]
            if fmt in ("mp4", "mov"):
                args += ["-tag:v", "hvc1"]
    maxrate = p_int(op, "maxrate")
    if maxrate is not None and "-maxrate" not in args:
        args += ["-maxrate", str(maxrate), "-bufsize", str(p_int(op, "bufsize") or 2 * maxrate)]
    args += ["-pix_fmt", p_str(op, "pixfmt") or "yuv420p"]
    return args


def target_fps(op: Op, v: VideoStreamInfo) -> float | None:
    fps = p_int(op, "fps")
    if not fps:
        return None
    if below_source(op, "fpsopt", _("frame rate"), fps, v.fps):
        return None
    return float(fps)


def audio_codec(op: Op, fmt: str, *, encode: bool = False) -> str:
    """The OSS audio codec: as asked; the audio container's own; or copy unless settings need one."""
    acodec = p_str(op, "acodec")
    if acodec:
        return acodec
    if fmt in AUDIO_ONLY:
        return FORMAT_ACODEC[fmt]
    if fmt == "mxf":
        return "pcm"  # ffmpeg's MXF muxer takes 48 kHz PCM audio only
    if encode or any(k in op for k in AUDIO_PARAMS):
        return CONTAINER_ACODEC.get(fmt, "aac")
    return "copy"


def _aq_bitrate(aq: int, channels: int) -> int:
    per_channel = 16_000 + aq * (160_000 - 16_000) // 100
    return per_channel * max(1, min(channels, 2))


def audio_encoder_args(op: Op, fmt: str, acodec: str, a: AudioStreamInfo) -> list[str]:
    if acodec == "copy":
        copy_check("audio", fmt, a.codec)
        return ["-c:a", "copy"]
    enc = AUDIO_ENCODERS[acodec]
    ar = p_int(op, "ar")
    ac = p_int(op, "ac")
    ab = p_int(op, "ab")
    aq = p_int(op, "aq")
    adepth = p_int(op, "adepth")
    src_rate = a.sample_rate or 48_000
    src_ch = a.channels or 2
    if acodec == "pcm" and adepth == 24:
        enc = "pcm_s24le"
    args = ["-c:a", enc]
    rate = ar
    if acodec == "opus":
        if ar is not None and ar not in OPUS_RATES:
            raise InvalidOperation(
                _("opus cannot use a {rate} Hz sample rate").format(rate=ar),
                hint=_("use ar= one of {rates}").format(rates=", ".join(map(str, OPUS_RATES))),
            )
        if rate is None and src_rate not in OPUS_RATES:
            rate = 48_000
    elif acodec == "amr":
        if (ar not in (None, 8000)) or (ac not in (None, 1)):
            raise InvalidOperation(_("amr audio is 8000 Hz mono"), hint=_("drop ar/ac or use ar=8000,ac=1"))
        rate, ac = 8000, 1
        ab = min((4750, 5150, 5900, 6700, 7400, 7950, 10200, 12200), key=lambda b: abs(b - (ab or 12200)))
    elif fmt == "mxf":
        if ar not in (None, 48_000):
            raise InvalidOperation(_("MXF audio is 48000 Hz"), hint=_("drop ar or use ar=48000"))
        rate = 48_000
    elif (acodec == "ac3" and (rate or src_rate) not in (32_000, 44_100, 48_000)) or (
        acodec == "mp3" and (rate or src_rate) > 48_000
    ):
        rate = 48_000
    if rate is not None:
        args += ["-ar", str(rate)]
    channels = ac
    if channels is None and acodec == "mp3" and src_ch > 2:
        channels = 2
    if channels is None and acodec == "ac3" and src_ch > 6:
        channels = 6
    if channels is not None:
        args += ["-ac", str(channels)]
    if ab is not None and acodec != "amr" and below_source(op, "abopt", _("audio bitrate"), ab, a.bit_rate):
        ab = a.bit_rate
    if acodec in ("flac", "pcm"):
        if acodec == "flac" and adepth is not None:
            args += ["-sample_fmt", "s16"] if adepth == 16 else ["-sample_fmt", "s32", "-bits_per_raw_sample", "24"]
        return args
    if ab is not None:
        args += ["-b:a", str(ab)]
    elif aq is not None:
        if acodec == "mp3":
            args += ["-q:a", str(round(9 - aq * 9 / 100))]
        elif acodec == "vorbis":
            args += ["-q:a", f"{aq / 10:.1f}"]
        else:
            args += ["-b:a", str(_aq_bitrate(aq, channels or src_ch))]
    return args
