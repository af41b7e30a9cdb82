"""Cloud-side batches on ``mediaproc serve``: IMM batches and triggers, CI workflows and inventory
jobs, driven by the real ``alibabacloud_imm20200930``, ``oss2`` and ``qcloud_cos`` clients.

One server per module; each test works under its own prefix. Images are tiny (16x12 JPEGs) so a
500-object batch stays quick; the outputs are decoded and checked, never just counted.
"""

from __future__ import annotations

import io
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from support.emulator import running_emulator

    with running_emulator(tmp_path_factory.mktemp("cloud-batches")) as server:
        yield server


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1 s of 128x96 test pattern at 10 fps with a tone."""
    from mediaproc.engine.av import ffmpeg_exe

    out = tmp_path_factory.mktemp("flows-media") / "clip.mp4"
    subprocess.run(
        [
            ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=128x96:rate=10",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=22050", "-t", "1",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(out),
        ],
        check=True,
    )  # fmt: skip
    return out


@pytest.fixture
def prefix() -> str:
    return f"t-{uuid.uuid4().hex[:8]}/"


def tiny_jpeg(width: int = 16, height: int = 12, colour: tuple[int, int, int] = (200, 40, 40)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buf, "JPEG")
    return buf.getvalue()


def decode(data: bytes) -> tuple[str, tuple[int, int]]:
    """(PIL format, size) of an encoded image."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        return str(img.format), img.size


def poll(
    read: Callable[[], Any], done: Callable[[Any], bool], *, limit_s: float = 120.0, every_s: float = 0.05
) -> list[Any]:
    """Read until ``done``; every reading, in order (a hang fails the test after ``limit_s``)."""
    seen: list[Any] = []
    end = time.monotonic() + limit_s
    while True:
        value = read()
        seen.append(value)
        if done(value):
            return seen
        if time.monotonic() > end:
            raise AssertionError(f"still not done after {limit_s} s: {value!r}")
        time.sleep(every_s)
