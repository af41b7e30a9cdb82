"""mediaproc.jobs: states, progress, backoff, timeout, failure, cancel and Ctrl-C."""

from __future__ import annotations

import re
import threading
import time
import uuid

import pytest

from mediaproc.errors import Interrupted, InvalidOperation, JobFailed, MediaError, ServiceError, TimedOut
from mediaproc.jobs import Job, JobState, JobStatus, LocalJob, uuid4_text, wait
from mediaproc.progress import ProgressCallback, ProgressEvent
from mediaproc.record import FrozenRecordError


def steps(n: int, pause: float = 0.05, cleanup: list[str] | None = None):
    """Work that reports n steps and honours cancel like the media engine does."""

    def work(progress: ProgressCallback, cancel: threading.Event) -> str:
        try:
            for i in range(n):
                if cancel.is_set():
                    raise Interrupted("stopped")
                time.sleep(pause)
                progress(ProgressEvent(completed=100.0 * (i + 1) / n))
            return "done"
        finally:
            if cleanup is not None and cancel.is_set():
                cleanup.append("removed partial output")

    return work


def test_local_job_succeeds_with_progress() -> None:
    seen: list[float] = []
    job = LocalJob(steps(5), task_type="MediaConvert", keys_of=lambda r: [f"out/{r}.mp4"])
    assert job.task_id.startswith("MediaConvert-")
    t0 = time.monotonic()
    final = wait(job, timeout=30, progress=lambda e: seen.append(e.completed))
    assert time.monotonic() - t0 < 0.9  # woken by the job, not by the 1 s poll interval
    assert final.state is JobState.SUCCEEDED and final.done
    assert final.result == "done" and final.generated_keys == ("out/done.mp4",)
    assert final.progress == 100.0 and final.elapsed_seconds is not None
    assert final.started_at is not None and final.ended_at is not None and final.ended_at >= final.started_at
    assert seen == sorted(seen) and seen[-1] == 100.0 and len(seen) >= 3


def test_states_queued_running_succeeded() -> None:
    gate = threading.Event()

    def work(progress: ProgressCallback, cancel: threading.Event) -> int:
        gate.wait(5)
        return 1

    job = LocalJob(work, start=False)
    assert job.poll().state is JobState.QUEUED
    job.start()
    time.sleep(0.05)
    assert job.poll().state is JobState.RUNNING
    gate.set()
    assert wait(job, timeout=5).state is JobState.SUCCEEDED


def test_failure_becomes_job_failed_with_code_and_message() -> None:
    def work(progress: ProgressCallback, cancel: threading.Event) -> None:
        raise ServiceError("encoder exploded", code="EngineError", hint="try other parameters")

    job = LocalJob(work)
    with pytest.raises(JobFailed) as err:
        wait(job, timeout=5)
    assert (err.value.code, err.value.message, err.value.task_id) == ("EngineError", "encoder exploded", job.task_id)
    assert err.value.exit_code == 6 and err.value.hint == "try other parameters"
    assert job.poll().state is JobState.FAILED


@pytest.mark.parametrize("error", [InvalidOperation("bad parameter"), MediaError("not a video")])
def test_bad_input_keeps_its_own_error(error: Exception) -> None:
    def work(progress: ProgressCallback, cancel: threading.Event) -> None:
        raise error

    with pytest.raises(type(error)) as err:
        wait(LocalJob(work), timeout=5)
    assert err.value.exit_code == 2 and err.value.task_id


def test_bug_in_work_keeps_its_traceback() -> None:
    def work(progress: ProgressCallback, cancel: threading.Event) -> None:
        raise KeyError("oops")

    with pytest.raises(KeyError):
        wait(LocalJob(work), timeout=5)


def test_timeout_cancels_local_work_and_cleans_up() -> None:
    cleanup: list[str] = []
    job = LocalJob(steps(1000, cleanup=cleanup))
    t0 = time.monotonic()
    with pytest.raises(TimedOut) as err:
        wait(job, timeout=0.5)
    assert 0.45 < time.monotonic() - t0 < 3
    assert err.value.task_id == job.task_id and err.value.exit_code == 7
    assert cleanup == ["removed partial output"]  # cleaned up before TimedOut was raised
    assert job.poll().state is JobState.TIMED_OUT


def test_cancel_by_someone_else_fails_the_wait() -> None:
    job = LocalJob(steps(1000))
    threading.Timer(0.2, job.cancel).start()
    with pytest.raises(JobFailed) as err:
        wait(job, timeout=10)
    assert err.value.code == "Cancelled"
    assert job.poll().state is JobState.CANCELLED


