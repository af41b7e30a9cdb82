"""Every command a hint prints works as printed, on COS too (issue 18): the run gets the provider and
bucket as flags; the printed ``job wait``/``job status``/``job cancel`` run with nothing added."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from cos.conftest import BUCKET, put
from support.cli import Cli
from support.hints import printed_commands


@pytest.fixture(scope="module")
def longer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 s of 640x360: still running when a 0.1 s wait gives up, and when the printed command comes."""
    import subprocess

    import imageio_ffmpeg

    path = tmp_path_factory.mktemp("longer") / "longer.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                    "testsrc=size=640x360:rate=25:duration=12", "-c:v", "libx264", "-preset", "ultrafast",
                    "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


def timed_out(cli: Cli, clip: Path, out: str) -> str:
    res = cli("--provider", "cos", "--bucket", BUCKET, "process", str(clip),
              "video/convert:f=mp4,vcodec=h264,crf=40", "--to", out, "--timeout", "0.1")
    assert res.code == 7, res.stderr
    return res.stderr


def test_wait_and_status_hints_work_verbatim(cli: Cli, longer: Path, prefix: str, sdk: Any) -> None:
    text = timed_out(cli, longer, f"cos://{BUCKET}/{prefix}out.mp4")
    commands = printed_commands(text)
    waits = [c for c in commands if c[0] == "job" and c[1] in ("wait", "status")]
    assert any(c[1] == "wait" for c in waits), text
    for _ in range(2):  # and again, once the first settled the job
        for args in waits:
            res = cli(*args)
            assert res.code == 0, (args, res.stderr)
    assert sdk.head_object(Bucket=BUCKET, Key=f"{prefix}out.mp4")


def test_cancel_hint_works_verbatim(cli: Cli, prefix: str, longer: Path) -> None:
    text = timed_out(cli, longer, f"cos://{BUCKET}/{prefix}c.mp4")
    cancels = [c for c in printed_commands(text) if c[:2] == ["job", "cancel"]]
    assert cancels, text
    res = cli(*cancels[0])
    assert res.code == 0, res.stderr


def test_no_wait_shows_the_state_cos_answered(cli: Cli, clip: Path, prefix: str, sdk: Any) -> None:
    src = put(sdk, f"{prefix}clip.mp4", clip)
    res = cli("--provider", "cos", "--bucket", BUCKET, "process", src, "video/convert:f=mp4,vcodec=h264",
              "--to", f"cos://{BUCKET}/{prefix}nw.mp4", "--no-wait")
    assert res.code == 0, res.stderr
    # the state CI answered the submission with (JobsDetail/State), never "completed"
    assert "completed" not in res.stdout and re.search(r"submitted \((queued|running)\)", res.stdout), res.stdout
    for args in printed_commands(res.stderr):
        assert cli(*args).code == 0
