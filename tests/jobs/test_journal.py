"""The job journal: one small JSON file per task id, and what the job commands take from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediaproc import journal
from mediaproc.config import resolve_settings
from mediaproc.journal import Delivery, JobRecord


@pytest.fixture(autouse=True)
def state_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    for var in ("MEDIAPROC_PROVIDER", "MEDIAPROC_BUCKET", "MEDIAPROC_IMM_PROJECT", "MEDIAPROC_ENDPOINT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MEDIAPROC_CONFIG", str(tmp_path / "none.toml"))
    return tmp_path / "state"


def test_an_entry_round_trips_and_is_forgotten(state_home: Path) -> None:
    entry = JobRecord("MediaConvert-0d9c1c2e-1111-2222-3333-444455556666", "oss", "media", project="p1",
                      temporary_keys=(".mediaproc-tmp/abc/in.mp4",),
                      delivery=Delivery(".mediaproc-tmp/def/", "/work/out.mp4", "/work", ".mediaproc-tmp/def/out.mp4"))
    path = journal.record(entry)
    assert path is not None and path.parent == state_home / "mediaproc" / "jobs"
    assert journal.find(entry.task_id) == entry
    journal.forget(entry.task_id)
    assert journal.find(entry.task_id) is None and list(path.parent.iterdir()) == []


def test_an_id_that_cannot_name_a_file_is_not_journaled() -> None:
    assert journal.record(JobRecord("../../etc/passwd", "oss", "b")) is None
    assert journal.find("../../etc/passwd") is None


def test_the_job_commands_take_provider_and_bucket_from_the_journal_unless_a_flag_says_otherwise() -> None:
    from mediaproc.services.jobs import _target

    job = "j" + "0" * 32
    journal.record(JobRecord(job, "cos", "media-1250000000", region="ap-guangzhou"))
    name, settings, entry = _target(resolve_settings({}), job)
    assert (name, settings.bucket, settings.region) == ("cos", "media-1250000000", "ap-guangzhou")
    assert entry is not None and entry.task_id == job
    name, settings, _entry = _target(resolve_settings({"bucket": "other-1250000000"}), job)
    assert (name, settings.bucket) == ("cos", "other-1250000000")  # --bucket wins over the journal


def test_an_ended_job_keeps_only_its_address_and_old_ones_are_pruned() -> None:
    import time

    from mediaproc.journal import KEEP_ENDED_SECONDS
    from mediaproc.record import replace

    entry = JobRecord("MediaConvert-ended-0001", "oss", "media", project="p", temporary_keys=("t/a",),
                      delivery=Delivery(prefix="t/", path="/x/a.mp4", folder="/x"))
    journal.ended(entry)
    kept = journal.find(entry.task_id)
    assert kept is not None and (kept.provider, kept.bucket, kept.project) == ("oss", "media", "p")
    assert kept.temporary_keys == () and kept.delivery is None
    old = JobRecord("MediaConvert-ended-0002", "oss", "media", submitted_at=time.time() - KEEP_ENDED_SECONDS - 1)
    busy = replace(old, task_id="MediaConvert-busy-0003", temporary_keys=("t/b",))
    journal.record(old)
    journal.record(busy)
    journal.record(JobRecord("MediaConvert-new-0004", "oss", "media"))  # writing prunes
    assert journal.find(old.task_id) is None  # ended long ago: pruned
    assert journal.find(busy.task_id) is not None  # work left: never pruned
    assert journal.find(entry.task_id) is not None
