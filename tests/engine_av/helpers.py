"""Helpers for the media engine tests: build operations, decode outputs, compare frames."""

from __future__ import annotations

import struct
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image

from mediaproc.engine.av import ffmpeg_exe, probe
from mediaproc.ops.model import Op
from mediaproc.ops.parse import parse_op


def op(name: str, **params: Any) -> Op:
    """A validated operation, exactly as the CLI builds it from KEY=VALUE words."""
    return parse_op(name, [f"{k}={v}" for k, v in params.items()])


def info(path: Path, kind: str = "video") -> dict[str, Any]:
    return probe(path, kind=kind)


def video_stream(path: Path) -> dict[str, str]:
    return info(path)["Streams"]["VideoStream"][0]


def audio_stream(path: Path) -> dict[str, str]:
    return info(path)["Streams"]["AudioStream"][0]


def duration(path: Path) -> float:
    return float(info(path)["Format"]["Duration"])


def decode_frames(path: Path) -> list[tuple[float, np.ndarray]]:
    """Every video frame as (time in s, RGB array), decoded by PyAV, rotation not applied."""
    with av.open(str(path)) as c:
        return [(float(f.time), f.to_ndarray(format="rgb24").astype(np.int16)) for f in c.decode(video=0)]


def count_frames(path: Path) -> int:
    with av.open(str(path)) as c:
        return sum(1 for _ in c.decode(video=0))


def stream_durations(path: Path) -> dict[str, float]:
    """Per-stream duration from the packets (last pts + duration - first pts), in seconds."""
    out: dict[str, float] = {}
    with av.open(str(path)) as c:
        for s in c.streams:
            first = last = None
            for pkt in c.demux(s):
                if pkt.pts is None:
                    continue
                end = pkt.pts + (pkt.duration or 0)
                first = pkt.pts if first is None else min(first, pkt.pts)
                last = end if last is None else max(last, end)
            if first is not None and last is not None:
                out[s.type] = float((last - max(first, 0)) * s.time_base)
            c.seek(0)
    return out


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB")).astype(np.int16)


def diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def nearest(image: np.ndarray, frames: Sequence[tuple[float, np.ndarray]]) -> tuple[int, float]:
    """Index of the decoded frame most like ``image`` (same size), and the distance to it."""
    ds = [diff(image, f) for _t, f in frames]
    i = int(np.argmin(ds))
    return i, ds[i]


def webp_durations(path: Path) -> list[int]:
    """Frame durations (ms) of an animated WebP, read from its ANMF chunks."""
    data = path.read_bytes()
    i, out = 12, []
    while i + 8 <= len(data):
        tag, size = data[i : i + 4], struct.unpack("<I", data[i + 4 : i + 8])[0]
        if tag == b"ANMF":
            out.append(int.from_bytes(data[i + 8 + 12 : i + 8 + 15], "little"))
        i += 8 + size + (size & 1)
    return out


def gif_durations(path: Path) -> list[int]:
    with Image.open(path) as im:
        out = []
        for n in range(im.n_frames):
            im.seek(n)
            out.append(int(im.info.get("duration", 0)))
        return out


def ffmpeg_decodes(path: Path) -> subprocess.CompletedProcess[bytes]:
    """Decode the whole input with ffmpeg (what a player would do); returncode 0 = playable."""
    return subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-i", str(path), "-f", "null", "-"],
        capture_output=True,
        check=False,
    )


def leftovers(folder: Path) -> list[str]:
    """Hidden temp files/folders the engine might have left behind."""
    return sorted(p.name for p in folder.rglob(".*"))


def audio_seconds(path: Path) -> float:
    """Length of the sound by decoding it (raw formats like AMR have no reliable header duration)."""
    with av.open(str(path)) as c:
        s = c.streams.audio[0]
        samples = sum(f.samples for f in c.decode(s))
        return samples / s.codec_context.sample_rate
