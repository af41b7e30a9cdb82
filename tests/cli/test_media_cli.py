"""``mediaproc video|audio|hls`` on the local provider: real media in, outputs probed, exit codes.

The in-process ``cli`` fixture (tests/conftest.py, tests/support/cli.py) runs the real entry point with CI=1; the
progress and Ctrl-C tests run ``python -m mediaproc`` as a child process with stderr a pipe.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import psutil
import pytest
from PIL import Image

from mediaproc.engine.av import probe, segment_durations
from mediaproc.engine.av.synth import make_audio, make_video

Cli = Callable[..., Any]


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cli_media")
    return {
        "clip": make_video(d / "clip.mp4", keyframes=[0, 1.2, 2.4]),
        "big": make_video(d / "big.mp4", size=(640, 480), duration=1),
        "tone": make_audio(d / "tone.mp3", duration=2),
        "tone2": make_audio(d / "tone2.mp3", duration=1, tone=500),
    }


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("cli_long") / "long.mp4", size=(640, 360), duration=20, audio=False)


def _stream(path: Path, kind: str = "VideoStream") -> dict[str, str]:
    return probe(path)["Streams"][kind][0]


def test_video_convert_json_job_fields(cli: Cli, media: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "o.mp4"
    r = cli("video", "convert", str(media["clip"]), "f=mp4", "vcodec=h264", "s=160x120", "--to", str(out), "--json")
    assert r.code == 0, r.stderr
    doc = r.json()
    assert doc["success"] is True and doc["status"] == "succeeded"
    assert doc["task_id"].startswith("MediaConvert-")
    assert isinstance(doc["elapsed_seconds"], float) and isinstance(doc["generated_keys"], list)
    assert doc["path"] == str(out.resolve())
    v = _stream(out)
    assert (v["CodecName"], v["Width"], v["Height"]) == ("h264", "160", "120")


def test_parameters_are_validated_by_the_model(cli: Cli, media: dict[str, Path], tmp_path: Path) -> None:
    r = cli("video", "convert", str(media["clip"]), "f=mp4", "bogus=1", "--to", str(tmp_path / "o.mp4"))
    assert (r.code, r.first_stderr_line) == (2, "Error: video/convert: unknown parameter 'bogus'")
    r = cli("video", "convert", str(media["clip"]), "vcodec=h264", "--to", str(tmp_path / "o"))  # names no format
    assert (r.code, r.first_stderr_line) == (2, "Error: video/convert: missing required parameter f")
    assert r.stderr.splitlines()[1].endswith("; e.g. f=...")  # the spelling a media command takes, pasteable
    r = cli("process", str(media["clip"]), "video/convert:vcodec=h264", "--to", str(tmp_path / "o"))
    assert r.stderr.splitlines()[1].endswith("; e.g. video/convert:f=...")  # a chain's own spelling
    r = cli("video", "sprite", str(media["clip"]), "f=jpg", "sw=10", "--to", str(tmp_path / "s.jpg"))
    assert (r.code, r.first_stderr_line) == (2, "Error: video/sprite: sw=10 is out of range (32-4096)")
    assert not list(tmp_path.iterdir())


def test_snapshot_and_snapshots(cli: Cli, media: dict[str, Path], tmp_path: Path) -> None:
    r = cli("video", "snapshot", str(media["clip"]), "t=1000", "w=160", "--to", str(tmp_path / "s.jpg"), "--json")
    assert r.code == 0, r.stderr
    with Image.open(tmp_path / "s.jpg") as im:
        assert (im.format, im.size) == ("JPEG", (160, 120))
    doc = r.json()  # a snapshot is an image: its result says what was written, as an image chain's does
    assert (doc["format"], doc["width"], doc["height"]) == ("jpg", 160, 120)
    r = cli("video", "snapshots", str(media["clip"]), "f=png", "inter=1000", "--to", str(tmp_path / "f"), "--json")
    assert r.code == 0, r.stderr
    keys = r.json()["generated_keys"]
    assert [Path(k).name for k in keys] == ["f_0_1.png", "f_0_2.png", "f_0_3.png"]
    assert all(Path(k).is_file() for k in keys)
    # --quiet prints what a script captures: every file written, one per line (it printed the first only)
    r = cli("video", "snapshots", str(media["clip"]), "f=png", "inter=1000", "--to", str(tmp_path / "q"), "-q")
    assert r.code == 0, r.stderr
    assert [Path(line).name for line in r.stdout.splitlines()] == ["q_0_1.png", "q_0_2.png", "q_0_3.png"]
    assert all(Path(line).is_file() for line in r.stdout.splitlines())
    r = cli("video", "snapshot", str(media["clip"]), "t=1000", "--to", str(tmp_path / "one.jpg"), "-q")
    assert r.code == 0 and r.stdout == f"{tmp_path / 'one.jpg'}\n", r.stdout


def test_sprite_and_animation(cli: Cli, media: dict[str, Path], tmp_path: Path) -> None:
    r = cli(
        "video",
        "sprite",
        str(media["clip"]),
        "f=jpg",
        "num=4",
        "sw=64",
        "sh=48",
        "tw=2",
        "th=2",
        "pad=0",
        "margin=0",
        "--to",
        str(tmp_path / "sheet.jpg"),
    )
    assert r.code == 0, r.stderr
    assert Image.open(tmp_path / "sheet.jpg").size == (128, 96)
    r = cli("video", "animation", str(media["clip"]), "f=gif", "inter=500", "w=80", "--to", str(tmp_path / "a.gif"))
    assert r.code == 0, r.stderr
    with Image.open(tmp_path / "a.gif") as im:
        assert (im.size, im.n_frames) == ((80, 60), 6)


def test_video_concat_inputs(cli: Cli, media: dict[str, Path], tmp_path: Path) -> None:
    clip = str(media["clip"])
    r = cli(
        "video",
        "concat",
        clip,
        "f=mp4",
        "vcodec=h264",
        "acodec=aac",
        "--input",
        f"{clip},ss=1000,t=1000",
        "--pre-input",
        f"{clip},t=500",
        "--to",
        str(tmp_path / "c.mp4"),
    )
    assert r.code == 0, r.stderr
    assert float(probe(tmp_path / "c.mp4")["Format"]["Duration"]) == pytest.approx(0.5 + 3 + 1, abs=0.04)
    r = cli(
        "video",
        "concat",
        clip,
        "f=mp4",
        "vcodec=h264",
        "acodec=aac",
        "--input",
        str(media["big"]),
        "--to",
        str(tmp_path / "x.mp4"),
    )
    assert r.code == 2
    assert r.first_stderr_line == "Error: inputs differ in resolution (clip.mp4: 320x240, big.mp4: 640x480)"
    assert "s=" in r.stderr  # the hint: scale them with s=
    assert not (tmp_path / "x.mp4").exists()


def test_info_commands(cli: Cli, media: dict[str, Path]) -> None:
    r = cli("video", "info", str(media["clip"]))
    assert r.code == 0, r.stderr
    doc = r.json()
    assert doc["Streams"]["VideoStream"][0]["Width"] == "320"
    assert doc["Streams"]["AudioStream"][0]["SampleRate"] == "44100"
    assert float(doc["Format"]["Duration"]) == pytest.approx(3.0, abs=0.05)
    r = cli("audio", "info", str(media["tone"]), "--json")  # the result document, data inside
    assert r.code == 0, r.stderr
    assert r.json()["data"]["Streams"]["AudioStream"][0]["CodecName"] == "mp3"


def test_audio_convert_and_concat(cli: Cli, media: dict[str, Path], tmp_path: Path) -> None:
    r = cli("audio", "convert", str(media["tone"]), "f=opus", "ab=32000", "--to", str(tmp_path / "a.opus"))
    assert r.code == 0, r.stderr
    assert _stream(tmp_path / "a.opus", "AudioStream")["CodecName"] == "opus"
    r = cli(
        "audio", "concat", str(media["tone"]), "f=mp3", "--input", str(media["tone2"]), "--to", str(tmp_path / "c.mp3")
    )
    assert r.code == 0, r.stderr
    with av.open(str(tmp_path / "c.mp3")) as c:
        s = c.streams.audio[0]
        seconds = sum(f.samples for f in c.decode(s)) / s.codec_context.sample_rate
    assert seconds == pytest.approx(3.0, abs=0.06)


def test_hls_m3u8(cli: Cli, media: dict[str, Path], tmp_path: Path) -> None:
    r = cli("hls", "m3u8", str(media["clip"]), "st=1000", "--to", str(tmp_path / "p.m3u8"), "--json")
    assert r.code == 0, r.stderr
    assert segment_durations(tmp_path / "p.m3u8") == pytest.approx([1.0, 1.0, 1.0], abs=0.02)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p-0.ts", "p-1.ts", "p-2.ts", "p.m3u8"]


def test_timeout_stops_ffmpeg_and_removes_output(cli: Cli, long_clip: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.mp4"
    t0 = time.monotonic()
    r = cli("video", "convert", str(long_clip), "f=mp4", "vcodec=h265", "--to", str(out), "--timeout", "1", "--json")
    assert time.monotonic() - t0 < 8
    assert r.code == 7, r.stderr
    assert r.json()["error"]["task_id"].startswith("MediaConvert-")
    assert list(tmp_path.iterdir()) == []
    assert [p for p in psutil.Process().children(recursive=True) if "ffmpeg" in p.name()] == []


def _child(args: list[str], **env: str) -> subprocess.Popen[str]:
    environment = {**os.environ, **env}  # no MEDIAPROC_ setting from outside: isolated_env removed them
    return subprocess.Popen(
        [sys.executable, "-m", "mediaproc", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )


PROGRESS = re.compile(r"^video/convert: (\d+)%(?: \(ETA (\d+) s\))?$")


def test_plain_progress_lines_when_not_a_terminal(long_clip: Path, tmp_path: Path) -> None:
    proc = _child(
        ["video", "convert", str(long_clip), "f=mp4", "vcodec=h264", "s=1280x720", "--to", str(tmp_path / "o.mp4")],
        CI="1",
    )
    _out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    lines = [m for m in (PROGRESS.match(x) for x in err.splitlines()) if m]
    pcts = [int(m.group(1)) for m in lines]
    middle = [p for p in pcts if 0 < p < 100]
    assert len(middle) >= 2, err
    assert pcts == sorted(pcts) and len(set(middle)) == len(middle) and pcts[-1] == 100
    assert any(m.group(2) is not None for m in lines)  # an ETA is shown


def test_quiet_prints_no_progress(media: dict[str, Path], tmp_path: Path) -> None:
    proc = _child(
        ["video", "convert", str(media["clip"]), "f=mp4", "vcodec=h264", "--to", str(tmp_path / "o.mp4"), "--quiet"],
        CI="1",
    )
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert err == "" and out.strip() == str((tmp_path / "o.mp4").resolve())


def test_ctrl_c_exits_130_and_leaves_nothing(long_clip: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = _child(["video", "convert", str(long_clip), "f=mp4", "vcodec=h265", "--to", str(out_dir / "o.mp4")], CI="1")
    try:
        ffmpeg: list[psutil.Process] = []
        assert proc.stderr is not None
        deadline = time.monotonic() + 120
        while not ffmpeg:
            line = proc.stderr.readline()
            assert line and time.monotonic() < deadline, "no progress before the deadline"
            m = PROGRESS.match(line.strip())
            if m and int(m.group(1)) > 0:
                ffmpeg = [p for p in psutil.Process(proc.pid).children(recursive=True) if "ffmpeg" in p.name()]
        os.kill(proc.pid, signal.SIGINT)
        code = proc.wait(60)
        rest = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 130, rest
    assert "Error:" in rest
    assert "mediaproc job" not in rest  # local work is stopped, not left running: nothing to pick up
    assert list(out_dir.iterdir()) == []
    assert all(not p.is_running() or p.status() == psutil.STATUS_ZOMBIE for p in ffmpeg)


def _complete(line: str) -> list[str]:
    words = line.split(" ")
    env = {**os.environ, "_MEDIAPROC_COMPLETE": "complete_bash", "COMP_WORDS": line, "COMP_CWORD": str(len(words) - 1)}
    proc = subprocess.run([sys.executable, "-m", "mediaproc"], capture_output=True, text=True, env=env, timeout=60)
    return proc.stdout.split()


def test_parameter_completion_comes_from_the_model() -> None:
    assert _complete("mediaproc video convert x.mp4 f=mp4 vc") == ["vcodec="]
    assert set(_complete("mediaproc video convert x.mp4 vcodec=")) == {
        "vcodec=copy",
        "vcodec=h264",
        "vcodec=h265",
        "vcodec=vp9",
    }
    got = _complete("mediaproc hls m3u8 x.mp4 st=1000 s")
    assert "s=" in got and "scaletype=" in got and "st=" not in got  # keys already given are left out
    assert "tw=" in _complete("mediaproc video sprite x.mp4 t")


def test_job_status_of_a_local_runs_task_id_says_local_jobs_end_with_their_command(
    cli: Cli, media: dict[str, Path], tmp_path: Path
) -> None:
    """A local run prints a task id shaped like IMM's; ``job status`` of it asked which IMM project holds it."""
    r = cli("video", "convert", str(media["clip"]), "f=mp4", "--to", str(tmp_path / "o.mp4"), "--json")
    assert r.code == 0, r.stderr
    status = cli("job", "status", r.json()["task_id"])
    assert status.code == 2
    assert "local job ends with the command that ran it" in status.stderr and "IMM project" not in status.stderr


