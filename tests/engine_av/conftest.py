"""Session-scoped real media made with ffmpeg's test sources (small, a few seconds).

- ``clip``: 320x240, 25 fps, 3 s, H.264 + stereo AAC 44.1 kHz; keyframes only at 0, 1.2 and 2.4 s.
- ``phone``: ``clip`` with display-matrix rotation 90 degrees clockwise (portrait phone footage).
- ``odd``: 321x241 yuv444p H.264, 2 s, no sound.
- ``clip30``: 320x240 at 30 fps, 2 s, with sound 48 kHz (differs from ``clip`` in rate).
- ``big``: 640x480, 2 s (differs from ``clip`` in resolution).
- ``tone``: 2 s mono MP3 44.1 kHz; ``tone48``: 1.5 s stereo WAV 48 kHz.
- ``scenes``: three visually different 1 s scenes, 25 fps (for duplicate detection).
- ``long_clip``: 640x360, 20 s, no sound (transcodes that last long enough to cancel).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mediaproc.engine.av import ffmpeg_exe
from mediaproc.engine.av.synth import make_audio, make_video, rotate


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("av_media")


@pytest.fixture(scope="session")
def clip(media: Path) -> Path:
    return make_video(media / "clip.mp4", keyframes=[0, 1.2, 2.4])


@pytest.fixture(scope="session")
def phone(media: Path, clip: Path) -> Path:
    return rotate(clip, media / "phone.mp4", 90)


@pytest.fixture(scope="session")
def odd(media: Path) -> Path:
    return make_video(media / "odd.mp4", size=(321, 241), duration=2, audio=False, pix_fmt="yuv444p")


@pytest.fixture(scope="session")
def clip30(media: Path) -> Path:
    return make_video(media / "clip30.mp4", fps=30, duration=2, sample_rate=48_000, tone=660)


@pytest.fixture(scope="session")
def big(media: Path) -> Path:
    return make_video(media / "big.mp4", size=(640, 480), duration=2)


@pytest.fixture(scope="session")
def tone(media: Path) -> Path:
    return make_audio(media / "tone.mp3", duration=2)


@pytest.fixture(scope="session")
def tone48(media: Path) -> Path:
    return make_audio(media / "tone48.wav", duration=1.5, sample_rate=48_000, channels=2, codec="pcm_s16le")


@pytest.fixture(scope="session")
def scenes(media: Path) -> Path:
    out = media / "scenes.mp4"
    sources = ["testsrc2", "smptebars", "color=c=red:"]
    args = [ffmpeg_exe(), "-hide_banner", "-v", "error", "-y"]
    for s in sources:
        args += ["-f", "lavfi", "-i", (s if s.endswith(":") else s + "=") + "size=320x240:rate=25:duration=1"]
    graph = "".join(f"[{i}:v]setsar=1,format=yuv420p[v{i}];" for i in range(3))
    graph += "".join(f"[v{i}]" for i in range(3)) + "concat=n=3:v=1:a=0[v]"
    args += ["-filter_complex", graph, "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast", str(out)]
    subprocess.run(args, check=True)
    return out


@pytest.fixture(scope="session")
def long_clip(media: Path) -> Path:
    return make_video(media / "long.mp4", size=(640, 360), duration=20, audio=False)
