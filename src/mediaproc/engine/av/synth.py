"""Synthetic media from ffmpeg's test sources, for tests, benchmarks and self-checks.

Real files with known properties (size, rate, keyframes, rotation, sound) let tests check outputs by
decoding them instead of trusting the code that wrote them; nothing has to be downloaded.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from mediaproc.engine.av.runner import ffmpeg_exe


def _run(args: Sequence[str]) -> None:
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args],
        check=True,
        stdin=subprocess.DEVNULL,
    )


def make_video(
    path: Path,
    *,
    size: tuple[int, int] = (320, 240),
    fps: int = 25,
    duration: float = 3.0,
    audio: bool = True,
    sample_rate: int = 44_100,
    keyframes: Sequence[float] | None = None,
    vcodec: str = "libx264",
    pix_fmt: str = "yuv420p",
    preset: str = "ultrafast",
    tone: int = 440,
    pattern: str = "testsrc2",
) -> Path:
    """An H.264 (or other) clip; ``keyframes`` lists the only keyframe times (seconds)."""
    w, h = size
    args = ["-f", "lavfi", "-i", f"{pattern}=size={w + w % 2}x{h + h % 2}:rate={fps}:duration={duration}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency={tone}:sample_rate={sample_rate}:duration={duration}"]
    vf = f"scale={w}:{h},setsar=1" if (w % 2 or h % 2) else "setsar=1"
    args += ["-map", "0:v", "-vf", vf, "-c:v", vcodec, "-pix_fmt", pix_fmt]
    if vcodec == "libx264":
        args += ["-preset", preset]
    if keyframes is not None:
        args += ["-g", "100000", "-sc_threshold", "0", "-force_key_frames", ",".join(f"{k:g}" for k in keyframes)]
    if audio:
        args += ["-map", "1:a", "-c:a", "aac", "-ac", "2", "-shortest"]
    _run([*args, str(path)])
    return path


def make_audio(
    path: Path,
    *,
    duration: float = 2.0,
    sample_rate: int = 44_100,
    channels: int = 1,
    tone: int = 300,
    codec: str = "libmp3lame",
) -> Path:
    _run(
        [
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency={tone}:sample_rate={sample_rate}:duration={duration}",
            "-ac",
            str(channels),
            "-c:a",
            codec,
            str(path),
        ]
    )
    return path


def rotate(src: Path, dst: Path, degrees_clockwise: int) -> Path:
    """A copy of ``src`` whose display matrix asks players to rotate it (like phone footage)."""
    _run(["-display_rotation", str(-degrees_clockwise), "-i", str(src), "-c", "copy", str(dst)])
    return dst
