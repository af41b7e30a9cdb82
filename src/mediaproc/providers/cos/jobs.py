"""A Cloud Infinite media job as a :class:`mediaproc.jobs.Job`: polled with ``GET /jobs/<id>``.

CI's ``JobsDetail/State`` (Submitted, Running, Success, Failed, Pause, Cancel) maps onto
:class:`~mediaproc.jobs.JobState` through ``mediaproc.ops.cos.JOB_STATES``; ``Progress`` (when CI
sends it) is reported; a failed job keeps CI's ``Code``/``Message`` for ``JobFailed``. The keys a job
wrote come from ``Operation/MediaResult/OutputFile`` (``ObjectName``, or
``SpriteOutputFile/ObjectName`` for sprites).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from mediaproc.errors import NotFound
from mediaproc.i18n import _
from mediaproc.jobs import Job, JobState, JobStatus
from mediaproc.ops.cos import JOB_STATES


def _ts(value: Any) -> float | None:
    if not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f%z"):
        try:
            return datetime.strptime(str(value), fmt).timestamp()
        except ValueError:
            continue
    return None


def _names(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, list):
        return [str(v) for v in value if v]
    return [str(value)]


def generated_keys(detail: Mapping[str, Any]) -> tuple[str, ...]:
    result = (detail.get("Operation") or {}).get("MediaResult") or {}
    out = result.get("OutputFile") or {}
    if isinstance(out, list):
        out = out[0] if out else {}
    keys = _names(out.get("ObjectName"))
    sprite = out.get("SpriteOutputFile") or {}
    if isinstance(sprite, Mapping):
        keys += _names(sprite.get("ObjectName"))
    return tuple(keys)


def status_from_detail(detail: Mapping[str, Any], *, request_id: str | None = None) -> JobStatus:
    state_name = str(detail.get("State", ""))
    state = JobState(JOB_STATES.get(state_name, "running"))
    progress: float | None
    try:
        progress = float(detail["Progress"]) if detail.get("Progress") not in (None, "") else None
    except (TypeError, ValueError):
        progress = None
    if state is JobState.SUCCEEDED:
        progress = 100.0
    failed = state in (JobState.FAILED, JobState.CANCELLED)
    return JobStatus(
        task_id=str(detail.get("JobId", "")),
        state=state,
        progress=progress,
        code=str(detail.get("Code") or "") or None if failed else None,
        message=str(detail.get("Message") or "") or None if failed else None,
        started_at=_ts(detail.get("StartTime")) or _ts(detail.get("CreationTime")),
        ended_at=_ts(detail.get("EndTime")),
        generated_keys=generated_keys(detail),
        request_id=request_id,
        result=dict(detail),
    )


class CosJob(Job):
    """``poll``/``cancel`` through the provider's client; ``call`` wraps SDK errors."""

    def __init__(self, client: Any, bucket: str, job_id: str, call: Callable[..., Any]) -> None:
        self._client = client
        self._bucket = bucket
        self._job_id = job_id
        self._call = call

    @property
    def task_id(self) -> str:
        return self._job_id

    @property
    def bucket(self) -> str:
        return self._bucket

    def poll(self) -> JobStatus:
        data = self._call(
            "read the job status", self._client.ci_get_media_jobs, Bucket=self._bucket, JobIDs=self._job_id
        )
        details = [d for d in (data.get("JobsDetail") or []) if isinstance(d, Mapping)]
        match = next((d for d in details if d.get("JobId") == self._job_id), None)
        if match is None:
            raise NotFound(
                _("job {job_id} does not exist in bucket {bucket}").format(job_id=self._job_id, bucket=self._bucket),
                hint=_("check the job id and the bucket (`mediaproc cos jobs list`)"),
                task_id=self._job_id,
                code="NoSuchJob",
            )
        return status_from_detail(match)

    def cancel(self) -> None:
        self._call("cancel the job", self._client.ci_cancel_jobs, Bucket=self._bucket, JobID=self._job_id)

    def settle(self, seconds: float = 15.0) -> JobStatus | None:
        """After a cancel: wait (briefly) until the job is over, so nothing still reads its input."""
        deadline = time.monotonic() + seconds
        status: JobStatus | None = None
        while time.monotonic() < deadline:
            status = self.poll()
            if status.done:
                return status
            time.sleep(0.3)
        return status
