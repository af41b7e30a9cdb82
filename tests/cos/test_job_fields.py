"""The fields a COS media job writes reach the engine, through the real qcloud_cos client and
``mediaproc serve``'s COS front, measured on the output.

Regression: the HLS job's rate cap (``Video/Maxrate``, ``Video/Bufsize``) was written by the
provider but never read back by serve's inverse, so serve transcoded without it. The job fields are
now declared once (``mediaproc.ops.cos.job_fields``) for both directions; this checks the far end.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cos.conftest import CliResult, probe, put

MAXRATE = 150_000  # bit/s: a tenth of what the noise below needs without a cap


@pytest.fixture(scope="module")
def noise(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 s of 320x240 random noise at 25 fps: incompressible, so an uncapped encoder writes
    megabits per second and a cap shows plainly in the size."""
    import imageio_ffmpeg

    out = tmp_path_factory.mktemp("noise") / "noise.mp4"
    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y",
            "-f", "lavfi", "-i", "nullsrc=size=320x240:rate=25,geq=lum='random(1)*255':cb=128:cr=128",
            "-t", "2", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "25", "-crf", "18", str(out),
        ],
        check=True,
    )  # fmt: skip
    return out


def video_bitrate(playlist: Path) -> float:
    """Bits per second of the video packets of every segment the playlist names, read by PyAV."""
    import av

    segments = [playlist.parent / line for line in playlist.read_text().splitlines() if line and line[0] != "#"]
    assert segments and all(s.is_file() for s in segments)
    bits = 0
    for segment in segments:
        with av.open(str(segment)) as container:
            bits += 8 * sum(p.size for p in container.demux(container.streams.video[0]) if p.size)
    return bits / sum(probe(s)["duration"] for s in segments)


def test_hls_rate_cap_reaches_the_engine(
    cli: Callable[..., CliResult], sdk: Any, noise: Path, prefix: str, tmp_path: Path
) -> None:
    source = put(sdk, f"{prefix}noise.mp4", noise)
    rates = {}
    for name, cap in (("capped", [f"maxrate={MAXRATE}", f"bufsize={MAXRATE}"]), ("uncapped", [])):
        out = tmp_path / name
        out.mkdir()
        r = cli("--json", "hls", "m3u8", source, "st=1000", *cap, "--to", str(out / "index.m3u8"))
        assert r.code == 0, r.stderr
        assert r.json()["task_id"].startswith("j")  # a CI media job, run by serve
        rates[name] = video_bitrate(out / "index.m3u8")
    assert rates["uncapped"] > 10 * MAXRATE, rates  # the source really needs more than the cap
    assert rates["capped"] < 2 * MAXRATE, rates  # VBV keeps the average near the cap
