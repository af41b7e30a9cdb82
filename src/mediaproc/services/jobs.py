"""``mediaproc job status|wait|cancel TASK_ID``: pick up an async job submitted with ``--no-wait``.

The provider is the one configured (``--provider``); when that is ``local`` (the default) the task
id's shape names the cloud: OSS/IMM ids are ``<TaskType>-<uuid>`` (``MediaConvert-...``), COS media
job ids are ``j`` + 32 hex digits. Local jobs live in the process that ran them, so they cannot be
picked up later.
"""

from __future__ import annotations

import re
from typing import Any

from mediaproc.config import Settings
from mediaproc.errors import JobFailed, UsageError
from mediaproc.i18n import _
from mediaproc.progress import ProgressCallback
from mediaproc.providers import get_provider
from mediaproc.results import ProcessResult

_OSS_TASK = re.compile(r"^[A-Z][A-Za-z0-9]*-[A-Za-z0-9-]{8,}$")
_COS_JOB = re.compile(r"^j[0-9a-f]{32}$")


def provider_for(settings: Settings, task_id: str) -> str:
    task_id = task_id.strip()
    if settings.provider != "local":
        return settings.provider
    if _OSS_TASK.match(task_id):
        return "oss"
    if _COS_JOB.match(task_id):
        return "cos"
    raise UsageError(
        _("cannot tell which cloud task {task_id!r} belongs to").format(task_id=task_id),
        hint=_("pass --provider oss or --provider cos (local jobs cannot be picked up later)"),
    )


def _result(status: Any, provider: str) -> ProcessResult:
    extra: dict[str, Any] = {}
    for name in ("progress", "code", "message", "started_at", "ended_at"):
        value = getattr(status, name, None)
        if value is not None:
            extra[name] = value
    state = status.state.value
    return ProcessResult(
        success=state not in ("failed", "cancelled", "timed_out"),
        mode="job",
        source=status.task_id,
        task_id=status.task_id,
        status=state,
        request_id=getattr(status, "request_id", None),
        generated_keys=tuple(getattr(status, "generated_keys", ()) or ()),
        provider=provider,
        extra=extra,
    )


def status(settings: Settings, task_id: str) -> ProcessResult:
    """One poll: the job's state, progress and, when it failed, the service's code and message."""
    name = provider_for(settings, task_id)
    with get_provider(name, settings) as provider:
        return _result(provider.job(task_id.strip()).poll(), name)


def wait(
    settings: Settings, task_id: str, *, timeout: float | None = None, progress: ProgressCallback | None = None
) -> ProcessResult:
    """Wait until the job ends: raises JobFailed (exit 6) or TimedOut (exit 7, task id kept)."""
    from mediaproc import jobs

    name = provider_for(settings, task_id)
    with get_provider(name, settings) as provider:
        try:
            job = provider.job(task_id.strip())
            final = jobs.wait(job, timeout=timeout if timeout is not None else settings.wait_timeout,
                              progress=progress)
        except JobFailed as exc:
            if exc.code and exc.code not in exc.message:  # the human output shows only the message
                exc.message = _("{task_id} failed: {code}: {message}").format(
                    task_id=task_id, code=exc.code, message=exc.message
                )
            raise
    return _result(final, name)


def cancel(settings: Settings, task_id: str) -> ProcessResult:
    """Ask the service to cancel; providers without a cancel API raise UnsupportedOperation."""
    name = provider_for(settings, task_id)
    with get_provider(name, settings) as provider:
        job = provider.job(task_id.strip())
        job.cancel()
        after = job.poll()
    return _result(after, name)
