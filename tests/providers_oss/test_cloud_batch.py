"""``mediaproc batch`` / ``trigger`` on OSS: IMM batches through the real ``alibabacloud_imm20200930``
client against ``mediaproc serve``, driven by the CLI as a user runs it.

One bucket of 500 tiny JPEGs (``*.jpg``) plus 3 corrupt objects (``*.jpeg``) serves every ending of
``batch wait``: ``in/*.jpg`` succeeds (0), ``in/`` has 3 failures (8), ``in/`` with ``--fail-fast``
fails (6), and a short ``--timeout`` gives up with the id (7). Outputs are decoded, not counted.
"""

from __future__ import annotations

import io
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from support.cli import Cli

from .conftest import OssEnv

N = 500


def _jpeg(i: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (16, 12), (i % 256, 40, 200)).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture
def filled(bound: OssEnv) -> OssEnv:
    bucket = bound.sdk_bucket()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: bucket.put_object(f"in/p{i:03d}.jpg", _jpeg(i)), range(N)))
    for i in range(3):
        bucket.put_object(f"in/broken{i}.jpeg", b"\xff\xd8\xff not really a jpeg")
    return bound


def _decode(data: bytes) -> tuple[str, tuple[int, int]]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        return str(img.format), img.size


def _eventually(check: Any, limit_s: float = 60.0) -> None:
    """Until ``check()`` holds (a hang fails after ``limit_s``; the bound is not what is tested)."""
    import time

    end = time.monotonic() + limit_s
    while not check():
        assert time.monotonic() < end, "still not there"
        time.sleep(0.05)


def _progress_lines(stderr: str, ident: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(f"{ident}:")]


def test_wait_on_a_500_object_batch_shows_progress_and_exits_0(filled: OssEnv, cli: Cli) -> None:
    res = cli("--json", "batch", "submit", filled.uri("in/*.jpg"), "resize:w=8", "format:target=png",
              "--to", filled.uri("out/"), "--yes")
    assert res.code == 0, res.stderr
    doc = res.json()
    assert doc["outcome"] == "succeeded" and doc["state"] == "Succeeded" and doc["done"] is True
    assert doc["counters"]["SubmitSuccess"] == N and doc["counters"]["SubmitFailure"] == 0
    assert doc["total"] == N and doc["completed"] == N and doc["id"].startswith("batch-")
    assert f"{N} objects match oss://{filled.bucket}/in/*.jpg" in res.stderr
    lines = _progress_lines(res.stderr, doc["id"])
    assert lines and lines[-1].startswith(f"{doc['id']}: 100%"), res.stderr
    for i in (0, 250, 499):
        assert _decode(filled.get_bytes(f"out/p{i:03d}.png")) == ("PNG", (8, 6))
    again = cli("--json", "batch", "status", doc["id"])
    assert again.code == 0 and again.json()["counters"] == doc["counters"]
    shown = cli("batch", "status", doc["id"])
    assert shown.code == 0 and "SubmitSuccess" in shown.stdout and "Succeeded" in shown.stdout
    listed = cli("--json", "batch", "list", "--state", "Succeeded")
    assert doc["id"] in {b["id"] for b in listed.json()}


def test_some_failed_exits_8_and_says_where_imm_reports_them(filled: OssEnv, cli: Cli) -> None:
    res = cli("--json", "batch", "submit", filled.uri("in/"), "resize:w=8", "--to", filled.uri("mixed/"), "--yes")
    assert res.code == 8, res.stderr
    doc = res.json()
    assert doc["outcome"] == "partial" and doc["failed"] == 3 and doc["counters"]["SubmitSuccess"] == N
    assert doc["failures"] == [] and doc["failures_reported"] is False  # IMM names them only in MNS messages
    assert "3 of 503 objects failed" in res.stderr and "MNS" in res.stderr
    assert _decode(filled.get_bytes("mixed/p007.jpg")) == ("JPEG", (8, 6))


def test_a_failed_batch_exits_6(filled: OssEnv, cli: Cli) -> None:
    res = cli("--json", "batch", "submit", filled.uri("in/"), "resize:w=8", "--to", filled.uri("ff/"),
              "--yes", "--fail-fast")
    assert res.code == 6, res.stderr
    doc = res.json()
    assert doc["outcome"] == "failed" and doc["state"] == "Failed"
    assert "Error:" in res.stderr and doc["id"] in res.stderr


