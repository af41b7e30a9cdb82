"""Async jobs: one small, provider-neutral handle, a local implementation, and waiting.

A :class:`Job` is anything with a ``task_id`` that can be polled for a :class:`JobStatus` and asked
to cancel: an IMM task (OSS), a Cloud Infinite media job (COS), or :class:`LocalJob`, which runs the
work in a thread of this process. :func:`wait` polls any of them with backoff (start near 1 s, cap
near 5 s), reports progress through a callback, and turns the outcome into the error hierarchy:
``JobFailed`` (exit 6) carrying the service's code and message, ``TimedOut`` (exit 7) keeping the
task id, ``Interrupted`` (exit 130) on Ctrl-C. Local work is cancelled and cleaned up before a
timeout or Ctrl-C is reported; cloud work keeps running and can be picked up by its task id.

A cloud job's backoff and time limit come from tenacity (its ``Retrying`` loop with
``retry_if_result`` is a poll loop; its ``sleep`` hook is :meth:`Job.wait_changed`). A local job
needs no backoff: it wakes the waiter as soon as it reports progress or ends, so it is waited for by
a plain loop with the same time limit, and a one-shot local run does not import tenacity.
"""

from __future__ import annotations

import os
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from enum import Enum

from mediaproc import TYPE_CHECKING, backoff
from mediaproc.errors import Interrupted, JobFailed, MediaprocError, TimedOut, UsageError
from mediaproc.i18n import _
from mediaproc.progress import ProgressCallback, ProgressEvent
from mediaproc.record import Record, replace

if TYPE_CHECKING:  # typing for type checkers only: not imported on a one-shot run (mediaproc.TYPE_CHECKING)
    from typing import Any

FIRST_DELAY = 1.0
MAX_DELAY = 5.0
JOIN_SECONDS = 15.0  # how long to wait for local work to stop and clean up after a cancel


