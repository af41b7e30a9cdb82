"""Media jobs: the ``<Request>`` of ``POST /jobs`` for one async media operation
(:func:`media_job_request`; its XML is :func:`mediaproc.ops.cos.job_xml.job_xml`), and the inverse
the emulator runs (:func:`parse_job_request` -> :class:`CosJobSpec`).

Operation -> job: video/convert, audio/convert, hls/m3u8 -> ``Transcode``; video/snapshots ->
``Snapshot``; video/sprite -> ``Snapshot`` with ``SnapshotOutMode=OnlySprite``; video/animation ->
``Animation``; video/concat, audio/concat -> ``Concat``. Times are seconds, bitrates kbit/s (OSS:
milliseconds, bits/s).

Sources (searched 2026-11-21, read in the docs' source repository tencentyun/qcloud-documents; the
SDK cos-python-sdk-v5 1.9.44 for the request shapes): CreateMediaJobs 436/54013 with
``Transcode/Container/Video/Audio/TimeInterval``, Snapshot jobs 436/54005 with ``Output/Object`` and
``SpriteObject`` holding ``${Number}``, ``SpriteSnapshotConfig{CellWidth CellHeight Padding Margin
Color Columns Lines}``; the job states of CreateMediaJobs / DescribeMediaJob (:data:`JOB_STATES`);
pm3u8 436/63740 (the signed playlist of an ``hls`` output) and cancel 436/85082 (the provider's
calls on a job). Unverified and marked where used: AdjDarMethod values for OSS ``scaletype``,
``${Number}`` numbering (the emulator starts at 0).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from mediaproc.errors import InvalidOperation, UnsupportedOperation
from mediaproc.i18n import _
from mediaproc.location import Position
from mediaproc.ops.cos.common import (
    REGION_PLACEHOLDER,
    cos_url,
    hint_for,
    key_from_url,
    refuse,
    refuse_params,
    to_bps,
    to_kbps,
    to_ms,
    to_secs,
    wire_op,
)
from mediaproc.ops.model import Op

__all__ = ["JOB_STATES", "ConcatRef", "CosJobSpec", "media_job_request", "parse_job_request"]

# Media job states (CreateMediaJobs / DescribeMediaJob: Submitted, Running, Success, Failed, Pause,
# Cancel) -> mediaproc.jobs.JobState values. Kept as strings: ops/ imports nothing heavy.
JOB_STATES: Mapping[str, str] = {
    "Submitted": "queued",
    "Running": "running",
    "Success": "succeeded",
    "Failed": "failed",
    "Pause": "queued",
    "Cancel": "cancelled",
}

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
AUDIO_CONTAINERS = frozenset({"mp3", "aac", "flac", "ogg", "opus", "amr"})
# OSS scaletype -> CI TransConfig/AdjDarMethod (scale, crop, pad, none). Unverified beyond the
# names: CI documents the values, not their exact geometry.
SCALETYPES: Mapping[str, str] = {"crop": "crop", "stretch": "scale", "fill": "pad", "fit": "none"}
SNAPSHOT_MODES: Mapping[str, str] = {"inter": "Interval", "key": "KeyFrame", "avg": "Average"}


def _video_node(op: Op) -> dict[str, Any]:
    p = op.params
    video: dict[str, Any] = {}
    if "vcodec" in p:
        video["Codec"] = VCODECS[p["vcodec"]]
    if "s" in p:
        video["Width"], video["Height"] = str(p["s"][0]), str(p["s"][1])
    if p.get("fps"):
        video["Fps"] = str(p["fps"])
    if "vb" in p:
        video["Bitrate"] = to_kbps(int(p["vb"]))
    if "crf" in p:
        video["Crf"] = str(p["crf"])
    if "pixfmt" in p:
        video["Pixfmt"] = p["pixfmt"]
    if "maxrate" in p:
        video["Maxrate"] = to_kbps(int(p["maxrate"]))
    if "bufsize" in p:
        video["Bufsize"] = to_kbps(int(p["bufsize"]))
    if p.get("vn"):
        video["Remove"] = "true"
    return video


def _audio_node(op: Op) -> dict[str, Any]:
    p = op.params
    audio: dict[str, Any] = {}
    if "acodec" in p:
        audio["Codec"] = ACODECS[p["acodec"]]
    if "ar" in p:
        audio["Samplerate"] = str(p["ar"])
    if "ab" in p:
        audio["Bitrate"] = to_kbps(int(p["ab"]))
    if "ac" in p:
        audio["Channels"] = str(p["ac"])
    if p.get("an"):
        audio["Remove"] = "true"
    return audio


def _time_interval(op: Op) -> dict[str, str]:
    p = op.params
    out: dict[str, str] = {}
    if p.get("ss"):
        out["Start"] = to_secs(int(p["ss"]))
    if p.get("t"):
        out["Duration"] = to_secs(int(p["t"]))
    return out


def _container(op: Op) -> dict[str, str]:
    f = op.params["f"]
    if f not in CONTAINERS:
        raise refuse(op.name, f"f={f}", _("choose one of: {names}").format(names=", ".join(CONTAINERS)))
    return {"Format": CONTAINERS[f]}


_TRANSCODE_REFUSED = ("videoslim", "sn", "fpsopt", "sopt", "vbopt", "abopt", "aq", "adepth")


def _transcode(op: Op) -> dict[str, Any]:
    p = op.params
    refuse_params(op, _TRANSCODE_REFUSED)
    if p.get("arotate", 1) == 0:
        raise refuse(op.name, "arotate=0", _("remove arotate (CI always honours rotation metadata)"))
    body: dict[str, Any] = {}
    if op.name == "hls/m3u8":
        body["Container"] = {"Format": "hls", "ClipConfig": {"Duration": to_secs(int(p.get("st", 10_000)))}}
    else:
        body["Container"] = _container(op)
    is_audio = op.name == "audio/convert" or body["Container"]["Format"] in AUDIO_CONTAINERS
    if not is_audio:
        video = _video_node(op)
        if "Codec" not in video and not p.get("vn"):
            video = {"Codec": "copy" if op.name == "video/convert" else "H.264", **video}
        body["Video"] = video
    audio = _audio_node(op)
    if audio:
        body["Audio"] = audio
    ti = _time_interval(op)
    if ti:
        body["TimeInterval"] = ti
    if "scaletype" in p:
        body["TransConfig"] = {"AdjDarMethod": SCALETYPES[p["scaletype"]]}
    return body


def _snapshot_node(op: Op, *, sprite: bool) -> dict[str, Any]:
    p = op.params
    m = p.get("m", "inter")
    if m not in SNAPSHOT_MODES:
        raise refuse(op.name, f"m={m}", _("use m=inter, key or avg (CI modes Interval, KeyFrame, Average)"))
    refuse_params(op, ("thr",))
    snap: dict[str, Any] = {"Mode": SNAPSHOT_MODES[m]}
    if p.get("ss"):
        snap["Start"] = to_secs(int(p["ss"]))
    if "inter" in p:
        snap["TimeInterval"] = to_secs(int(p["inter"]))
    if "num" in p:
        snap["Count"] = str(p["num"])
    snap["Format"] = p.get("f", "jpg")
    if sprite:
        refuse_params(op, ("psw", "psh", "scaletype"))
        cfg: dict[str, str] = {}
        if "sw" in p:
            cfg["CellWidth"] = str(p["sw"])
        if "sh" in p:
            cfg["CellHeight"] = str(p["sh"])
        cfg["Padding"] = str(p.get("pad", 2))
        cfg["Margin"] = str(p.get("margin", 2))
        cfg["Color"] = "Black"
        cfg["Columns"] = str(p.get("tw", 6))
        cfg["Lines"] = str(p.get("th", 6))
        snap["SnapshotOutMode"] = "OnlySprite"
        snap["SpriteSnapshotConfig"] = cfg
    else:
        refuse_params(op, ("pw", "ph", "scaletype"))
        if "w" in p:
            snap["Width"] = str(p["w"])
        if "h" in p:
            snap["Height"] = str(p["h"])
        snap["SnapshotOutMode"] = "OnlySnapshot"
    return snap


def _animation(op: Op) -> dict[str, Any]:
    p = op.params
    refuse_params(op, ("num", "scaletype"), _("use inter (the interval between frames) instead of num on COS"))
    video: dict[str, Any] = {"Codec": p["f"]}
    if "w" in p:
        video["Width"] = str(p["w"])
    if "h" in p:
        video["Height"] = str(p["h"])
    if p.get("fps"):
        video["Fps"] = str(p["fps"])
    if "inter" in p:
        video["AnimateTimeIntervalOfFrame"] = to_secs(int(p["inter"]))
    body: dict[str, Any] = {"Container": {"Format": p["f"]}, "Video": video}
    ti = _time_interval(op)
    if ti:
        body["TimeInterval"] = ti
    return body


def _numbered(key: str, fmt: str) -> str:
    """``out/frame`` -> ``out/frame-${Number}.jpg`` (CI: multiple outputs need ``${Number}``)."""
    stem = key[: -len(PurePosixPath(key).suffix)] if PurePosixPath(key).suffix else key
    return f"{stem}-${{Number}}.{fmt}"


@dataclass(frozen=True)
class ConcatRef:
    """One extra concat input as COS wants it: an object named by its full COS URL
    (``ConcatFragment/Url``), so it may live in another bucket (``bucket``; None: the source's)."""

    key: str
    position: Position = "sur"  # "pre" -> CI Mode Start, "sur" -> Mode End
    ss: int | None = None
    t: int | None = None
    bucket: str | None = None


def media_job_request(
    op: Op,
    *,
    input_key: str,
    bucket: str,
    region: str | None,
    output_key: str,
    output_bucket: str | None = None,
    inputs: Sequence[ConcatRef] = (),
) -> dict[str, Any]:
    """The ``<Request>`` of ``POST /jobs`` for one async media operation, as a nested dict.

    Tags: video/convert, audio/convert, hls/m3u8 -> ``Transcode`` (hls: container ``hls`` with
    ``ClipConfig/Duration`` = segment length); video/snapshots -> ``Snapshot``; video/sprite ->
    ``Snapshot`` with ``SnapshotOutMode=OnlySprite`` and ``SpriteSnapshotConfig``; video/animation ->
    ``Animation``; video/concat, audio/concat -> ``Concat`` (``ConcatTemplate/ConcatFragment`` with
    ``Mode`` Start for inputs before the source and End after it). Times are seconds, bitrates kbps.
    """
    name = op.name
    output: dict[str, str] = {"Region": region or REGION_PLACEHOLDER, "Bucket": output_bucket or bucket}
    operation: dict[str, Any] = {}
    if name in ("video/convert", "audio/convert", "hls/m3u8"):
        tag = "Transcode"
        operation["Transcode"] = _transcode(op)
        output["Object"] = output_key
    elif name == "video/snapshots":
        tag = "Snapshot"
        operation["Snapshot"] = _snapshot_node(op, sprite=False)
        output["Object"] = _numbered(output_key, op.params.get("f", "jpg"))
    elif name == "video/sprite":
        tag = "Snapshot"
        operation["Snapshot"] = _snapshot_node(op, sprite=True)
        fmt = op.params.get("f", "jpg")
        output["Object"] = _numbered(output_key + "-frame", fmt)
        output["SpriteObject"] = _numbered(output_key, fmt)
    elif name == "video/animation":
        tag = "Animation"
        operation["Animation"] = _animation(op)
        output["Object"] = output_key
    elif name in ("video/concat", "audio/concat"):
        tag = "Concat"
        operation["ConcatTemplate"] = _concat(op, inputs, bucket, region)
        output["Object"] = output_key
    else:
        raise refuse(name, _("the operation"), hint_for(name))
    operation["Output"] = output
    return {"Tag": tag, "Input": {"Object": input_key}, "Operation": operation}


def _concat(op: Op, inputs: Sequence[ConcatRef], bucket: str, region: str | None) -> dict[str, Any]:
    refuse_params(op, ("align", "scaletype", "pixfmt", "vbopt", "abopt", "aq", "adepth"))
    fragments = []
    for ref in inputs:
        frag: dict[str, str] = {
            "Url": cos_url(ref.bucket or bucket, region, ref.key),
            "Mode": "Start" if ref.position == "pre" else "End",
        }
        if ref.ss:
            frag["StartTime"] = to_secs(ref.ss)
        if ref.t:
            frag["EndTime"] = to_secs((ref.ss or 0) + ref.t)
        fragments.append(frag)
    body: dict[str, Any] = {"ConcatFragment": fragments, "Container": _container(op)}
    audio = _audio_node(op)
    if audio:
        body["Audio"] = audio
    if op.name == "video/concat":
        body["Video"] = _video_node(op)
    return body


# -- inverse ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CosJobSpec:
    """What the emulator needs to run a submitted job."""

    tag: str
    op: Op
    input_key: str
    output_bucket: str
    output_region: str
    output_key: str  # may hold ${Number}
    sprite_key: str | None = None
    inputs: tuple[ConcatRef, ...] = ()


def _get(d: Mapping[str, Any], *path: str) -> Any:
    cur: Any = d
    for p in path:
        if not isinstance(cur, Mapping) or p not in cur:
            return None
        cur = cur[p]
    return cur


def _mapping(value: Any) -> Mapping[str, Any]:
    """A node that should hold children: itself when it does, else empty (a text node, or absent)."""
    return value if isinstance(value, Mapping) else {}


def _back(mapping: Mapping[str, str], value: Any) -> str | None:
    if value in (None, ""):
        return None
    for k, v in mapping.items():
        if v.lower() == str(value).lower():
            return k
    raise InvalidOperation(_("unsupported value {v!r}").format(v=value), hint=", ".join(mapping.values()))


def parse_job_request(req: Mapping[str, Any]) -> CosJobSpec:
    """The inverse of :func:`media_job_request` (the emulator): the request dict -> an Op."""
    tag = str(req.get("Tag", ""))
    input_key = _get(req, "Input", "Object")
    output = _get(req, "Operation", "Output") or {}
    if not input_key or not isinstance(output, Mapping) or not output.get("Object"):
        raise InvalidOperation(
            _("the job needs Input/Object and Operation/Output/Object"), hint=_("see CreateMediaJobs")
        )
    operation = req.get("Operation") or {}
    inputs: tuple[ConcatRef, ...] = ()
    if tag == "Transcode":
        op = _transcode_back(_get(operation, "Transcode") or {})
    elif tag == "Snapshot":
        op = _snapshot_back(_get(operation, "Snapshot") or {})
    elif tag == "Animation":
        op = _animation_back(_get(operation, "Animation") or {})
    elif tag == "Concat":
        op, inputs = _concat_back(_get(operation, "ConcatTemplate") or {})
    else:
        raise UnsupportedOperation(
            _("job tag {tag!r} is not supported by the emulator").format(tag=tag),
            hint=_("Transcode, Snapshot, Animation or Concat"),
        )
    return CosJobSpec(
        tag=tag,
        op=op,
        input_key=str(input_key),
        output_bucket=str(output.get("Bucket", "")),
        output_region=str(output.get("Region", "")),
        output_key=str(output["Object"]),
        sprite_key=str(output["SpriteObject"]) if output.get("SpriteObject") else None,
        inputs=inputs,
    )


def _time_back(ti: Any) -> dict[str, Any]:
    ti = ti if isinstance(ti, Mapping) else {}
    return {"ss": to_ms(ti.get("Start")), "t": to_ms(ti.get("Duration"))}


def _media_params_back(video: Mapping[str, Any], audio: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if video:
        codec = video.get("Codec")
        out["vcodec"] = _back(VCODECS, codec) if codec else None
        if video.get("Width") and video.get("Height"):
            out["s"] = f"{video['Width']}x{video['Height']}"
        out["fps"] = video.get("Fps") or None
        out["vb"] = to_bps(video.get("Bitrate"))
        out["crf"] = video.get("Crf") or None
        out["pixfmt"] = video.get("Pixfmt") or None
        if str(video.get("Remove", "")).lower() == "true":
            out["vn"] = 1
    if audio:
        out["acodec"] = _back(ACODECS, audio.get("Codec")) if audio.get("Codec") else None
        out["ar"] = audio.get("Samplerate") or None
        out["ab"] = to_bps(audio.get("Bitrate"))
        out["ac"] = audio.get("Channels") or None
        if str(audio.get("Remove", "")).lower() == "true":
            out["an"] = 1
    return out


def _transcode_back(body: Mapping[str, Any]) -> Op:
    container = body.get("Container") or {}
    fmt = str(container.get("Format", "")).lower()
    video = _mapping(body.get("Video"))
    audio = _mapping(body.get("Audio"))
    params = _media_params_back(video, audio) | _time_back(body.get("TimeInterval"))
    adj = _get(body, "TransConfig", "AdjDarMethod")
    if adj:
        params["scaletype"] = _back(SCALETYPES, adj)
    if fmt == "hls":
        params["st"] = to_ms(_get(container, "ClipConfig", "Duration"))
        if params.get("vcodec") == "copy":
            params["vcodec"] = None
        params.pop("vn", None)
        params.pop("pixfmt", None)
        return wire_op("hls/m3u8", **params)
    f = _back(CONTAINERS, fmt)
    if fmt in AUDIO_CONTAINERS and not video:
        keep = {k: params.get(k) for k in ("ss", "t", "ar", "ac", "ab")}
        return wire_op("audio/convert", f=f, **keep)
    return wire_op("video/convert", f=f, **params)


def _snapshot_back(body: Mapping[str, Any]) -> Op:
    mode = _back(SNAPSHOT_MODES, body.get("Mode") or "Interval")
    common = {
        "f": body.get("Format") or "jpg",
        "ss": to_ms(body.get("Start")),
        "m": mode if mode != "inter" else None,
        "num": body.get("Count") or None,
        "inter": to_ms(body.get("TimeInterval")) or None,
    }
    if str(body.get("SnapshotOutMode", "OnlySnapshot")) == "OnlySprite":
        cfg = body.get("SpriteSnapshotConfig") or {}
        return wire_op(
            "video/sprite",
            **common,
            sw=cfg.get("CellWidth") or None,
            sh=cfg.get("CellHeight") or None,
            pad=cfg.get("Padding") or None,
            margin=cfg.get("Margin") or None,
            tw=cfg.get("Columns") or None,
            th=cfg.get("Lines") or None,
        )
    return wire_op("video/snapshots", **common, w=body.get("Width") or None, h=body.get("Height") or None)


def _animation_back(body: Mapping[str, Any]) -> Op:
    video = body.get("Video") or {}
    fmt = str(_get(body, "Container", "Format") or video.get("Codec") or "gif").lower()
    return wire_op(
        "video/animation",
        f=fmt,
        w=video.get("Width") or None,
        h=video.get("Height") or None,
        fps=video.get("Fps") or None,
        inter=to_ms(video.get("AnimateTimeIntervalOfFrame")) or None,
        **_time_back(body.get("TimeInterval")),
    )


def _concat_back(body: Mapping[str, Any]) -> tuple[Op, tuple[ConcatRef, ...]]:
    frags = body.get("ConcatFragment") or []
    if isinstance(frags, Mapping):
        frags = [frags]
    refs = []
    for frag in frags:
        frag_bucket, key = key_from_url(str(frag.get("Url", "")))
        start, end = to_ms(frag.get("StartTime")), to_ms(frag.get("EndTime"))
        refs.append(
            ConcatRef(
                key=key,
                bucket=frag_bucket,
                position="pre" if str(frag.get("Mode", "End")) == "Start" else "sur",
                ss=start,
                t=(end - (start or 0)) if end is not None else None,
            )
        )
    fmt = str(_get(body, "Container", "Format") or "").lower()
    video = _mapping(body.get("Video"))
    audio = _mapping(body.get("Audio"))
    params = _media_params_back(video, audio)
    f = _back(CONTAINERS, fmt)
    if fmt in AUDIO_CONTAINERS and not video:
        keep = {k: params.get(k) for k in ("ar", "ac", "ab")}
        return wire_op("audio/concat", f=f, **keep), tuple(refs)
    params.pop("pixfmt", None)
    return wire_op("video/concat", f=f, **params), tuple(refs)
