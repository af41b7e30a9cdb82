"""``mediaproc batch`` / ``trigger`` on COS: Cloud Infinite workflows and inventory-trigger jobs through the
real qcloud_cos client against ``mediaproc serve``, driven by the CLI.

500 tiny JPEGs under ``good/`` succeed (exit 0); the same 500 and 3 corrupt objects under ``mixed/``
name the 3 failed objects with their reasons (8); a cancelled job is a failed batch (6); a short
``--timeout`` gives up with the id (7). Outputs are decoded, not counted.
"""

from __future__ import annotations

import io
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from support.cli import Cli

from .conftest import BUCKET

N = 500


def _jpeg(i: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (16, 12), (i % 256, 90, 30)).save(buf, "JPEG")
    return buf.getvalue()


def _decode(data: bytes) -> tuple[str, tuple[int, int]]:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        return str(img.format), img.size


def _get(sdk: Any, key: str) -> bytes:
    return bytes(sdk.get_object(Bucket=BUCKET, Key=key)["Body"].get_raw_stream().read())


def _exists(sdk: Any, key: str) -> bool:
    return bool(sdk.object_exists(Bucket=BUCKET, Key=key))


@pytest.fixture(scope="module")
def filled(sdk: Any) -> str:
    root = "cloudbatch/"
    with ThreadPoolExecutor(8) as pool:
        keys = [f"{root}{folder}/p{i:03d}.jpg" for folder in ("good", "mixed") for i in range(N)]
        list(pool.map(lambda k: sdk.put_object(Bucket=BUCKET, Key=k, Body=_jpeg(int(k[-7:-4]))), keys))
    for i in range(3):
        sdk.put_object(Bucket=BUCKET, Key=f"{root}mixed/broken{i}.jpeg", Body=b"\xff\xd8\xff not a jpeg")
    return root


def uri(key: str) -> str:
    return f"cos://{BUCKET}/{key}"


def test_wait_on_a_500_object_inventory_job_exits_0(filled: str, sdk: Any, cli: Cli) -> None:
    res = cli("--json", "batch", "submit", uri(f"{filled}good/"), "resize:w=8", "format:target=png",
              "--to", uri(f"{filled}out/"), "--yes", "--name", "all-ok")
    assert res.code == 0, res.stderr
    doc = res.json()
    assert (doc["provider"], doc["kind"], doc["outcome"], doc["state"]) == ("cos", "batch", "succeeded", "Success")
    assert doc["counters"]["Success"] == N and doc["failed"] == 0 and doc["completed"] == N
    assert doc["failures_reported"] is True and doc["failures"] == []
    progress = [line for line in res.stderr.splitlines() if line.startswith(doc["id"] + ":")]
    assert progress and progress[-1].startswith(f"{doc['id']}: 100%"), res.stderr
    for i in (0, 499):
        assert _decode(_get(sdk, f"{filled}out/p{i:03d}.png")) == ("PNG", (8, 6))
    listed = cli("--json", "batch", "list", "--provider", "cos", "--bucket", BUCKET)
    assert doc["id"] in {b["id"] for b in listed.json()}


def test_failed_objects_are_named_with_their_reason_and_exit_8(filled: str, cli: Cli) -> None:
    res = cli("--json", "batch", "submit", uri(f"{filled}mixed/"), "resize:w=8", "--to", uri(f"{filled}mixed-out/"),
              "--yes", "--name", "mixed")
    assert res.code == 8, res.stderr
    doc = res.json()
    assert doc["outcome"] == "partial" and doc["failed"] == 3 and doc["counters"]["Success"] == N
    assert sorted(f["key"] for f in doc["failures"]) == [f"{filled}mixed/broken{i}.jpeg" for i in range(3)]
    assert all(f["reason"] for f in doc["failures"])
    assert "3 of 503 objects failed" in res.stderr


def test_a_cancelled_job_is_a_failed_batch_and_a_timeout_keeps_the_id(filled: str, cli: Cli) -> None:
    res = cli("batch", "submit", uri(f"{filled}good/"), "resize:w=4", "--to", uri(f"{filled}slow/"), "--yes",
              "--timeout", "0.2", "--name", "slow")
    assert res.code == 7, res.stderr
    ident = next(w for w in res.stderr.split() if w.startswith("b") and len(w) == 33)
    assert f"mediaproc batch wait {ident} --bucket {BUCKET}" in res.stderr
    cancelled = cli("--json", "batch", "cancel", ident, "--bucket", BUCKET)
    assert cancelled.code == 0, cancelled.stderr
    waited = cli("--json", "batch", "wait", ident, "--bucket", BUCKET)
    if waited.json()["state"] == "Cancel":  # a fast machine may have finished it before the cancel
        assert waited.code == 6 and waited.json()["outcome"] == "cancelled"
    else:
        assert waited.code == 0


