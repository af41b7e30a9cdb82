"""Metadata answers converted to the OSS JSON shapes the other providers return, and back for the
emulator: ``?imageInfo`` (+ ``?exif``) <-> OSS ``image/info``, ``?imageAve`` <-> ``average-hue``,
``ci-process=videoinfo`` ``MediaInfo`` <-> OSS ``video/info`` / ``audio/info``.

Sources (searched 2026-11-21, read in the docs' source repository tencentyun/qcloud-documents):
"Obtaining Basic Image Information" (product/1045/33722: ``format width height size md5
frame_count photo_rgb``); videoinfo 436/55672 (the ``MediaInfo`` of GenerateMediaInfo, whose
fields :func:`mediainfo_to_oss` lists). CI bitrates are kbit/s, OSS's bits/s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mediaproc.ops.cos.common import to_bps, to_kbps

__all__ = ["ave_from_ci", "info_from_ci", "mediainfo_to_oss", "oss_to_ci_info", "oss_to_mediainfo"]


def info_from_ci(info: Mapping[str, Any], exif: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``?imageInfo`` (+ ``?exif``) JSON -> the OSS ``image/info`` shape (values wrapped, sorted)."""
    fmt = str(info.get("format", "")).lower()
    fmt = {"jpeg": "jpg"}.get(fmt, fmt)
    out: dict[str, Any] = {
        "FileSize": {"value": str(info.get("size", ""))},
        "Format": {"value": fmt},
        "ImageHeight": {"value": str(info.get("height", ""))},
        "ImageWidth": {"value": str(info.get("width", ""))},
    }
    if info.get("frame_count") not in (None, ""):  # OSS always answers FrameCount; CI's frame_count
        out["FrameCount"] = {"value": str(info["frame_count"])}
    for name, entry in (exif or {}).items():
        value = entry.get("val", entry.get("value")) if isinstance(entry, Mapping) else entry
        if value is not None and name not in out:
            out[name] = {"value": str(value)}
    return dict(sorted(out.items()))


def oss_to_ci_info(oss_info: Mapping[str, Any], *, md5: str, hue: str | None) -> tuple[dict[str, str], dict[str, Any]]:
    """The inverse, for the emulator: (imageInfo JSON, exif JSON) from the engine's OSS shape."""

    def val(name: str) -> str:
        entry = oss_info.get(name)
        return str(entry.get("value", "")) if isinstance(entry, Mapping) else ""

    fmt = val("Format")
    info = {
        "format": {"jpg": "jpeg"}.get(fmt, fmt),
        "width": val("ImageWidth"),
        "height": val("ImageHeight"),
        "size": val("FileSize"),
        "md5": md5,
        "frame_count": val("FrameCount") or "1",
    }
    if hue:
        info["photo_rgb"] = hue
    basic = {"FileSize", "Format", "FrameCount", "ImageHeight", "ImageWidth"}  # the rest is EXIF
    exif = {
        k: {"val": str(v.get("value", "")), "type": 2}
        for k, v in oss_info.items()
        if k not in basic and isinstance(v, Mapping)
    }
    return info, exif


def ave_from_ci(data: Mapping[str, Any]) -> dict[str, str]:
    """``?imageAve`` -> ``{"RGB": "0x5c783b"}`` (CI spells it the same; normalise the case)."""
    rgb = str(data.get("RGB", data.get("rgb", "")))
    return {"RGB": "0x" + rgb[2:].lower() if rgb.lower().startswith("0x") else rgb}


