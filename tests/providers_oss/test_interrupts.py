"""Ctrl-C (SIGINT to the CLI process): temporary objects are removed unless a job may still read them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import av
import pytest

from providers_oss.conftest import DATA, CliResult, OssEnv, interrupt_when, start_cli


def test_ctrl_c_during_sync_processing_removes_the_temporary_source(oss_env: OssEnv, tmp_path: Path) -> None:
    oss_env.faults(latency_ms=3000, operations=("GetObjectWithProcess",))  # held while Ctrl-C arrives
    out = tmp_path / "o.png"
    proc = start_cli(oss_env, "process", str(DATA / "chelsea.png"), "resize:w=100", "--to", str(out))
    res = interrupt_when(oss_env, proc, lambda s: s["requests"].get("GetObjectWithProcess", 0) >= 1)
    assert res.code == 130, res.stderr
    assert oss_env.stats()["requests"].get("PutObject", 0) == 1  # the source had been uploaded
    assert oss_env.object_keys() == []  # ... and was removed on Ctrl-C
    assert list(tmp_path.glob("o.png*")) == [] and not list(tmp_path.glob(".o.png*"))


@pytest.mark.parametrize("local_result", [False, True], ids=["to-bucket", "to-file"])
def test_ctrl_c_while_waiting_leaves_the_job_running_and_job_wait_finishes_it(
    bound: OssEnv, longer_video: Path, tmp_path: Path, local_result: bool
) -> None:
    """DESIGN.md's Ctrl-C policy on OSS: exit 130, the task id and the command that picks it up on
    stderr, the job not stopped, the staged source kept; the printed command, run verbatim (no
    bucket, no provider in the environment), waits for it, fetches a result bound for a file and
    removes every temporary object."""
    out = tmp_path / "long.mp4"
    target = str(out) if local_result else bound.uri("out/long.mp4")
    # the first GetTask answers slowly, so the Ctrl-C lands while the job is being waited for
    bound.faults(latency_ms=4000, operations=("GetTask",))
    proc = start_cli(bound, "process", str(longer_video), "video/convert:f=mp4,vcodec=h264,crf=30", "--to", target)
    res = interrupt_when(bound, proc, lambda s: s["requests"].get("GetTask", 0) >= 1)
    bound.clear_faults()
    assert res.code == 130, res.stderr
    task = re.search(r"MediaConvert-[0-9a-f-]{36}", res.stderr)
    assert task, res.stderr
    command = f"mediaproc job wait {task.group(0)}"
    assert f"`{command}`" in res.stderr
    assert "cannot be cancelled" in res.stderr  # IMM has no cancel: no `job cancel` that would fail
    kept = [k for k in bound.object_keys() if k.startswith(".mediaproc-tmp/")]
    assert any(k.endswith("/longer.mp4") for k in kept) and all(k in res.stderr for k in kept)
    assert not list(tmp_path.glob("long.mp4*")) and not list(tmp_path.glob(".mediaproc-*"))  # no partial file

    env = {k: v for k, v in {**os.environ, **bound.env()}.items()
           if k not in ("MEDIAPROC_BUCKET", "MEDIAPROC_PROVIDER")}
    done = subprocess.run([sys.executable, "-m", *command.split(), "--json"],  # the printed command
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "succeeded"
    assert bound.stats()["async_jobs_created"] == 1  # the one job, never started again
    assert [k for k in bound.object_keys() if k.startswith(".mediaproc-tmp/")] == []
    if local_result:
        assert json.loads(done.stdout)["path"] == str(out)
        result = out
    else:
        assert bound.exists("out/long.mp4")
        result = tmp_path / "fetched.mp4"
        result.write_bytes(bound.get_bytes("out/long.mp4"))
    with av.open(str(result)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert abs(float(container.duration or 0) / 1_000_000 - 12.0) < 0.5


def test_cancel_is_refused_with_a_reason(bound: OssEnv, cli: Callable[..., CliResult], small_video: Path) -> None:
    bound.put("in/v.mp4", small_video)
    res = cli("process", bound.uri("in/v.mp4"), "video/convert:f=mp4,vcodec=h264", "--to", bound.uri("o.mp4"),
              "--no-wait", "--json")
    task = res.json()["task_id"]
    cancel = cli("job", "cancel", task)
    assert (cancel.code, cancel.first_stderr_line) == (2, f"Error: task {task} cannot be cancelled")
    assert "Hint:" in cancel.stderr
    assert cli("job", "wait", task).code == 0


def _both_jobs_polled() -> Callable[[dict], bool]:
    """True a moment after both jobs exist: the submissions' answers (the task ids) have reached the
    client, and each worker is inside a poll that GetTask's latency holds for a second."""
    since: list[float] = []

    def ready(stats: dict) -> bool:
        if stats.get("async_jobs_created", 0) < 2:
            return False
        if not since:
            since.append(time.monotonic())
        return time.monotonic() - since[0] >= 0.3

    return ready


def test_ctrl_c_in_a_batch_names_every_running_job(bound: OssEnv, longer_video: Path) -> None:
    """Batch mode: Ctrl-C reaches the workers waiting on cloud jobs; each job keeps running and is
    named with the command that picks it up."""
    for name in ("a", "b"):
        bound.put(f"in/{name}.mp4", longer_video)
    bound.faults(latency_ms=1000, operations=("GetTask",))  # both jobs are being waited for at Ctrl-C
    proc = start_cli(bound, "process", bound.uri("in/*.mp4"), "video/convert:f=mp4,vcodec=h264",
                  "--to", bound.uri("out/"))
    res = interrupt_when(bound, proc, _both_jobs_polled())
    bound.clear_faults()
    assert res.code == 130, res.stderr
    tasks = sorted(set(re.findall(r"MediaConvert-[0-9a-f-]{36}", res.stderr)))
    assert len(tasks) == 2, res.stderr
    assert "stopped (2)" in res.stderr  # the summary: both were in flight, waiting on their jobs
    assert "cloud task ids submitted (2)" in res.stderr
    assert f"Resume: mediaproc process {bound.uri('in/*.mp4')!r} " in res.stderr.replace('"', "'")
    for task in tasks:
        assert f"`mediaproc job wait {task}`" in res.stderr
        done = subprocess.run([sys.executable, "-m", "mediaproc", "job", "wait", task, "--json"],
                              env={**os.environ, **bound.env()}, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["status"] == "succeeded"
    assert bound.exists("out/a.mp4") and bound.exists("out/b.mp4")
    assert bound.stats()["async_jobs_created"] == 2
