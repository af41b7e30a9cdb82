"""Media on COS: sync ci-process (snapshot, videoinfo) and media jobs (Transcode, Snapshot, sprites,
Animation, Concat, HLS) through qcloud_cos and the COS front, decoded and compared with the local
provider; a failed job (exit 6), a timeout (exit 7, job id kept), `cos jobs list|get|cancel`,
and private playlists (`cos pm3u8`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image

from cos.conftest import BUCKET, REGION, CliResult, assert_no_leak, probe, put

HOST = f"{BUCKET}.cos.{REGION}.myqcloud.com"


@pytest.fixture
def video(sdk: Any, clip: Path, prefix: str) -> str:
    return put(sdk, f"{prefix}v/clip.mp4", clip)


@pytest.fixture
def held_jobs(front: Any) -> Iterator[Any]:
    """Jobs stay Submitted (a busy queue) while the test runs."""
    front.jobs.start_delay = 60.0
    try:
        yield front
    finally:
        front.jobs.start_delay = 0.0


def test_transcode_matches_local(
    cli: Callable[..., CliResult], emu: Any, video: str, clip: Path, tmp_path: Path
) -> None:
    op = "video/convert:f=mp4,vcodec=h264,acodec=aac,s=128x96,fps=10"
    r = cli("--json", "process", video, op, "--to", str(tmp_path / "cos.mp4"))
    assert r.code == 0, r.stderr
    assert_no_leak(r, emu)
    res = r.json()
    assert res["task_id"].startswith("j") and res["status"] == "succeeded"
    r = cli("--provider", "local", "process", str(clip), op, "--to", str(tmp_path / "local.mp4"))
    assert r.code == 0, r.stderr
    a, b = probe(tmp_path / "cos.mp4"), probe(tmp_path / "local.mp4")
    assert a["video"] == b["video"] == {"codec": "h264", "w": 128, "h": 96}
    assert a["audio"] == b["audio"]
    assert abs(a["duration"] - b["duration"]) < 0.1
    assert a["frames"] == b["frames"]


def test_transcode_saved_in_bucket_and_audio(
    cli: Callable[..., CliResult], sdk: Any, video: str, prefix: str, tmp_path: Path
) -> None:
    r = cli(
        "--json",
        "video",
        "convert",
        video,
        "f=mp4",
        "vcodec=h264",
        "t=1000",
        "--to",
        f"cos://{BUCKET}/{prefix}out/one-second.mp4",
    )
    assert r.code == 0, r.stderr
    assert r.json()["mode"] == "save"
    local = tmp_path / "one.mp4"
    local.write_bytes(sdk.get_object(Bucket=BUCKET, Key=f"{prefix}out/one-second.mp4")["Body"].get_raw_stream().read())
    assert abs(probe(local)["duration"] - 1.0) < 0.15
    assert r.json()["size"] == local.stat().st_size  # the saved object's size, as OSS reports it (it was null)
    r = cli("process", video, "audio/convert:f=mp3,ab=64000", "--to", str(tmp_path / "a.mp3"))
    assert r.code == 0, r.stderr
    p = probe(tmp_path / "a.mp3")
    assert p["video"] is None and p["audio"]["codec"].startswith("mp3")


def test_snapshot_and_info_are_sync(
    cli: Callable[..., CliResult], front: Any, video: str, clip: Path, tmp_path: Path
) -> None:
    jobs_before = front.requests.get("CreateMediaJobs", 0)
    r = cli("--json", "process", video, "video/snapshot:t=1000,f=png,w=80", "--to", str(tmp_path / "s.png"))
    assert r.code == 0, r.stderr
    assert r.json()["operations"].startswith("ci-process=snapshot&time=1")
    r = cli(
        "--provider", "local", "process", str(clip), "video/snapshot:t=1000,f=png,w=80", "--to", str(tmp_path / "l.png")
    )
    assert r.code == 0, r.stderr
    with Image.open(tmp_path / "s.png") as a, Image.open(tmp_path / "l.png") as b:
        assert a.size == b.size == (80, 60)
        assert a.tobytes() == b.tobytes()
    r = cli("--json", "process", video, "video/info")
    assert r.code == 0, r.stderr
    cos_info = r.json()["data"]
    r = cli("--json", "--provider", "local", "process", str(clip), "video/info")
    local_info = r.json()["data"]
    assert cos_info["Streams"]["VideoStream"][0]["Width"] == "160"
    assert cos_info["Streams"] == local_info["Streams"]
    assert cos_info["Format"]["Duration"] == local_info["Format"]["Duration"]
    assert front.requests.get("CreateMediaJobs", 0) == jobs_before  # no job for sync calls


def test_snapshots_sprite_animation(cli: Callable[..., CliResult], video: str, tmp_path: Path) -> None:
    r = cli(
        "--json", "process", video, "video/snapshots:f=jpg,inter=500,num=3,w=80,h=60", "--to", str(tmp_path / "frame")
    )
    assert r.code == 0, r.stderr
    frames = sorted(tmp_path.glob("frame_0_*.jpg"))  # the one naming rule (ops.destination)
    assert len(frames) == 3
    assert r.json()["generated_keys"] == [str(tmp_path / f"frame_0_{n}.jpg") for n in (1, 2, 3)]
    for f in frames:
        with Image.open(f) as im:
            assert im.size == (80, 60)
    r = cli(
        "process",
        video,
        "video/sprite:f=png,inter=500,num=4,tw=2,th=2,sw=64,sh=48,pad=2,margin=4",
        "--to",
        str(tmp_path / "sheet.png"),
    )
    assert r.code == 0, r.stderr
    with Image.open(tmp_path / "sheet.png") as im:
        assert im.size == (2 * 64 + 2 + 2 * 4, 2 * 48 + 2 + 2 * 4)
    r = cli("process", video, "video/animation:f=gif,inter=250,t=1000,w=80", "--to", str(tmp_path / "a.gif"))
    assert r.code == 0, r.stderr
    with Image.open(tmp_path / "a.gif") as im:
        assert im.width == 80 and getattr(im, "n_frames", 1) >= 3


def test_concat_and_hls(
    cli: Callable[..., CliResult], video: str, clip: Path, prefix: str, sdk: Any, tmp_path: Path
) -> None:
    # a local file before the source (staged in a temporary object), a trimmed cos:// input after it
    r = cli(
        "video",
        "concat",
        video,
        "f=mp4",
        "vcodec=h264",
        "acodec=aac",
        "--pre-input",
        f"{clip},ss=500",
        "--input",
        f"{video},t=1000",
        "--to",
        str(tmp_path / "cat.mp4"),
    )
    assert r.code == 0, r.stderr
    assert abs(probe(tmp_path / "cat.mp4")["duration"] - 4.5) < 0.25
    out = tmp_path / "hls"
    out.mkdir()
    r = cli("--json", "process", video, "hls/m3u8:st=1000", "--to", str(out / "index.m3u8"))
    assert r.code == 0, r.stderr
    playlist = (out / "index.m3u8").read_text()
    segments = [line for line in playlist.splitlines() if line and not line.startswith("#")]
    assert len(segments) == 2 and all((out / s).is_file() for s in segments)
    assert sum(probe(out / s)["duration"] for s in segments) == pytest.approx(2.0, abs=0.2)
    assert not sdk.list_objects(Bucket=BUCKET, Prefix=".mediaproc-tmp/").get("Contents")


def test_failed_job_is_exit_6(cli: Callable[..., CliResult], sdk: Any, prefix: str, tmp_path: Path) -> None:
    bad = tmp_path / "not-a-video.mp4"
    bad.write_bytes(b"this is not a video\n" * 100)
    uri = put(sdk, f"{prefix}bad.mp4", bad)
    r = cli("--json", "process", uri, "video/convert:f=mp4,vcodec=h264", "--to", str(tmp_path / "out.mp4"))
    assert r.code == 6, r.stderr
    err = r.json()["error"]
    assert err["task_id"].startswith("j")
    assert err["code"] and err["code"] != "JobFailed"  # the job's own code (from CI's JobsDetail)
    assert not (tmp_path / "out.mp4").exists()
    assert not sdk.list_objects(Bucket=BUCKET, Prefix=".mediaproc-tmp/").get("Contents")


def test_timeout_is_exit_7_with_the_job_id(
    cli: Callable[..., CliResult], held_jobs: Any, video: str, prefix: str, tmp_path: Path, sdk: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))  # the job journal of this test
    r = cli(
        "--timeout",
        "1",
        "process",
        video,
        "video/convert:f=mp4,vcodec=h264",
        "--to",
        f"cos://{BUCKET}/{prefix}late.mp4",
    )
    assert r.code == 7, r.stderr
    job_id = re.search(r"\bj[0-9a-f]{32}\b", r.stderr)
    assert job_id, r.stderr
    # cos:// to cos://: the job keeps running and can be picked up, or cancelled
    r = cli("--json", "cos", "jobs", "get", job_id.group(0), f"cos://{BUCKET}")
    assert r.code == 0, r.stderr
    assert r.json()["status"] == "queued"
    r = cli("cos", "jobs", "cancel", job_id.group(0), f"cos://{BUCKET}")
    assert r.code == 0, r.stderr
    r = cli("--json", "--bucket", BUCKET, "cos", "jobs", "get", job_id.group(0))
    assert r.json()["status"] == "cancelled"
    # a local destination: a timeout does not cancel the job either (tests/cos/test_interrupts.py); its
    # temporary output folder waits for `mediaproc job wait|status|cancel`, which the journal makes verbatim
    r = cli("--timeout", "1", "process", video, "video/convert:f=mp4,vcodec=h264", "--to", str(tmp_path / "o.mp4"))
    assert r.code == 7
    late = re.search(r"\bj[0-9a-f]{32}\b", r.stderr)
    assert late and f"mediaproc job cancel {late.group(0)}" in r.stderr
    assert not (tmp_path / "o.mp4").exists()
    assert cli("job", "cancel", late.group(0)).code == 0
    assert not sdk.list_objects(Bucket=BUCKET, Prefix=".mediaproc-tmp/").get("Contents")


def test_no_wait_and_jobs_commands(cli: Callable[..., CliResult], video: str, prefix: str, sdk: Any) -> None:
    r = cli(
        "--json",
        "process",
        video,
        "video/convert:f=mp4,vcodec=h264,t=500",
        "--no-wait",
        "--to",
        f"cos://{BUCKET}/{prefix}nw.mp4",
    )
    assert r.code == 0, r.stderr
    job_id = r.json()["task_id"]
    r = cli("--json", "--provider", "cos", "--bucket", BUCKET, "job", "wait", job_id)
    assert r.code == 0, r.stderr
    assert r.json()["status"] == "succeeded"
    assert f"{prefix}nw.mp4" in r.json()["generated_keys"]
    r = cli("--json", "cos", "jobs", "list", f"cos://{BUCKET}", "--tag", "Transcode", "--size", "50")
    assert r.code == 0, r.stderr
    rows = {row["job_id"]: row for row in r.json()}
    assert rows[job_id]["state"] == "succeeded" and rows[job_id]["output"] == f"{prefix}nw.mp4"
    r = cli("cos", "jobs", "list")
    assert (r.code, r.first_stderr_line) == (2, "Error: which bucket?") and "--bucket" in r.stderr
    r = cli("cos", "jobs", "get", "j" + "0" * 32, f"cos://{BUCKET}")
    assert (r.code, r.first_stderr_line) == (4, f"Error: job j{'0' * 32} does not exist in bucket {BUCKET}")


def test_private_m3u8(cli: Callable[..., CliResult], emu: Any, video: str, prefix: str, tmp_path: Path) -> None:
    r = cli("process", video, "hls/m3u8:st=1000", "--to", f"cos://{BUCKET}/{prefix}hls/index.m3u8")
    assert r.code == 0, r.stderr
    r = cli("cos", "pm3u8", f"cos://{BUCKET}/{prefix}hls/index.m3u8", "--expires", "120", url=True)
    assert r.code == 0, r.stderr
    assert emu.access_key_secret not in r.stdout + r.stderr
    lines = [line for line in r.stdout.splitlines() if line and not line.startswith("#")]
    assert len(lines) == 2 and all("q-signature=" in line for line in lines)
    for line in lines:
        got = requests.get(f"{emu.url}/{prefix}hls/{line}", headers={"Host": HOST}, timeout=30)
        assert got.status_code == 200 and got.content[:1] == b"G"  # MPEG-TS sync byte
        unsigned = requests.get(f"{emu.url}/{prefix}hls/{line.split('?')[0]}", headers={"Host": HOST}, timeout=30)
        assert unsigned.status_code == 403
    out = tmp_path / "private.m3u8"
    r = cli("--json", "cos", "pm3u8", f"cos://{BUCKET}/{prefix}hls/index.m3u8", "--to", str(out))
    assert r.code == 0, r.stderr
    assert r.json()["segments"] == 2 and "q-signature=" not in r.stdout
    assert out.read_text().count("q-signature=") == 2


def test_job_submission_is_never_retried(
    cli: Callable[..., CliResult], emu: Any, video: str, prefix: str, tmp_path: Path
) -> None:
    """A 500 on POST /jobs is not retried (a retry could create a second job); a 503 while polling
    is (reading twice is harmless)."""
    emu.reset_stats()
    emu.set_faults(error_rate=1.0, error_status=500, operations=["CreateMediaJobs"], times=1)
    try:
        r = cli("process", video, "video/convert:f=mp4,vcodec=h264,t=500", "--to", f"cos://{BUCKET}/{prefix}x.mp4")
        assert r.code == 5, r.stderr
        assert "InternalError" in r.stderr
        stats = emu.stats()
        assert stats["requests"]["CreateMediaJobs"] == 1
        assert stats["async_jobs_created"] == 0
        emu.set_faults(error_rate=1.0, error_status=503, operations=["DescribeMediaJob"], times=1)
        emu.reset_stats()
        r = cli("process", video, "video/convert:f=mp4,vcodec=h264,t=500", "--to", f"cos://{BUCKET}/{prefix}y.mp4")
        assert r.code == 0, r.stderr
        stats = emu.stats()
        assert stats["requests"]["CreateMediaJobs"] == 1 and stats["async_jobs_created"] == 1
        assert stats["faults_fired"]["error"] == 1 and stats["requests"]["DescribeMediaJob"] >= 2
    finally:
        emu.clear_faults()
