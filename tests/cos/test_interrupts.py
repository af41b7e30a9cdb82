"""Ctrl-C and timeouts on COS follow DESIGN.md's one policy: the media job is never cancelled by them.

Waiting stops (exit 130 / 7), the job id is printed with `mediaproc job wait ID` / `job cancel ID`,
the local source staged in the bucket is kept while the job may read it, and those commands, run
verbatim (no --provider, no --bucket), find the job through the job journal, finish what the
interrupted command left (the download of a result bound for a file) and remove the temporary objects.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cos.conftest import BUCKET, CliResult, assert_no_leak, probe

JOB_ID = re.compile(r"\bj[0-9a-f]{32}\b")


@pytest.fixture
def state_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The job journal of this test (platformdirs: XDG_STATE_HOME)."""
    home = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(home))
    return home


def temporary_keys(sdk: Any) -> list[str]:
    return [o["Key"] for o in sdk.list_objects(Bucket=BUCKET, Prefix=".mediaproc-tmp/").get("Contents") or []]


@pytest.mark.parametrize("local_result", [False, True], ids=["to-bucket", "to-file"])
def test_sigint_while_waiting_leaves_the_job_running_and_job_wait_finishes_it(
    cos_env: dict[str, str], state_home: Path, emu: Any, front: Any, sdk: Any, clip: Path, prefix: str,
    tmp_path: Path, local_result: bool,
) -> None:
    out = tmp_path / "out.mp4"
    target = str(out) if local_result else f"cos://{BUCKET}/{prefix}out.mp4"
    emu.set_faults(latency_ms=4000, operations=["DescribeMediaJob"])  # the first poll is slow: Ctrl-C lands in it
    before = dict(emu.stats()["requests"])
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mediaproc", "--provider", "cos", "--bucket", BUCKET, "process", str(clip),
             "video/convert:f=mp4,vcodec=h264,s=128x96", "--to", target],
            env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        deadline = time.monotonic() + 120
        while emu.stats()["requests"].get("DescribeMediaJob", 0) <= before.get("DescribeMediaJob", 0):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        emu.clear_faults()
    res = CliResult(proc.returncode, stdout, stderr)
    assert_no_leak(res, emu)
    assert res.code == 130, res.stderr
    found = JOB_ID.search(res.stderr)
    assert found, res.stderr
    job_id = found.group(0)
    assert f"`mediaproc job wait {job_id}`" in res.stderr and f"`mediaproc job cancel {job_id}`" in res.stderr
    staged = [k for k in temporary_keys(sdk) if k.endswith("/clip.mp4")]
    assert len(staged) == 1 and staged[0] in res.stderr  # kept: the job may still read it
    assert not list(tmp_path.glob("out.mp4*")) and not list(tmp_path.glob(".mediaproc-*"))  # no partial file

    deadline = time.monotonic() + 60
    while front.jobs.get(BUCKET, job_id).state not in ("Success", "Failed", "Cancel"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert front.jobs.get(BUCKET, job_id).state == "Success"  # not cancelled: it ran to the end

    done = subprocess.run([sys.executable, "-m", "mediaproc", "job", "wait", job_id, "--json"],  # verbatim
                          env=dict(os.environ), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["status"] == "succeeded" and doc["task_id"] == job_id
    assert temporary_keys(sdk) == []  # the staged source (and a temporary output) removed once it ended
    if local_result:
        assert doc["path"] == str(out)
        result = out
    else:
        result = tmp_path / "fetched.mp4"
        result.write_bytes(sdk.get_object(Bucket=BUCKET, Key=f"{prefix}out.mp4")["Body"].get_raw_stream().read())
    assert probe(result)["video"] == {"codec": "h264", "w": 128, "h": 96}
    # the journal entry is settled: only the job's address stays, so `job status ID` keeps working
    entries = [json.loads(p.read_text()) for p in (state_home / "mediaproc" / "jobs").glob("*.json")]
    assert [(e["task_id"], e["temporary_keys"], e["delivery"]) for e in entries] == [(job_id, [], None)]
    again = subprocess.run([sys.executable, "-m", "mediaproc", "job", "status", job_id, "--json"],
                           env=dict(os.environ), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and json.loads(again.stdout)["status"] == "succeeded", again.stderr


def test_ctrl_c_then_job_cancel_removes_the_temporary_objects(
    cli: Callable[..., CliResult], state_home: Path, front: Any, sdk: Any, clip: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In-process Ctrl-C (KeyboardInterrupt from the progress callback) while a job is queued."""
    from mediaproc.config import resolve_settings
    from mediaproc.errors import Interrupted
    from mediaproc.progress import ProgressEvent
    from mediaproc.services import process as svc

    settings = resolve_settings({"provider": "cos", "bucket": BUCKET})
    plan = svc.make_plan(settings, str(clip), ["video/convert:f=mp4,vcodec=h264"],
                         svc.RunOptions(to=str(tmp_path / "o.mp4")))

    def press_ctrl_c(event: ProgressEvent) -> None:
        if event.label != "upload":
            raise KeyboardInterrupt

    monkeypatch.setattr(front.jobs, "start_delay", 60.0)  # a busy queue: the job stays Submitted
    with pytest.raises(Interrupted) as info:
        svc.execute(settings, plan, press_ctrl_c)
    assert info.value.exit_code == 130
    job_id = info.value.task_id
    assert job_id and job_id.startswith("j") and f"mediaproc job cancel {job_id}" in str(info.value.hint)
    assert front.jobs.get(BUCKET, job_id).state == "Submitted"  # Ctrl-C did not cancel it
    assert len(temporary_keys(sdk)) == 1  # the staged source
    assert not (tmp_path / "o.mp4").exists()

    r = cli("--json", "job", "cancel", job_id)  # verbatim: the journal knows the provider and bucket
    assert r.code == 0, r.stderr
    assert r.json()["status"] == "cancelled"
    assert temporary_keys(sdk) == []
    assert not (tmp_path / "o.mp4").exists()