class JobState(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"

    @property
    def done(self) -> bool:
        return self not in (JobState.QUEUED, JobState.RUNNING)


class JobStatus(Record):
    """One observation of a job. ``progress`` is a percentage (None = the service reports none);
    times are POSIX seconds; ``result`` is what the work returned (local) or the service's reply."""

    task_id: str
    state: JobState
    progress: float | None = None
    code: str | None = None
    message: str | None = None
    started_at: float | None = None
    ended_at: float | None = None
    generated_keys: tuple[str, ...] = ()
    request_id: str | None = None
    result: Any = None

    @property
    def done(self) -> bool:
        return self.state.done

    @property
    def elapsed_seconds(self) -> float | None:
        if self.started_at is None:
            return None
        end = self.ended_at if self.ended_at is not None else time.time()
        return round(max(0.0, end - self.started_at), 3)


class Job(ABC):
    """A handle on asynchronous work. Providers subclass it; keep it this small."""

    @property
    @abstractmethod
    def task_id(self) -> str: ...

    @abstractmethod
    def poll(self) -> JobStatus:
        """The current status (one request to the service for cloud jobs)."""

    @abstractmethod
    def cancel(self) -> None:
        """Ask for the work to stop; raise UnsupportedOperation where the service cannot."""

    def wait_changed(self, seconds: float) -> None:
        """Sleep until the next poll is worth making. Cloud jobs just sleep (:func:`mediaproc.backoff.sleep`);
        local jobs wake early."""
        backoff.sleep(seconds)


if TYPE_CHECKING:  # only annotations name it (``Any`` is typing's, not imported at run time)
    Work = Callable[[ProgressCallback, threading.Event], Any]


def uuid4_text() -> str:
    """A random UUID4 as text (``str(uuid.uuid4())``), built here from :func:`os.urandom` as ``uuid4``
    builds it: ``uuid`` imports ``platform`` (~13 ms together with it, issue 23), more than a one-shot
    ``video snapshot`` spends on anything but ffmpeg, for the one call naming its local job."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4 (RFC 9562, section 5.4)
    raw[8] = (raw[8] & 0x3F) | 0x80  # the RFC variant (10xx)
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class LocalJob(Job):
    """Work run in a background thread of this process, with progress and cancellation.

    ``work(progress, cancel)`` must report through ``progress`` and stop soon after ``cancel`` is
    set (raising, typically ``Interrupted``), cleaning up its partial output. Its return value
    becomes ``JobStatus.result``; ``keys_of(result)`` (if given) the generated keys. The task id
    mimics IMM's (``<TaskType>-<uuid>``) so output and ``job`` commands treat all providers alike.
    """

    def __init__(
        self,
        work: Work,
        *,
        task_type: str = "Local",
        task_id: str | None = None,
        keys_of: Callable[[Any], Sequence[str]] | None = None,
        start: bool = True,
    ) -> None:
        self._work = work
        self._task_id = task_id or f"{task_type}-{uuid4_text()}"
        self._keys_of = keys_of
        self._cancel = threading.Event()
        self._changed = threading.Condition()
        self._version = 0
        self._seen = 0
        self._status = JobStatus(task_id=self._task_id, state=JobState.QUEUED, progress=0.0)
        self._timed_out = False
        self.error: BaseException | None = None  # what the work raised, for the waiter to re-raise
        self._thread = threading.Thread(target=self._run, name=f"mediaproc-{self._task_id}", daemon=True)
        if start:
            self.start()

    @property
    def task_id(self) -> str:
        return self._task_id

    @property
    def cancel_event(self) -> threading.Event:
        return self._cancel

    def start(self) -> None:
        if not self._thread.is_alive() and self._status.state is JobState.QUEUED:
            self._thread.start()

    # -- state changes (worker thread) -----------------------------------------------------------
    def _update(self, **changes: Any) -> None:
        with self._changed:
            self._status = replace(self._status, **changes)
            self._version += 1
            self._changed.notify_all()

    def _progress(self, event: ProgressEvent) -> None:
        fraction = event.fraction
        if fraction is not None:
            self._update(progress=round(100.0 * fraction, 1))

    def _run(self) -> None:
        self._update(state=JobState.RUNNING, started_at=time.time())
        try:
            result = self._work(self._progress, self._cancel)
        except BaseException as exc:
            self.error = exc
            if self._cancel.is_set() and isinstance(exc, (Interrupted, KeyboardInterrupt)):
                state = JobState.TIMED_OUT if self._timed_out else JobState.CANCELLED
                code = "Timeout" if self._timed_out else "Cancelled"
                message = _("timed out") if self._timed_out else _("cancelled")
            else:
                state = JobState.FAILED
                code = exc.code if isinstance(exc, MediaprocError) else "InternalError"
                message = exc.message if isinstance(exc, MediaprocError) else f"{type(exc).__name__}: {exc}"
            self._update(state=state, code=code, message=message, ended_at=time.time())
            return
        keys = tuple(self._keys_of(result)) if self._keys_of is not None else ()
        self._update(state=JobState.SUCCEEDED, progress=100.0, result=result, generated_keys=keys, ended_at=time.time())

    # -- Job ------------------------------------------------------------------------------------
    def poll(self) -> JobStatus:
        with self._changed:
            self._seen = self._version
            return self._status

    def cancel(self, *, timed_out: bool = False) -> None:
        """Ask the work to stop; the state becomes cancelled (or timed_out) once it has."""
        self._timed_out = self._timed_out or timed_out
        self._cancel.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the worker thread to finish (after a cancel: to have cleaned up)."""
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def wait_changed(self, seconds: float) -> None:
        with self._changed:
            if self._version == self._seen and not self._status.done:
                self._changed.wait(seconds)


def _report(progress: ProgressCallback | None, status: JobStatus, label: str) -> None:
    if progress is not None and status.progress is not None:
        progress(ProgressEvent(completed=float(status.progress), total=100.0, unit="%", label=label))


def _stop_local(job: Job, *, timed_out: bool) -> None:
    if isinstance(job, LocalJob):
        from mediaproc.signals import interrupts_deferred

        with interrupts_deferred(deliver=False):  # already stopping: a second signal must not cut the cleanup
            job.cancel(timed_out=timed_out)
            job.join(JOIN_SECONDS)


def _until_local(job: LocalJob, poll: Callable[[], JobStatus], timeout: float | None) -> JobStatus:
    """Poll a local job until it ends or ``timeout`` passes. No backoff: the job wakes the waiter
    itself when it reports progress or ends (:meth:`LocalJob.wait_changed`), so a one-shot local run
    does not import tenacity for a loop that never sleeps out an interval."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        status = poll()
        if status.done:
            return status
        left = MAX_DELAY if deadline is None else deadline - time.monotonic()
        if left <= 0:
            return status
        job.wait_changed(min(MAX_DELAY, left))


def _until_remote(job: Job, poll: Callable[[], JobStatus], timeout: float | None) -> JobStatus | None:
    """Poll a cloud job with backoff (tenacity's ``Retrying`` as a poll loop) until it ends or
    ``timeout`` passes; the last status either way."""
    from tenacity import RetryCallState, Retrying, retry_if_result, stop_after_delay, stop_never, wait_exponential

    started = time.monotonic()
    backoff = wait_exponential(multiplier=FIRST_DELAY, min=FIRST_DELAY, max=MAX_DELAY)

    def delay(state: RetryCallState) -> float:
        # Never sleep past the deadline: the last poll happens right at it.
        step = backoff(state)
        if timeout is None:
            return step
        return max(0.0, min(step, timeout - (time.monotonic() - started)))

    retrying = Retrying(
        retry=retry_if_result(lambda s: not s.done),
        wait=delay,
        stop=stop_never if timeout is None else stop_after_delay(timeout),
        sleep=job.wait_changed,
        retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
        reraise=True,
    )
    result: JobStatus | None = retrying(poll)
    return result


def wait(job: Job, *, timeout: float | None = None, progress: ProgressCallback | None = None) -> JobStatus:
    """Poll ``job`` until it ends; return the final status if it succeeded.

    Raises ``JobFailed`` (the service's code and message), ``TimedOut`` after ``timeout`` seconds
    (None = no limit; local work is cancelled and cleaned up first), ``Interrupted`` on Ctrl-C
    (local work likewise), and re-raises a local job's own usage errors unchanged.
    """
    if timeout is not None and timeout <= 0:
        raise UsageError(_("the timeout must be positive"), hint=_("give --timeout SECONDS > 0"))
    label = job.task_id.split("-", 1)[0]

    def poll() -> JobStatus:
        status = job.poll()
        _report(progress, status, label)
        return status

    try:
        status: JobStatus | None = _until_local(job, poll, timeout) if isinstance(job, LocalJob) else (
            _until_remote(job, poll, timeout)
        )
    except KeyboardInterrupt:
        _stop_local(job, timed_out=False)
        local = isinstance(job, LocalJob)
        raise Interrupted(
            _("interrupted while waiting for {task_id}").format(task_id=job.task_id),
            hint=_("the work was stopped and its partial output removed")
            if local
            else _("the job keeps running; `mediaproc job wait {task_id}` picks it up").format(task_id=job.task_id),
            task_id=job.task_id,
        ) from None

    if status is None or not status.done:
        _stop_local(job, timed_out=True)
        local = isinstance(job, LocalJob)
        raise TimedOut(
            _("{task_id} did not finish within {seconds:g} s").format(task_id=job.task_id, seconds=timeout or 0),
            hint=_("the work was stopped and its partial output removed; raise --timeout")
            if local
            else _("the job keeps running; `mediaproc job wait {task_id}` picks it up").format(task_id=job.task_id),
            task_id=job.task_id,
        )
    if status.state is JobState.SUCCEEDED:
        return status
    if status.state is JobState.TIMED_OUT:
        raise TimedOut(status.message or _("timed out"), task_id=job.task_id, code=status.code or None)
    error = job.error if isinstance(job, LocalJob) else None
    if isinstance(error, UsageError):
        error.task_id = error.task_id or job.task_id
        raise error
    if isinstance(job, LocalJob) and error is not None and not isinstance(error, MediaprocError):
        raise error  # a bug in the work: keep its traceback for --debug
    hint = getattr(error, "hint", None) if error is not None else None
    if status.state is JobState.CANCELLED:
        raise JobFailed(
            status.message or _("the job was cancelled"),
            code=status.code or "Cancelled",
            task_id=job.task_id,
            hint=hint or _("start it again if it is still needed"),
        )
    raise JobFailed(
        status.message or _("the job failed"),
        code=status.code or "JobFailed",
        task_id=job.task_id,
        request_id=status.request_id,
        hint=hint
        or _("see the service's message; `mediaproc job status {task_id}` shows it again").format(task_id=job.task_id),
    )