def test_a_relative_file_name_with_a_colon_is_a_file_not_a_url(
    cli: Cli, media: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ffmpeg and PyAV read ``clip:1.mp4`` as a URL of protocol ``clip`` ("Did you mean file:clip:1.mp4?",
    exit 2): a name a camera or a timestamp gives. The engine hands them absolute paths."""
    import shutil

    monkeypatch.chdir(tmp_path)
    shutil.copy(media["clip"], "clip:1.mp4")
    r = cli("video", "snapshot", "clip:1.mp4", "t=500", "--to", "s:1.jpg")
    assert r.code == 0, r.stderr
    with Image.open(tmp_path / "s:1.jpg") as im:
        assert im.format == "JPEG" and im.size == (320, 240)
    r = cli("video", "convert", "clip:1.mp4", "f=mkv", "--to", "o:1.mkv")
    assert r.code == 0, r.stderr
    r = cli("video", "info", "o:1.mkv", "--json")  # not an MP4: PyAV reads it
    assert r.code == 0, r.stderr
    assert r.json()["data"]["Format"]["FormatName"] == "matroska,webm"
    r = cli("video", "concat", "clip:1.mp4", "f=mp4", "vcodec=h264", "acodec=aac", "--input", "o:1.mkv",
            "--to", "c:1.mp4")
    assert r.code == 0, r.stderr
    assert float(_stream(tmp_path / "c:1.mp4")["Duration"]) > 1.5 * float(_stream(media["clip"])["Duration"])


def test_an_hls_playlist_names_segments_with_a_colon_as_relative_urls(
    cli: Cli, media: dict[str, Path], tmp_path: Path
) -> None:
    """A segment line ``p:1-0.ts`` is a URL of scheme ``p`` to a player; ``./p:1-0.ts`` is the file beside the
    playlist."""
    from urllib.parse import urljoin

    r = cli("hls", "m3u8", str(media["clip"]), "st=1000", "--to", str(tmp_path / "p:1.m3u8"))
    assert r.code == 0, r.stderr
    lines = [ln for ln in (tmp_path / "p:1.m3u8").read_text().splitlines() if ln and not ln.startswith("#")]
    assert lines and all(ln.startswith("./p:1-") for ln in lines), lines
    assert urljoin("https://cdn.example/v/p:1.m3u8", lines[0]) == f"https://cdn.example/v/{lines[0][2:]}"
    assert all((tmp_path / ln[2:]).is_file() for ln in lines)
