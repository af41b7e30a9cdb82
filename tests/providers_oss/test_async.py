"""Async OSS processing: submitted once with x-oss-async-process, waited on through IMM GetTask."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import av
import pytest

from providers_oss.conftest import CliResult, OssEnv

TASK_ID = re.compile(r"MediaConvert-[0-9a-f-]{36}")


def probe(path: Path) -> tuple[str, int, int, float]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        duration = float(container.duration or 0) / 1_000_000
        return stream.codec_context.name, stream.codec_context.width, stream.codec_context.height, duration


def test_video_convert_waits_via_gettask(
    bound: OssEnv, cli: Callable[..., CliResult], small_video: Path, tmp_path: Path
) -> None:
    bound.put("in/v.mp4", small_video)
    res = cli("process", bound.uri("in/v.mp4"), "video/convert:f=mp4,vcodec=h265,s=128x96",
              "--to", bound.uri("out/v.mp4"), "--json")
    assert res.code == 0, res.stderr
    doc = res.json()
    assert TASK_ID.fullmatch(doc["task_id"]) and doc["status"] == "succeeded"
    assert doc["generated_keys"] == ["out/v.mp4"] and doc["size"] > 0
    assert re.search(r"\b100%", res.stderr)  # progress lines (CI mode) reached the end
    stats = bound.stats()
    assert stats["async_jobs_created"] == 1  # submitted exactly once
    assert stats["requests"].get("GetTask", 0) >= 1  # completion came from IMM, not from the object
    out = tmp_path / "v.mp4"
    out.write_bytes(bound.get_bytes("out/v.mp4"))
    codec, width, height, duration = probe(out)
    assert (codec, width, height) == ("hevc", 128, 96)
    assert abs(duration - 2.0) < 0.3


def test_async_result_downloaded_to_local_file(
    bound: OssEnv, cli: Callable[..., CliResult], small_video: Path, tmp_path: Path
) -> None:
    out = tmp_path / "local.mp4"
    res = cli("process", str(small_video), "video/convert:f=mp4,vcodec=h264,s=96x64", "--to", str(out), "--json")
    assert res.code == 0, res.stderr
    assert probe(out)[:3] == ("h264", 96, 64)
    assert bound.object_keys() == []  # the temporary source and the temporary output are both gone


def test_failed_job_exits_6_with_service_code_and_message(
    bound: OssEnv, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"definitely not a video " * 64)
    res = cli("process", str(bad), "video/convert:f=mp4,vcodec=h264", "--to", bound.uri("out/bad.mp4"))
    assert res.code == 6, res.stderr
    match = TASK_ID.search(res.stderr)
    assert match, res.stderr
    status = cli("job", "status", match.group(0), "--json")  # the service's own record of the failure
    assert status.code == 0, status.stderr
    job = status.json()
    assert job["status"] == "failed" and job["code"] and job["message"]
    assert job["code"] in res.stderr and job["message"] in res.stderr
    assert bound.object_keys() == []  # the job is over, so the temporary source was removed


def test_timeout_exits_7_and_prints_the_task_id(
    bound: OssEnv, cli: Callable[..., CliResult], longer_video: Path
) -> None:
    bound.put("in/long.mp4", longer_video)
    res = cli("process", bound.uri("in/long.mp4"), "video/convert:f=mp4,vcodec=h264,crf=30",
              "--to", bound.uri("out/long.mp4"), "--timeout", "0.3")
    assert res.code == 7, res.stderr
    match = TASK_ID.search(res.stderr)
    assert match, res.stderr
    assert f"mediaproc job wait {match.group(0)}" in res.stderr
    # the job was left running, and can be picked up
    done = cli("job", "wait", match.group(0), "--json")
    assert done.code == 0, done.stderr
    assert done.json()["status"] == "succeeded"
    assert bound.exists("out/long.mp4")


def test_no_wait_then_job_wait(bound: OssEnv, cli: Callable[..., CliResult], small_video: Path, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    res = cli("process", str(small_video), "video/convert:f=mp4,vcodec=h264,s=128x96",
              "--to", bound.uri("out/nw.mp4"), "--no-wait", "--json")
    assert res.code == 0, res.stderr
    doc = res.json()
    task = doc["task_id"]
    assert TASK_ID.fullmatch(task) and doc["status"] == "queued"
    kept = doc["temporary_keys"]  # the local source stays until the job has read it
    assert len(kept) == 1 and kept[0].startswith(bound.uri(".mediaproc-tmp/"))
    assert any(f"`mediaproc job wait {task}` removes them" in w for w in doc["warnings"])

    monkeypatch.delenv("MEDIAPROC_BUCKET")  # the job journal knows the bucket: the command works verbatim
    monkeypatch.delenv("MEDIAPROC_PROVIDER")
    waited = cli("job", "wait", task, "--json")
    assert waited.code == 0, waited.stderr
    assert waited.json()["status"] == "succeeded"
    out = tmp_path / "nw.mp4"
    out.write_bytes(bound.get_bytes("out/nw.mp4"))
    assert probe(out)[:3] == ("h264", 128, 96)
    assert bound.stats()["async_jobs_created"] == 1
    assert not [k for k in bound.object_keys() if k.startswith(".mediaproc-tmp/")]  # removed once it ended


def test_unbound_bucket_is_a_config_error_before_submission(
    oss_env: OssEnv, cli: Callable[..., CliResult], small_video: Path
) -> None:
    oss_env.put("in/v.mp4", small_video)
    res = cli("process", oss_env.uri("in/v.mp4"), "video/convert:f=mp4,vcodec=h264", "--to", oss_env.uri("o.mp4"))
    assert res.code == 3, res.stderr
    assert "imm setup" in res.stderr
    assert oss_env.stats()["async_jobs_created"] == 0


def test_submission_is_never_retried(bound: OssEnv, cli: Callable[..., CliResult], small_video: Path) -> None:
    bound.put("in/v.mp4", small_video)
    bound.faults(error_rate=1.0, error_status=503, operations=("AsyncProcessObject",), times=1)
    res = cli("process", bound.uri("in/v.mp4"), "video/convert:f=mp4,vcodec=h264", "--to", bound.uri("o.mp4"))
    assert res.code == 5, res.stderr
    assert bound.stats()["async_jobs_created"] == 0
    assert sum(bound.stats()["faults_fired"].values()) == 1


def test_fallback_when_imm_is_unreachable(
    bound: OssEnv, cli: Callable[..., CliResult], small_video: Path
) -> None:
    """With IMM out of reach, completion is inferred from the target object — and the result says so."""
    bound.put("in/v.mp4", small_video)
    res = cli("--imm-endpoint", "http://127.0.0.1:9", "process", bound.uri("in/v.mp4"),
              "video/convert:f=mp4,vcodec=h264,s=128x96", "--to", bound.uri("out/fb.mp4"), "--json")
    assert res.code == 0, res.stderr
    doc = res.json()
    assert doc["status"] == "succeeded"
    assert any("IMM is not reachable" in w for w in doc["warnings"])
    assert bound.exists("out/fb.mp4")


def test_video_snapshot_and_info_are_sync(
    bound: OssEnv, cli: Callable[..., CliResult], small_video: Path, tmp_path: Path
) -> None:
    from PIL import Image

    bound.put("in/v.mp4", small_video)
    snap = tmp_path / "s.jpg"
    res = cli("process", bound.uri("in/v.mp4"), "video/snapshot:t=1000,f=jpg", "--to", str(snap))
    assert res.code == 0, res.stderr
    assert Image.open(snap).size == (160, 120)
    info = cli("process", bound.uri("in/v.mp4"), "video/info", "--json")
    assert info.code == 0, info.stderr
    streams = info.json()["data"]["Streams"]["VideoStream"]
    assert streams[0]["Width"] in (160, "160")


def test_unknown_task_is_not_found(bound: OssEnv, cli: Callable[..., CliResult]) -> None:
    res = cli("job", "status", "MediaConvert-00000000-0000-0000-0000-000000000000")
    assert res.code == 4, res.stderr
    assert res.first_stderr_line == "Error: IMM GetTask: ResourceNotFound: The specified resource task is not found."
    res = cli("job", "status", "not a task")
    assert (res.code, res.first_stderr_line) == (2, "Error: 'not a task' does not look like an OSS/IMM task id")
