"""``mediaproc job status|wait|cancel TASK_ID``: pick up a cloud job that was not waited for.

A job submitted here and then not waited for (``--no-wait``, a timeout, Ctrl-C) has an entry in the
job journal (:mod:`mediaproc.journal`) with its provider, bucket, IMM project and endpoints, so these
commands work verbatim, without the options of the command that submitted it (an option given here
still wins). Once the job has ended they finish what that command left: a result bound for a local
file is downloaded, and the temporary objects staged for the job are removed
(:func:`mediaproc.providers.staging.settle`).

Without an entry the provider is the one configured (``--provider``); when that is ``local`` (the
default) the task id's shape names the cloud: OSS/IMM ids are ``<TaskType>-<uuid>``
(``MediaConvert-...``), COS media job ids are ``j`` + 32 hex digits, once a bucket or IMM project says
which one to ask. Local jobs live in the process that ran them, so they cannot be picked up later: an id
with no entry and nothing naming a cloud is most likely a local run's (its ids mimic IMM's), and is
refused saying so rather than asking for an IMM project.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from mediaproc import journal
from mediaproc.config import Settings
from mediaproc.errors import JobFailed, UsageError
from mediaproc.i18n import _
from mediaproc.journal import JobRecord
from mediaproc.progress import ProgressCallback
from mediaproc.providers import get_provider
from mediaproc.record import replace
from mediaproc.results import ProcessResult

if TYPE_CHECKING:
    from mediaproc.providers.base import Provider

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


def _target(settings: Settings, task_id: str) -> tuple[str, Settings, JobRecord | None]:
    """The provider and settings to look the job up with: the journal's, unless a flag says otherwise."""
    entry = journal.find(task_id)
    if entry is not None:
        recorded = {"provider": entry.provider, "bucket": entry.bucket, "imm_project": entry.project,
                    "region": entry.region, "endpoint": entry.endpoint, "imm_endpoint": entry.imm_endpoint}
        settings = settings.with_(**{name: value for name, value in recorded.items()
                                     if value and settings.sources.get(name) != "flag"})
    if entry is None and settings.provider == "local" and not (settings.bucket or settings.imm_project):
        # nothing points at a cloud: most likely the id a local run printed (it mimics IMM's)
        raise UsageError(
            _("no cloud job {task_id} was started from this machine").format(task_id=task_id),
            hint=_("a local job ends with the command that ran it, which wrote its result or printed its error; "
                   "for a cloud job started elsewhere add --provider oss|cos --bucket BUCKET"),
        )
    name = provider_for(settings, task_id)
    return name, settings, entry if entry is not None and entry.provider == name else None


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


def _settled(result: ProcessResult, provider: Provider, entry: JobRecord | None,
             progress: ProgressCallback | None = None) -> ProcessResult:
    """The job has ended: finish what the command that submitted it left (see the module doc)."""
    from mediaproc.providers.staging import settle

    if entry is None or (not entry.temporary_keys and entry.delivery is None):
        return result  # nothing left (an ended job's address: see mediaproc.journal)
    paths, warnings = settle(provider, entry, succeeded=result.status == "succeeded", progress=progress)
    if paths:
        result = replace(result, path=str(paths[0]), size=sum(p.stat().st_size for p in paths),
                         generated_keys=tuple(str(p) for p in paths) if len(paths) > 1 else result.generated_keys)
    return replace(result, warnings=(*result.warnings, *warnings))


def status(settings: Settings, task_id: str) -> ProcessResult:
    """One poll: the job's state, progress and, when it failed, the service's code and message."""
    task_id = task_id.strip()
    name, settings, entry = _target(settings, task_id)
    with get_provider(name, settings) as provider:
        st = provider.job(task_id).poll()
        result = _result(st, name)
        return _settled(result, provider, entry) if st.done else result


def wait(
    settings: Settings, task_id: str, *, timeout: float | None = None, progress: ProgressCallback | None = None
) -> ProcessResult:
    """Wait until the job ends: raises JobFailed (exit 6), TimedOut (exit 7) or Interrupted (exit 130),
    the last two with the commands that pick the job up again (the shared policy)."""
    from mediaproc.providers.staging import follow

    task_id = task_id.strip()
    name, settings, entry = _target(settings, task_id)
    with get_provider(name, settings) as provider:
        job = provider.job(task_id)
        again = entry or JobRecord(task_id, name, settings.bucket or "", project=settings.imm_project,
                                   region=settings.region, endpoint=settings.endpoint,
                                   imm_endpoint=settings.imm_endpoint)
        try:
            final = follow(job, timeout=timeout if timeout is not None else settings.wait_timeout,
                           progress=progress, entry=again, cancellable=provider.cancels_jobs)
        except JobFailed as exc:
            _settled(ProcessResult(success=False, mode="job", source=task_id, status="failed"), provider, entry)
            if exc.code and exc.code not in exc.message:  # the human output shows only the message
                exc.message = _("{task_id} failed: {code}: {message}").format(
                    task_id=task_id, code=exc.code, message=exc.message
                )
            raise
        return _settled(_result(final, name), provider, entry, progress)


def cancel(settings: Settings, task_id: str) -> ProcessResult:
    """Ask the service to cancel; providers without a cancel API raise UnsupportedOperation."""
    task_id = task_id.strip()
    name, settings, entry = _target(settings, task_id)
    with get_provider(name, settings) as provider:
        job = provider.job(task_id)
        job.cancel()
        after = job.poll()
        result = _result(after, name)
        return _settled(result, provider, entry) if after.done else result