class CtrlC(LocalJob):
    def wait_changed(self, seconds: float) -> None:
        raise KeyboardInterrupt


def test_ctrl_c_cancels_local_work() -> None:
    cleanup: list[str] = []
    job = CtrlC(steps(1000, cleanup=cleanup))
    with pytest.raises(Interrupted) as err:
        wait(job, timeout=10)
    assert err.value.exit_code == 130 and err.value.task_id == job.task_id
    assert cleanup == ["removed partial output"]
    assert job.poll().state is JobState.CANCELLED


class FakeCloudJob(Job):
    """A cloud job: RUNNING for ``polls`` polls, then ``final``; records the waits between polls."""

    def __init__(self, polls: int, final: JobState = JobState.SUCCEEDED, sleep: bool = False) -> None:
        self.polls = polls
        self.final = final
        self.sleep = sleep
        self.waits: list[float] = []
        self.cancelled = False

    @property
    def task_id(self) -> str:
        return "MediaConvert-1234"

    def poll(self) -> JobStatus:
        if self.polls > 0:
            self.polls -= 1
            return JobStatus(self.task_id, JobState.RUNNING, progress=10.0 * len(self.waits))
        if self.final is JobState.FAILED:
            return JobStatus(
                self.task_id, JobState.FAILED, code="InvalidParameter", message="bad input", request_id="r1"
            )
        return JobStatus(self.task_id, self.final, progress=100.0)

    def cancel(self) -> None:
        self.cancelled = True

    def wait_changed(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.sleep:
            time.sleep(seconds)


def test_backoff_starts_near_1s_and_caps_near_5s() -> None:
    job = FakeCloudJob(polls=7)
    seen: list[float] = []
    final = wait(job, timeout=None, progress=lambda e: seen.append(e.completed))
    assert final.state is JobState.SUCCEEDED
    assert job.waits == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0, 5.0]
    assert seen[-1] == 100.0


def test_cloud_failure_carries_the_service_code() -> None:
    with pytest.raises(JobFailed) as err:
        wait(FakeCloudJob(polls=1, final=JobState.FAILED), timeout=None)
    assert (err.value.code, err.value.message, err.value.request_id) == ("InvalidParameter", "bad input", "r1")
    assert err.value.task_id == "MediaConvert-1234"


def test_cloud_timeout_keeps_the_task_id_and_does_not_cancel() -> None:
    job = FakeCloudJob(polls=10**6, sleep=True)
    t0 = time.monotonic()
    with pytest.raises(TimedOut) as err:
        wait(job, timeout=1.5)
    elapsed = time.monotonic() - t0
    assert 1.4 < elapsed < 2.5
    assert job.waits[0] == 1.0 and job.waits[1] == pytest.approx(0.5, abs=0.1)  # never sleeps past the limit
    assert err.value.task_id == "MediaConvert-1234" and "job wait" in (err.value.hint or "")
    assert not job.cancelled


def test_cloud_ctrl_c_leaves_the_job_running() -> None:
    class Interrupting(FakeCloudJob):
        def wait_changed(self, seconds: float) -> None:
            raise KeyboardInterrupt

    job = Interrupting(polls=5)
    with pytest.raises(Interrupted) as err:
        wait(job, timeout=10)
    assert not job.cancelled and err.value.task_id == job.task_id


def test_a_local_task_id_is_the_task_type_and_a_random_uuid4() -> None:
    """Built from ``os.urandom`` without importing ``uuid``: the text of a valid version 4 UUID (the
    version and variant bits set as ``uuid.uuid4`` sets them), as IMM's ``<TaskType>-<uuid>``."""
    ids = [LocalJob(steps(1), task_type="MediaConvert", start=False).task_id for _ in range(50)]
    pattern = re.compile(r"MediaConvert-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
    assert all(pattern.fullmatch(task_id) for task_id in ids), ids
    parsed = [uuid.UUID(task_id.removeprefix("MediaConvert-")) for task_id in ids]
    assert {(u.version, u.variant) for u in parsed} == {(4, uuid.RFC_4122)}
    assert [str(u) for u in parsed] == [task_id.removeprefix("MediaConvert-") for task_id in ids]
    assert len(set(ids)) == len(ids)
    assert len({uuid4_text() for _ in range(50)}) == 50


def test_status_fields() -> None:
    s = JobStatus("T-1", JobState.RUNNING, started_at=time.time() - 2)
    assert not s.done and s.elapsed_seconds is not None and s.elapsed_seconds >= 2
    assert {st.value for st in JobState} == {"queued", "running", "succeeded", "failed", "cancelled", "timed_out"}
    with pytest.raises(FrozenRecordError):
        s.state = JobState.FAILED  # type: ignore[misc]
