"""Media jobs of the COS front: ids, states and the ``JobsDetail`` records CI answers with.

A job is created by ``POST /jobs``, runs in a worker pool (the server's, when it lends one) and is
read back with ``GET /jobs/<id>``. States follow CI: ``Submitted`` (queued), ``Running``,
``Success``, ``Failed``, ``Cancel``; ``Pause`` is never produced. Records live in memory: a job
that was running when the server stopped is simply gone, which a client sees as a
``NonExistJobIds`` answer (not found), never as a job that runs forever.

``start_delay`` keeps new jobs ``Submitted`` for that many seconds before a worker picks them up
(what a busy or paused CI queue looks like); tests use it to watch a client time out.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from mediaproc.errors import MediaprocError

Progress = Callable[[float], None]
Work = Callable[[Progress, threading.Event], dict[str, Any]]


def new_job_id() -> str:
    """CI job ids: ``j`` + 32 hex digits (``je8f65004eb8511eaaed4f377124a303c``)."""
    return "j" + secrets.token_hex(16)


def ci_time(ts: float) -> str:
    """CI's timestamps: ``2019-07-07T12:12:12+0800`` (here: UTC, ``+0000``)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+0000", time.gmtime(ts))


@dataclass
class CosJob:
    job_id: str
    tag: str
    bucket: str
    request: dict[str, Any]
    queue_id: str
    state: str = "Submitted"
    progress: int = 0
    code: str = "Success"
    message: str = "Success"
    creation_time: float = field(default_factory=time.time)
    start_time: float | None = None
    end_time: float | None = None
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.state in ("Success", "Failed", "Cancel")

    def detail(self) -> dict[str, Any]:
        """``Response/JobsDetail`` (CreateMediaJobs, DescribeMediaJob): request echoed back, plus
        state, times, progress and, when done, ``Operation/MediaResult/OutputFile``."""
        operation = dict(self.request.get("Operation") or {})
        if self.result:
            operation["MediaResult"] = self.result
        out: dict[str, Any] = {
            "Code": self.code,
            "Message": self.message,
            "JobId": self.job_id,
            "Tag": self.tag,
            "Progress": str(self.progress),
            "State": self.state,
            "CreationTime": ci_time(self.creation_time),
            "StartTime": ci_time(self.start_time) if self.start_time else "",
            "EndTime": ci_time(self.end_time) if self.end_time else "",
            "QueueId": self.queue_id,
            "Input": self.request.get("Input") or {},
            "Operation": operation,
        }
        return out


class CosJobs:
    """Thread-safe job table plus the pool that runs them."""

    def __init__(self, *, workers: int = 2, executor: Executor | None = None, start_delay: float = 0.0) -> None:
        self._lock = threading.Lock()
        self._jobs: dict[str, CosJob] = {}
        self._cancels: dict[str, threading.Event] = {}
        self._own_pool = executor is None
        self._pool: Executor = executor or ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="cos-job")
        self.start_delay = start_delay
        self.queue_id = "p" + secrets.token_hex(16)

    def submit(self, bucket: str, tag: str, request: dict[str, Any], work: Work) -> CosJob:
        job = CosJob(job_id=new_job_id(), tag=tag, bucket=bucket, request=request, queue_id=self.queue_id)
        cancel = threading.Event()
        with self._lock:
            self._jobs[job.job_id] = job
            self._cancels[job.job_id] = cancel
        self._pool.submit(self._run, job, work, cancel)
        return job

    def get(self, bucket: str, job_id: str) -> CosJob | None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.bucket != bucket:
                return None
            return CosJob(**{**job.__dict__, "result": dict(job.result)})

    def list(
        self, bucket: str, *, tag: str | None = None, states: set[str] | None = None, ascending: bool = False
    ) -> list[CosJob]:
        """The bucket's jobs by creation time, newest first unless ``ascending`` (ids break ties, so
        a page token names one place in the order)."""
        with self._lock:
            jobs = [j for j in self._jobs.values() if j.bucket == bucket]
        if tag:
            jobs = [j for j in jobs if j.tag == tag]
        if states:
            jobs = [j for j in jobs if j.state in states]
        return sorted(jobs, key=lambda j: (j.creation_time, j.job_id), reverse=not ascending)

    def cancel(self, bucket: str, job_id: str) -> bool:
        with self._lock:
            job = self._jobs.get(job_id)
            ev = self._cancels.get(job_id)
            if job is None or job.bucket != bucket:
                return False
            if job.state == "Submitted":
                job.state, job.code, job.message, job.end_time = (
                    "Cancel",
                    "Cancel",
                    "The job was cancelled.",
                    time.time(),
                )
        if ev is not None:
            ev.set()
        return True

    def shutdown(self) -> None:
        with self._lock:
            for ev in self._cancels.values():
                ev.set()
        if self._own_pool:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self, job: CosJob, work: Work, cancel: threading.Event) -> None:
        if self.start_delay and cancel.wait(self.start_delay):
            self._finish(job, "Cancel", "Cancel", "The job was cancelled.")
            return
        with self._lock:
            if job.finished:
                return
            job.state = "Running"
            job.start_time = time.time()

        def progress(pct: float) -> None:
            with self._lock:
                job.progress = max(job.progress, max(0, min(99, int(pct))))

        try:
            result = work(progress, cancel)
            if cancel.is_set():
                self._finish(job, "Cancel", "Cancel", "The job was cancelled.")
                return
        except MediaprocError as exc:
            if cancel.is_set():
                self._finish(job, "Cancel", "Cancel", "The job was cancelled.")
            else:
                self._finish(job, "Failed", exc.code or "InternalError", exc.message)
        except Exception as exc:  # an engine bug fails the job instead of hanging it
            self._finish(job, "Failed", "InternalError", f"{type(exc).__name__}: {exc}")
        else:
            self._finish(job, "Success", "Success", "Success", result)

    def _finish(self, job: CosJob, state: str, code: str, message: str, result: dict[str, Any] | None = None) -> None:
        with self._lock:
            job.state, job.code, job.message = state, code, message
            job.end_time = time.time()
            if state == "Success":
                job.progress = 100
                job.result = result or {}
            self._cancels.pop(job.job_id, None)
