"""OSS async jobs: an IMM task polled with GetTask, and the documented last-resort fallback.

``x-oss-async-process`` answers with an IMM ``TaskId`` whose prefix is its ``TaskType``
(``MediaConvert-8e5e...``). The task lives in the IMM project bound to the bucket; ``GetTask``
(ProjectName, TaskType, TaskId) reports ``Status`` (Running, Succeeded, Failed; Queued/Cancelled are
accepted too), ``Progress`` (0-100), ``Code``/``Message`` on failure, ``StartTime``/``EndTime``.

Fallback (:class:`ObjectAppearanceJob`): when IMM cannot be used at all (no network route to it, or
the RAM identity lacks ``imm:GetTask``/``imm:GetOSSBucketAttachment``), completion is inferred from
the target object appearing (or changing, if it existed before submission). It cannot see a failure
(that looks like a timeout) nor progress, so it is only used then, and the result says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from mediaproc.errors import MediaprocError, UnsupportedOperation, UsageError
from mediaproc.i18n import _
from mediaproc.jobs import Job, JobState, JobStatus
from mediaproc.providers.oss.imm import Imm

_TASK_ID = re.compile(r"^([A-Za-z][A-Za-z0-9]*)-[A-Za-z0-9-]+$")

STATES: dict[str, JobState] = {
    "queued": JobState.QUEUED,
    "pending": JobState.QUEUED,
    "submitted": JobState.QUEUED,
    "running": JobState.RUNNING,
    "processing": JobState.RUNNING,
    "succeeded": JobState.SUCCEEDED,
    "success": JobState.SUCCEEDED,
    "finished": JobState.SUCCEEDED,
    "failed": JobState.FAILED,
    "error": JobState.FAILED,
    "cancelled": JobState.CANCELLED,
    "canceled": JobState.CANCELLED,
}

NO_CANCEL_HINT = _(
    "IMM has no API to cancel a task started by x-oss-async-process; it runs to completion or failure. "
    "Delete its output afterwards if you do not want it"
)


def task_type_of(task_id: str) -> str:
    """The IMM TaskType is the TaskId's prefix (``MediaConvert-...`` -> ``MediaConvert``)."""
    m = _TASK_ID.match(task_id.strip())
    if not m:
        raise UsageError(
            _("{task_id!r} does not look like an OSS/IMM task id").format(task_id=task_id),
            hint=_("OSS task ids look like MediaConvert-8e5e0e58-...; copy it from the submit output"),
        )
    return m.group(1)


def _timestamp(value: Any) -> float | None:
    if not value:
        return None
    if isinstance(value, (int, float)):
        return float(value) / (1000.0 if value > 1e11 else 1.0)
    text = str(value).strip()
    try:
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        # IMM uses RFC 3339 with up to nanoseconds; Python takes at most microseconds
        text = re.sub(r"(\.\d{6})\d+", r"\1", text)
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


class ImmTaskJob(Job):
    """An IMM task, polled with GetTask in its project."""

    def __init__(
        self,
        imm: Imm,
        project: str,
        task_id: str,
        *,
        request_id: str | None = None,
        generated_keys: tuple[str, ...] = (),
    ) -> None:
        self._imm = imm
        self.project = project
        self._task_id = task_id.strip()
        self.task_type = task_type_of(self._task_id)
        self.submit_request_id = request_id
        self.generated_keys = generated_keys
        self.last: dict[str, Any] = {}

    @property
    def task_id(self) -> str:
        return self._task_id

    def poll(self) -> JobStatus:
        try:
            body = self._imm.get_task(self.project, self.task_type, self._task_id)
        except MediaprocError as exc:
            exc.task_id = exc.task_id or self._task_id
            raise
        self.last = body
        raw = str(body.get("Status") or "").strip()
        state = STATES.get(raw.lower(), JobState.RUNNING)
        progress = body.get("Progress")
        if state is JobState.SUCCEEDED:
            progress = 100
        return JobStatus(
            task_id=self._task_id,
            state=state,
            progress=float(progress) if isinstance(progress, (int, float)) else None,
            code=body.get("Code") or None,
            message=body.get("Message") or None,
            started_at=_timestamp(body.get("StartTime")),
            ended_at=_timestamp(body.get("EndTime")),
            generated_keys=self.generated_keys,
            request_id=body.get("RequestId") or None,
            result=body,
        )

    def cancel(self) -> None:
        raise UnsupportedOperation(
            _("task {task_id} cannot be cancelled").format(task_id=self._task_id), hint=NO_CANCEL_HINT
        )


class ObjectAppearanceJob(Job):
    """Last resort when IMM is unreachable: done when the target appears or changes (see module doc)."""

    def __init__(
        self,
        task_id: str,
        probe: Callable[[], str | None],
        before: str | None,
        *,
        generated_keys: tuple[str, ...] = (),
    ) -> None:
        self._task_id = task_id
        self._probe = probe  # -> a fingerprint of the target (etag...), None when absent
        self._before = before
        self.generated_keys = generated_keys

    @property
    def task_id(self) -> str:
        return self._task_id

    def poll(self) -> JobStatus:
        now = self._probe()
        done = now is not None and now != self._before
        return JobStatus(
            task_id=self._task_id,
            state=JobState.SUCCEEDED if done else JobState.RUNNING,
            progress=100.0 if done else None,
            generated_keys=self.generated_keys,
        )

    def cancel(self) -> None:
        raise UnsupportedOperation(
            _("task {task_id} cannot be cancelled").format(task_id=self._task_id), hint=NO_CANCEL_HINT
        )