def test_a_workflow_processes_new_objects_only_and_runs_one_on_demand(sdk: Any, cli: Cli, prefix: str) -> None:
    sdk.put_object(Bucket=BUCKET, Key=f"{prefix}up/before.jpg", Body=_jpeg(1))
    res = cli("--json", "trigger", "create", uri(f"{prefix}up/"), "resize:w=6", "format:target=png",
              "--to", uri(f"{prefix}thumbs/"), "--name", "on-upload")
    assert res.code == 0, res.stderr
    wid = res.json()["id"]
    assert wid.startswith("w")
    sdk.put_object(Bucket=BUCKET, Key=f"{prefix}up/after.jpg", Body=_jpeg(2))
    end = time.monotonic() + 60
    while not _exists(sdk, f"{prefix}thumbs/after.png"):
        assert time.monotonic() < end, "the workflow never wrote its output"
        time.sleep(0.05)
    assert _decode(_get(sdk, f"{prefix}thumbs/after.png")) == ("PNG", (6, 5))
    assert not _exists(sdk, f"{prefix}thumbs/before.png")
    run = cli("trigger", "run", wid, f"{prefix}up/before.jpg", "--bucket", BUCKET)
    assert run.code == 0 and run.stdout.strip().startswith("i"), run.stderr
    end = time.monotonic() + 60
    while not _exists(sdk, f"{prefix}thumbs/before.png"):
        assert time.monotonic() < end, "the triggered run never wrote its output"
        time.sleep(0.05)
    assert cli("--json", "trigger", "suspend", wid, "--bucket", BUCKET).json()["state"] == "Paused"
    assert cli("--json", "trigger", "resume", wid, "--bucket", BUCKET).json()["state"] == "Active"
    assert cli("--json", "trigger", "get", wid, "--bucket", BUCKET).json()["details"]["prefix"] == f"{prefix}up/"
    assert wid in {t["id"] for t in cli("--json", "trigger", "list", "--provider", "cos", "--bucket", BUCKET).json()}
    assert cli("trigger", "suspend", wid, "--bucket", BUCKET).code == 0
    assert cli("--json", "trigger", "delete", wid, "--bucket", BUCKET).code == 0


def test_a_self_feeding_workflow_is_refused(cli: Cli, prefix: str) -> None:
    res = cli("trigger", "create", uri(f"{prefix}up/"), "resize:w=6", "--to", uri(f"{prefix}up/small/"))
    assert res.code == 2 and "lies under its input prefix" in res.stderr


# -- the workflow a batch makes for itself ----------------------------------------------------------------

def _workflow_ids(cli: Cli) -> set[str]:
    res = cli("--json", "trigger", "list", "--provider", "cos", "--bucket", BUCKET)
    assert res.code == 0, res.stderr
    return {t["id"] for t in res.json()}


def _small(sdk: Any, prefix: str, *, broken: bool = False) -> str:
    for i in range(3):
        sdk.put_object(Bucket=BUCKET, Key=f"{prefix}in/p{i}.jpg", Body=_jpeg(i))
    if broken:
        sdk.put_object(Bucket=BUCKET, Key=f"{prefix}in/broken.jpeg", Body=b"\xff\xd8\xff not a jpeg")
    return uri(f"{prefix}in/")


def test_a_batch_that_succeeds_deletes_the_workflow_it_made(sdk: Any, cli: Cli, prefix: str) -> None:
    res = cli("--json", "batch", "submit", _small(sdk, prefix), "resize:w=8", "--to", uri(f"{prefix}out/"), "--yes")
    assert res.code == 0, res.stderr
    doc = res.json()
    wid = doc["details"]["workflow_id"]
    assert doc["outcome"] == "succeeded" and doc["details"]["workflow_deleted"] is True
    assert wid not in _workflow_ids(cli)
    assert sdk.ci_get_workflow(Bucket=BUCKET, Ids=wid).get("NonExistIDs") == wid  # as COS answers a deleted id
    assert "stays" not in res.stderr
    assert _decode(_get(sdk, f"{prefix}out/p2.jpg")) == ("JPEG", (8, 6))
    later = cli("--json", "batch", "status", doc["id"], "--bucket", BUCKET)  # the job itself is still there
    assert later.code == 0 and later.json()["state"] == "Success", later.stderr


def test_a_batch_with_failures_keeps_its_workflow_and_says_how_to_remove_it(sdk: Any, cli: Cli,
                                                                             prefix: str) -> None:
    res = cli("--json", "batch", "submit", _small(sdk, prefix, broken=True), "resize:w=8",
              "--to", uri(f"{prefix}out/"), "--yes")
    assert res.code == 8, res.stderr
    doc = res.json()
    wid = doc["details"]["workflow_id"]
    assert "workflow_deleted" not in doc["details"] and wid in _workflow_ids(cli)
    remove = f"mediaproc trigger delete {wid} --bucket {BUCKET}"
    assert remove in res.stderr and f"mediaproc trigger run {wid} KEY --bucket {BUCKET}" in res.stderr
    # the workflow is the user's to reuse now (--workflow: never deleted by the batch that runs it) ...
    again = cli("--json", "batch", "submit", uri(f"{prefix}in/p"), "resize:w=8", "--to", uri(f"{prefix}again/"),
                "--yes", "--workflow", wid)
    assert again.code == 0, again.stderr
    assert "workflow_deleted" not in again.json()["details"] and wid in _workflow_ids(cli)
    # ... and the printed command removes it, verbatim
    assert cli(*remove.split()[1:]).code == 0
    assert wid not in _workflow_ids(cli)


def test_a_batch_not_waited_for_keeps_its_workflow_and_says_so(sdk: Any, cli: Cli, prefix: str) -> None:
    res = cli("--json", "batch", "submit", _small(sdk, prefix), "resize:w=8", "--to", uri(f"{prefix}out/"),
              "--yes", "--no-wait")
    assert res.code == 0, res.stderr
    doc = res.json()
    wid = doc["workflow_id"]
    assert doc["created"] == [wid, doc["id"]] and wid in _workflow_ids(cli)
    assert f"mediaproc trigger delete {wid} --bucket {BUCKET}" in res.stderr
    assert cli("batch", "wait", doc["id"], "--bucket", BUCKET).code == 0
    assert wid in _workflow_ids(cli)  # `batch wait` cannot know who made it: the user's, until deleted