def test_timeout_exits_7_with_the_id_and_the_batch_goes_on(filled: OssEnv, cli: Cli) -> None:
    res = cli("batch", "submit", filled.uri("in/*.jpg"), "resize:w=4", "--to", filled.uri("slow/"), "--yes",
              "--timeout", "0.2")
    assert res.code == 7, res.stderr
    ident = next(w for w in res.stderr.split() if w.startswith("batch-"))
    assert f"mediaproc batch wait {ident}" in res.stderr
    done = cli("--json", "batch", "wait", ident)
    assert done.code == 0, done.stderr
    assert done.json()["completed"] == N


def test_ctrl_c_stops_waiting_never_the_batch(filled: OssEnv, cli: Cli) -> None:
    from mediaproc.errors import Interrupted
    from mediaproc.services import cloudbatch as svc

    res = cli("batch", "submit", filled.uri("in/*.jpg"), "resize:w=5", "--to", filled.uri("int/"), "--yes",
              "--no-wait")
    assert res.code == 0, res.stderr
    ident = res.stdout.strip()

    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(Interrupted) as caught:
        svc.wait(filled.settings(), ident, sleep=interrupt)
    assert f"mediaproc batch wait {ident}" in str(caught.value.hint)
    finished = cli("--json", "batch", "wait", ident)
    assert finished.code == 0 and finished.json()["completed"] == N


def test_above_the_threshold_without_a_terminal_nothing_is_submitted(filled: OssEnv, cli: Cli) -> None:
    res = cli("batch", "submit", filled.uri("in/*.jpg"), "resize:w=8", "--to", filled.uri("t/"),
              "--confirm-above", "100")
    assert res.code == 2, res.stderr
    assert f"{N} objects match" in res.stderr and "in/p000.jpg" in res.stderr and "--yes" in res.stderr
    listed = cli("--json", "batch", "list")
    assert listed.code == 0 and listed.json() == []


def test_suspend_resume_and_cancel(filled: OssEnv, cli: Cli) -> None:
    res = cli("batch", "submit", filled.uri("in/*.jpg"), "resize:w=3", "--to", filled.uri("sr/"), "--yes",
              "--no-wait")
    ident = res.stdout.strip()
    suspended = cli("--json", "batch", "suspend", ident)
    if suspended.code == 0:  # it may have finished already on a fast machine: then Suspend is refused
        assert suspended.json()["state"] == "Suspended"
        assert cli("--json", "batch", "resume", ident).json()["state"] in ("Running", "Succeeded")
    assert cli("--json", "batch", "wait", ident).code == 0
    cancelled = cli("--json", "batch", "cancel", ident)
    assert cancelled.code == 0 and cancelled.json() == {"id": ident, "deleted": True}
    assert cli("batch", "status", ident).code == 4


def test_a_trigger_processes_new_objects_only(bound: OssEnv, cli: Cli) -> None:
    bucket = bound.sdk_bucket()
    bucket.put_object("up/before.jpg", _jpeg(1))
    res = cli("--json", "trigger", "create", bound.uri("up/"), "resize:w=6", "format:target=png",
              "--to", bound.uri("thumbs/"))
    assert res.code == 0, res.stderr
    ident = res.json()["id"]
    assert ident.startswith("trigger-")
    bucket.put_object("up/after.jpg", _jpeg(2))
    _eventually(lambda: bound.exists("thumbs/after.png"))
    assert _decode(bound.get_bytes("thumbs/after.png")) == ("PNG", (6, 5))  # 12 * 6 / 16 = 4.5, rounded half up
    assert not bound.exists("thumbs/before.png")
    got = cli("--json", "trigger", "get", ident)
    assert got.code == 0 and got.json()["kind"] == "trigger"
    assert cli("--json", "trigger", "suspend", ident).json()["state"] == "Suspended"
    assert cli("--json", "trigger", "delete", ident).code == 0
    assert json.loads(cli("--json", "trigger", "list").stdout) == []
    waited = cli("batch", "wait", ident)
    assert waited.code == 2 and "nothing to wait for" in waited.stderr