def mediainfo_to_oss(media_info: Mapping[str, Any], *, kind: str = "video") -> dict[str, Any]:
    """CI ``ci-process=videoinfo`` ``MediaInfo`` -> the OSS ``video/info``/``audio/info`` shape.

    CI (GenerateMediaInfo): ``Format{NumStream, FormatName, FormatLongName, StartTime, Duration,
    Bitrate (kbps), Size}``, ``Stream{Video[{Index, CodecName, CodecLongName, Profile, Width,
    Height, PixFormat, Fps, Duration, Bitrate, NumFrames, Rotation}], Audio[{Index, CodecName,
    CodecLongName, SampleFmt, SampleRate, Channel, ChannelLayout, Duration, Bitrate}]}``.
    """
    fmt = media_info.get("Format") or {}
    stream = media_info.get("Stream") or {}

    def lst(v: Any) -> list[Mapping[str, Any]]:
        if not v:
            return []
        return [x for x in (v if isinstance(v, list) else [v]) if isinstance(x, Mapping)]

    def bits(v: Any) -> str:
        b = to_bps(v) if v not in (None, "") else None
        return "" if b is None else str(b)

    out_fmt = {
        "Duration": str(fmt.get("Duration", "")),
        "Size": str(fmt.get("Size", "")),
        "FormatName": str(fmt.get("FormatName", "")),
        "FormatLongName": str(fmt.get("FormatLongName", "")),
        "Bitrate": bits(fmt.get("Bitrate")),
        "StartTime": str(fmt.get("StartTime", "")),
        "NumberOfStreams": str(fmt.get("NumStream", "")),
    }
    videos = []
    for v in lst(stream.get("Video")):
        entry = {
            "Index": str(v.get("Index", "")),
            "CodecName": str(v.get("CodecName", "")),
            "CodecLongName": str(v.get("CodecLongName", "")),
            "Profile": str(v.get("Profile", "")),
            "Width": str(v.get("Width", "")),
            "Height": str(v.get("Height", "")),
            "FrameRate": str(v.get("Fps", "")),
            "BitRate": bits(v.get("Bitrate")),
            "PixelFormat": str(v.get("PixFormat", "")),
            "Duration": str(v.get("Duration", "")),
            "FrameCount": str(v.get("NumFrames", "")),
        }
        if v.get("Rotation") not in (None, "", "0"):
            entry["Rotate"] = str(v["Rotation"])
        videos.append(entry)
    audios = [
        {
            "Index": str(a.get("Index", "")),
            "CodecName": str(a.get("CodecName", "")),
            "CodecLongName": str(a.get("CodecLongName", "")),
            "SampleRate": str(a.get("SampleRate", "")),
            "Channels": str(a.get("Channel", "")),
            "ChannelLayout": str(a.get("ChannelLayout", "")),
            "SampleFormat": str(a.get("SampleFmt", "")),
            "BitRate": bits(a.get("Bitrate")),
            "Duration": str(a.get("Duration", "")),
        }
        for a in lst(stream.get("Audio"))
    ]
    streams: dict[str, Any] = {}
    if kind != "audio":
        streams["VideoStream"] = videos
    streams["AudioStream"] = audios
    return {"Format": out_fmt, "Streams": streams}


def oss_to_mediainfo(info: Mapping[str, Any]) -> dict[str, Any]:
    """The inverse, for the emulator: the engine's OSS-shaped probe -> CI ``MediaInfo``."""
    fmt = info.get("Format") or {}
    streams = info.get("Streams") or {}

    def kb(v: Any) -> str:
        return to_kbps(int(v)) if str(v or "").isdigit() else ""

    video = []
    for v in streams.get("VideoStream") or []:
        entry = {
            "Index": v.get("Index", ""),
            "CodecName": v.get("CodecName", ""),
            "CodecLongName": v.get("CodecLongName", ""),
            "Profile": v.get("Profile", ""),
            "Width": v.get("Width", ""),
            "Height": v.get("Height", ""),
            "PixFormat": v.get("PixelFormat", ""),
            "Fps": v.get("FrameRate", ""),
            "Duration": v.get("Duration", ""),
            "Bitrate": kb(v.get("BitRate")),
            "NumFrames": v.get("FrameCount", ""),
            "Rotation": v.get("Rotate", "0"),
        }
        video.append(entry)
    audio = [
        {
            "Index": a.get("Index", ""),
            "CodecName": a.get("CodecName", ""),
            "CodecLongName": a.get("CodecLongName", ""),
            "SampleFmt": a.get("SampleFormat", ""),
            "SampleRate": a.get("SampleRate", ""),
            "Channel": a.get("Channels", ""),
            "ChannelLayout": a.get("ChannelLayout", ""),
            "Duration": a.get("Duration", ""),
            "Bitrate": kb(a.get("BitRate")),
        }
        for a in streams.get("AudioStream") or []
    ]
    stream: dict[str, Any] = {}
    if video:
        stream["Video"] = video
    if audio:
        stream["Audio"] = audio
    return {
        "Stream": stream,
        "Format": {
            "NumStream": fmt.get("NumberOfStreams", ""),
            "NumProgram": "0",
            "FormatName": fmt.get("FormatName", ""),
            "FormatLongName": fmt.get("FormatLongName", ""),
            "StartTime": fmt.get("StartTime", ""),
            "Duration": fmt.get("Duration", ""),
            "Bitrate": kb(fmt.get("Bitrate")),
            "Size": fmt.get("Size", ""),
        },
    }
