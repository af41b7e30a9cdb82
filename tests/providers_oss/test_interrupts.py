"""Ctrl-C (SIGINT to the CLI process): temporary objects are removed unless a job may still read them."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from providers_oss.conftest import DATA, CliResult, OssEnv, assert_no_leak


def _start(env: OssEnv, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mediaproc", *args],
        env={**os.environ, **env.env()}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _interrupt_when(env: OssEnv, proc: subprocess.Popen[str], ready: Callable[[dict], bool]) -> CliResult:
    deadline = time.monotonic() + 120
    while not ready(env.stats()):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    res = CliResult(proc.returncode, out, err)
    assert_no_leak(env, res)
    return res


def test_ctrl_c_during_sync_processing_removes_the_temporary_source(oss_env: OssEnv, tmp_path: Path) -> None:
    oss_env.faults(latency_ms=8000, operations=("GetObjectWithProcess",))
    out = tmp_path / "o.png"
    proc = _start(oss_env, "process", str(DATA / "chelsea.png"), "resize:w=100", "--to", str(out))
    res = _interrupt_when(oss_env, proc, lambda s: s["requests"].get("GetObjectWithProcess", 0) >= 1)
    assert res.code == 130, res.stderr
    assert oss_env.stats()["requests"].get("PutObject", 0) == 1  # the source had been uploaded
    assert oss_env.object_keys() == []  # ... and was removed on Ctrl-C
    assert list(tmp_path.glob("o.png*")) == [] and not list(tmp_path.glob(".o.png*"))


def test_ctrl_c_while_waiting_keeps_the_source_for_the_running_job(
    bound: OssEnv, cli: Callable[..., CliResult], longer_video: Path
) -> None:
    proc = _start(bound, "process", str(longer_video), "video/convert:f=mp4,vcodec=h264,crf=30",
                  "--to", bound.uri("out/long.mp4"))
    # GetTask is polled once the submission's answer (the task id) has arrived
    res = _interrupt_when(bound, proc, lambda s: s["requests"].get("GetTask", 0) >= 1)
    assert res.code == 130, res.stderr
    task = re.search(r"MediaConvert-[0-9a-f-]{36}", res.stderr)
    assert task, res.stderr
    kept = [k for k in bound.object_keys() if k.startswith(".mediaproc-tmp/")]
    assert len(kept) == 1 and kept[0] in res.stderr and "mediaproc rm" in res.stderr
    done = cli("job", "wait", task.group(0), "--json")  # the job went on reading the kept source
    assert done.code == 0 and done.json()["status"] == "succeeded", done.stderr
    assert bound.exists("out/long.mp4")


def test_cancel_is_refused_with_a_reason(bound: OssEnv, cli: Callable[..., CliResult], small_video: Path) -> None:
    bound.put("in/v.mp4", small_video)
    res = cli("process", bound.uri("in/v.mp4"), "video/convert:f=mp4,vcodec=h264", "--to", bound.uri("o.mp4"),
              "--no-wait", "--json")
    task = res.json()["task_id"]
    cancel = cli("job", "cancel", task)
    assert (cancel.code, cancel.first_stderr_line) == (2, f"Error: task {task} cannot be cancelled")
    assert "Hint:" in cancel.stderr
    assert cli("job", "wait", task).code == 0
