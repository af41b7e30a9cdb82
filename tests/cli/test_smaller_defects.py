"""The smaller defects of issue 18, each through the CLI (and serve where it answers): warnings once,
``audio info`` of a photo, serve's error messages (keys, never its disk), serve's ``--root`` and
``--host`` checks, parameter hints in the chosen language."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from support.cli import Cli

DATA = Path(__file__).resolve().parents[1] / "data"


def _clip(path: Path, size: str, rate: int, sample_rate: int) -> Path:
    import imageio_ffmpeg

    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc=size={size}:rate={rate}:duration=1", "-f", "lavfi", "-i",
                    f"sine=duration=1:sample_rate={sample_rate}", "-shortest", "-c:v", "libx264", "-preset",
                    "ultrafast", "-pix_fmt", "yuv420p", str(path)], check=True)
    return path


def test_concat_warnings_are_printed_once(cli: Cli, tmp_path: Path) -> None:
    a = _clip(tmp_path / "a.mp4", "160x120", 25, 44100)
    b = _clip(tmp_path / "b.mp4", "160x120", 15, 22050)
    res = cli("video", "concat", str(a), "f=mp4", "vcodec=h264", "acodec=aac", "--input", str(b),
              "--to", str(tmp_path / "c.mp4"))
    assert res.code == 0, res.stderr
    warnings = [line for line in res.stderr.splitlines() if line.startswith("Warning:")]
    assert len(warnings) == 2 and len(set(warnings)) == 2, res.stderr  # frame rate, sample rate: once each
    doc = cli("video", "concat", str(a), "f=mp4", "vcodec=h264", "acodec=aac", "--input", str(b),
              "--to", str(tmp_path / "d.mp4"), "--json").json()
    assert len(doc["warnings"]) == 2


def test_audio_info_of_a_photo_is_bad_input(cli: Cli) -> None:
    res = cli("audio", "info", str(DATA / "rocket.jpg"))
    assert res.code == 2 and res.stdout == ""
    assert res.first_stderr_line == "Error: rocket.jpg has no audio stream" and "Hint:" in res.stderr
    assert cli("audio", "info", str(DATA / "rocket.jpg"), "--json").error["code"] == "NoAudioStream"


def test_audio_info_of_a_photo_through_cos(cli: Cli, emulator: Any) -> None:
    from qcloud_cos import CosConfig, CosS3Client

    client = CosS3Client(CosConfig(Region="ap-guangzhou", SecretId=emulator.access_key_id,
                                   SecretKey=emulator.access_key_secret, IP="127.0.0.1", Port=emulator.port,
                                   Scheme="http"))
    client.create_bucket(Bucket="media-1250000000")
    with (DATA / "rocket.jpg").open("rb") as fh:
        client.put_object(Bucket="media-1250000000", Key="rocket.jpg", Body=fh)
    env = {"TENCENTCLOUD_SECRET_ID": emulator.access_key_id, "TENCENTCLOUD_SECRET_KEY": emulator.access_key_secret,
           "MEDIAPROC_ENDPOINT": emulator.url, "MEDIAPROC_REGION": "ap-guangzhou"}
    res = cli("audio", "info", "cos://media-1250000000/rocket.jpg", env=env)
    assert res.code == 2, res.stderr
    assert "no audio stream" in res.first_stderr_line


def test_serve_error_messages_show_keys_never_its_disk(emulator: Any) -> None:
    import oss2

    bucket = emulator.oss_bucket("media")
    bucket.put_object("bad/text.jpg", b"hello, not an image")
    bucket.put_object("trunc.jpg", (DATA / "rocket.jpg").read_bytes()[:30000])
    bucket.put_object("clip.txt", b"plain text")
    messages = []
    for key, process in (("bad/text.jpg", "image/resize,w_10"), ("bad/text.jpg", "image/info"),
                         ("trunc.jpg", "image/resize,w_10"), ("clip.txt", "video/snapshot,t_0,f_jpg"),
                         ("bad/text.jpg", "audio/info"), ("missing.jpg", "image/resize,w_10")):
        with pytest.raises(oss2.exceptions.OssError) as info:
            bucket.get_object(key, process=process).read()
        messages.append(str(info.value.message))
    root = str(emulator.root)
    for message in messages:
        assert root not in message and "/tmp/" not in message, message
        assert "b'" not in message and not message.rstrip().endswith("*"), message
        assert "\n" not in message
    assert any("bad/text.jpg" in m for m in messages), messages  # the key is still named


def test_serve_refuses_a_missing_root(cli: Cli, tmp_path: Path) -> None:
    root = tmp_path / "nonexistent" / "buckets"
    res = cli("serve", "--root", str(root), "--port", "0")
    assert res.code == 2 and "does not exist" in res.first_stderr_line and "--create" in res.stderr
    assert not (tmp_path / "nonexistent").exists()


def _serve_stderr(tmp_path: Path, *extra: str) -> str:
    """Start serve, read stderr up to its listening line, stop it."""
    proc = subprocess.Popen([sys.executable, "-m", "mediaproc", "serve", "--port", "0", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "CI": "1"})
    assert proc.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            lines.append(line)
            if "listening on" in line:
                break
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return "".join(lines)


def test_serve_create_and_the_all_interfaces_warning(tmp_path: Path) -> None:
    root = tmp_path / "new" / "buckets"
    text = _serve_stderr(tmp_path, "--root", str(root), "--create", "--host", "0.0.0.0")
    assert root.is_dir()
    assert re.search(r"Warning: listening on all interfaces: .*test credentials", text), text
    quiet = _serve_stderr(tmp_path, "--root", str(root))
    assert "listening on http://127.0.0.1:" in quiet and "Warning" not in quiet


def test_parameter_hints_follow_lang(cli: Cli, tmp_path: Path) -> None:
    res = cli("--lang", "zh", "process", str(DATA / "rocket.jpg"), "resize:w=abc", "--to", str(tmp_path / "o.jpg"))
    assert res.code == 2
    hint = next(line for line in res.stderr.splitlines() if line.startswith("提示"))
    assert "target width" not in hint and "目标宽度" in hint, hint
