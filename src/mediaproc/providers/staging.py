"""Temporary objects and the cloud jobs that read them: one rule, one Ctrl-C policy, every provider.

Clouds process only objects, so a local file given as the source of a cloud operation (and each local
concat input) is uploaded to a unique temporary key (:func:`mediaproc.location.temp_key`), processed,
and deleted afterwards: on success, on error and on Ctrl-C, except while a cloud job may still read
it. This bookkeeping spans the whole request and every way it can end, which is why it is kept apart
from the code that processes the object (:class:`Staging`), and shared by the OSS and COS providers.

Waiting for a job (:func:`follow`) applies DESIGN.md's policy in one place: Ctrl-C or ``--timeout``
stops the waiting, never a submitted cloud job. The job's id is printed with the ``mediaproc job
wait ID`` / ``job cancel ID`` commands, and what those commands need to work verbatim, together with
the temporary objects the job may still read, goes into the job journal (:mod:`mediaproc.journal`);
``job wait`` and ``job status`` call :func:`settle` once the job has ended, which downloads a result
bound for a local file and removes the temporary objects. Local work (a :class:`~mediaproc.jobs.LocalJob`)
is stopped instead, and leaves no partial file. Batch mode's Ctrl-C reaches a worker thread's wait
through the request's ``cancel`` event, since KeyboardInterrupt only reaches the main thread.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from mediaproc import TYPE_CHECKING, journal
from mediaproc.errors import Interrupted, JobFailed, MediaprocError, TimedOut, UsageError
from mediaproc.i18n import Message, _
from mediaproc.jobs import Job, JobStatus, LocalJob
from mediaproc.journal import JobRecord
from mediaproc.location import Location, temp_key
from mediaproc.progress import ProgressCallback
from mediaproc.record import Record, replace

if TYPE_CHECKING:
    from mediaproc.location import Scheme
    from mediaproc.providers.base import Provider

def local_source_file(path: Path | str) -> Path:
    """The local file a cloud operation uploads before it runs: it must exist and be a file, checked
    before any request (the OSS and COS providers and ``cos process`` ask here; the message is
    :func:`mediaproc.errors.missing_source`, which the local provider and ``upload`` raise too)."""
    from mediaproc.errors import missing_source

    found = Path(str(path)).expanduser()
    if not found.is_file():
        raise missing_source(found)
    return found


def work_bucket(destination: Location | None, scheme: Scheme, default: str | None) -> str | None:
    """The bucket a local source is uploaded to for processing on ``scheme``: the destination's, when
    the result goes to an object of that cloud, else ``--bucket`` (``default``); None when neither.
    One rule for the OSS and COS providers and for ``--dry-run``, which shows the same upload."""
    if destination is not None and destination.scheme == scheme and destination.bucket:
        return destination.bucket
    return default or None


def refuse_url_of_staged(destination: Location | None, scheme: Scheme) -> None:
    """A signed URL of a local file's result would sign the temporary copy, which is deleted when the
    run ends: a URL that answers 404. Refused (exit 2) before the upload, on both clouds."""
    if destination is not None and destination.scheme == "url":
        raise UsageError(
            _("a signed URL of a local file's result would point at a temporary object"),
            hint=_("upload the file first (`mediaproc upload FILE {scheme}://BUCKET/KEY`), then process that").format(
                scheme=scheme),
        )


# (bucket, key) -> None; raises when the object could not be deleted
Delete = Callable[[str, str], object]
# (bucket, key, local file) -> anything; uploads the file to that key
Upload = Callable[[str, str, Path], object]


class Temp(Record, frozen=False):
    """A temporary object this request created; ``keep`` while a job may still read it."""

    bucket: str
    key: str
    keep: bool = False


def joined(first: str | None, more: str) -> str:
    """``first; more``, keeping the English twin of translated messages (JSON output uses it)."""
    if not first:
        return more
    return Message(f"{first}; {more}", f"{getattr(first, 'en', first)}; {getattr(more, 'en', more)}")


class Staging:
    """The temporary objects of one request on one cloud (``scheme``), and the warnings they leave."""

    def __init__(self, scheme: str) -> None:
        self.scheme = scheme
        self.temps: list[Temp] = []
        self.warnings: list[str] = []
        self.journaled: str | None = None  # the task id whose journal entry holds the kept objects
        self.sources: dict[tuple[str, str], str] = {}  # (bucket, temporary key) -> the file it copies

    def uri(self, temp: Temp) -> str:
        return f"{self.scheme}://{temp.bucket}/{temp.key}"

    def add(self, bucket: str, key: str, *, keep: bool = False) -> Temp:
        """Register an object this request creates (a staged source, or a job's temporary output)."""
        for temp in self.temps:
            if (temp.bucket, temp.key) == (bucket, key):
                return temp
        temp = Temp(bucket, key, keep)
        self.temps.append(temp)
        return temp

    def stage(self, bucket: str, path: Path, upload: Upload) -> str:
        """Upload ``path`` to a new temporary key of ``bucket``, registered before the upload starts
        (an interrupted upload can leave the object behind)."""
        key = temp_key(path.name)
        self.add(bucket, key)
        self.sources[(bucket, key)] = str(path)
        upload(bucket, key, path)
        return key

    def name_sources(self, exc: MediaprocError) -> None:
        """An error about a staged copy names the user's file, not the temporary key (the service
        only knows ``.mediaproc-tmp/<id>/bad.jpg``; the user gave ``photos/bad.jpg``)."""
        message = exc.message
        for (bucket, key), path in self.sources.items():
            message = message.replace(f"{self.scheme}://{bucket}/{key}", path).replace(key, path)
        if message != exc.message:
            exc.message = message
            exc.args = (message,)

    def hold(self) -> None:
        """From here on a job may read them: keep them whatever happens."""
        for temp in self.temps:
            temp.keep = True

    def release(self) -> None:
        """The job is over: nothing reads them any more."""
        for temp in self.temps:
            temp.keep = False

    @property
    def kept(self) -> list[str]:
        return [self.uri(t) for t in self.temps if t.keep]

    def finish(self, delete: Delete, exc: MediaprocError | None = None) -> None:
        """Delete what no job can still read, and say what is left behind (in ``exc`` when the request
        failed, in the warnings otherwise). A failed delete never masks the request's own outcome."""
        for temp in self.temps:
            if temp.keep:
                continue
            try:
                delete(temp.bucket, temp.key)
            except Exception as err:
                msg = _("could not delete the temporary object {uri}: {error}").format(
                    uri=self.uri(temp), error=getattr(err, "message", None) or type(err).__name__
                )
                self.warnings.append(msg)
                if exc is not None:
                    exc.details.setdefault("temporary_keys", []).append(self.uri(temp))
        kept = self.kept
        if not kept:
            return
        if exc is not None:
            exc.details.setdefault("temporary_keys", []).extend(kept)
        if self.journaled is not None:  # follow() or submitted() said what becomes of them
            if exc is None:
                self.warnings.append(_(
                    "temporary object(s) {keys} are kept while job {task_id} may read them; "
                    "`mediaproc job wait {task_id}` removes them once it has ended"
                ).format(keys=", ".join(kept), task_id=self.journaled))
            return
        folders = list(dict.fromkeys(uri.rsplit("/", 1)[0] + "/" for uri in kept))  # one uuid folder each
        note = _(
            "temporary object(s) {keys} are kept while the job may still use them; once it is done, "
            "delete them with {commands}"
        ).format(keys=", ".join(kept), commands=" and ".join(f"`mediaproc rm -r --yes {f}`" for f in folders))
        if exc is not None:
            exc.hint = joined(exc.hint, note)
        else:
            self.warnings.append(note)

    @contextmanager
    def session(self, delete: Delete) -> Iterator[Staging]:
        """Settle the temporary objects however the block ends: :meth:`finish` on success and on
        every error. Ctrl-C after :meth:`hold` but before a job id came back means a job may exist
        and read them: they are kept, and the error says so."""
        try:
            yield self
        except MediaprocError as exc:
            self.name_sources(exc)
            self.finish(delete, exc)
            raise
        except KeyboardInterrupt:
            if not self.kept:
                self.finish(delete)
                raise
            err = Interrupted(
                _("interrupted while submitting the job; it may have been started"),
                hint=_("check the target before submitting again"),
            )
            self.finish(delete, err)
            raise err from None
        except BaseException:
            self.finish(delete)
            raise
        self.finish(delete)


# -- jobs: the one Ctrl-C policy ---------------------------------------------------------------------
class _Stoppable(Job):
    """A cloud job whose waiting also ends when ``stop`` is set (batch mode's Ctrl-C)."""

    def __init__(self, job: Job, stop: threading.Event) -> None:
        self.job = job
        self.stop = stop

    @property
    def task_id(self) -> str:
        return self.job.task_id

    def poll(self) -> JobStatus:
        if self.stop.is_set():
            raise KeyboardInterrupt
        status = self.job.poll()
        if self.stop.is_set():  # Ctrl-C came while the poll was on the wire: waiting stops, whatever it says
            raise KeyboardInterrupt
        return status

    def cancel(self) -> None:
        self.job.cancel()

    def wait_changed(self, seconds: float) -> None:
        if self.stop.wait(seconds):
            raise KeyboardInterrupt


def resume_hint(task_id: str, *, cancellable: bool = True, entry: JobRecord | None = None) -> str:
    """What the user can do about a job that keeps running: commands that work verbatim."""
    if cancellable:
        hint = _(
            "the job keeps running; `mediaproc job wait {task_id}` waits for it, "
            "`mediaproc job cancel {task_id}` cancels it"
        ).format(task_id=task_id)
    else:
        hint = _(
            "the job keeps running (it cannot be cancelled); `mediaproc job wait {task_id}` waits for it"
        ).format(task_id=task_id)
    if entry is not None and entry.delivery is not None:
        hint = joined(hint, _("`mediaproc job wait {task_id}` then downloads the result to {path}").format(
            task_id=task_id, path=entry.delivery.path))
    if entry is not None and entry.temporary_keys:
        keys = ", ".join(f"{entry.provider}://{entry.bucket}/{k}" for k in entry.temporary_keys)
        hint = joined(hint, _(
            "the temporary object(s) {keys} are kept until the job has ended, then `mediaproc job wait "
            "{task_id}` or `mediaproc job status {task_id}` removes them"
        ).format(keys=keys, task_id=task_id))
    return hint


def _remember(task_id: str, entry: JobRecord | None, staging: Staging | None) -> JobRecord | None:
    """Write the job's journal entry with the temporary objects it may still read; None if it could
    not be written (then the kept objects are reported with the command that deletes them)."""
    if entry is None:
        return None
    outputs = entry.delivery.prefix if entry.delivery is not None else None  # removed after the download
    keys = tuple(t.key for t in staging.temps if t.keep and t.bucket == entry.bucket
                 and not (outputs and t.key.startswith(outputs))) if staging else ()
    entry = replace(entry, task_id=task_id, temporary_keys=tuple(dict.fromkeys((*entry.temporary_keys, *keys))))
    try:
        written = journal.record(entry)
    except (OSError, MediaprocError):
        written = None
    if written is None:
        return None
    if staging is not None:
        staging.journaled = task_id
    return entry


def submitted(task_id: str, entry: JobRecord, staging: Staging | None = None) -> None:
    """``--no-wait``: the job is left to run; the job commands find it through the journal."""
    _remember(task_id, entry, staging)


def follow(
    job: Job,
    *,
    timeout: float | None,
    progress: ProgressCallback | None,
    cancel: threading.Event | None = None,
    entry: JobRecord | None = None,
    staging: Staging | None = None,
    cancellable: bool = True,
) -> JobStatus:
    """Wait for ``job`` (see the module doc): its final status when it succeeded.

    JobFailed (exit 6) releases the staged objects (the job is over). TimedOut (exit 7) and
    Interrupted (exit 130) leave a cloud job running: ``entry`` (what the job commands need) is
    journaled with the staged objects, which stay, and the error's hint gives the commands. A local
    job is stopped instead; its error says so already."""
    from mediaproc import jobs

    watched = _Stoppable(job, cancel) if cancel is not None and not isinstance(job, LocalJob) else job
    try:
        final = jobs.wait(watched, timeout=timeout, progress=progress)
    except JobFailed as exc:
        if staging is not None:
            staging.release()
        if entry is not None and not isinstance(job, LocalJob):  # its hint names `job status ID`
            with contextlib.suppress(OSError, MediaprocError):
                journal.ended(replace(entry, task_id=job.task_id))
        exc.task_id = exc.task_id or job.task_id
        raise
    except (TimedOut, Interrupted) as exc:
        if isinstance(job, LocalJob):
            raise
        exc.task_id = exc.task_id or job.task_id
        kept = _remember(job.task_id, entry, staging)
        exc.hint = resume_hint(job.task_id, cancellable=cancellable, entry=kept)
        raise
    if staging is not None:
        staging.release()
    return final


def settle(provider: Provider, entry: JobRecord, *, succeeded: bool,
           progress: ProgressCallback | None = None) -> tuple[tuple[Path, ...], tuple[str, ...]]:
    """Once the job of ``entry`` has ended: download a result bound for a local file (if it
    succeeded), delete its temporary objects, and keep only the job's address. Returns (downloaded files,
    warnings); an object that could not be deleted stays in the entry for the next try."""
    scheme: Scheme = "cos" if entry.provider == "cos" else "oss"

    def at(key: str) -> Location:
        return Location(scheme=scheme, bucket=entry.bucket, key=key)

    paths: list[Path] = []
    leftovers = list(entry.temporary_keys)
    d = entry.delivery
    if d is not None:
        outputs = sorted(o.key for o in provider.list_objects(at(d.prefix), recursive=True) if not o.is_prefix)
        if succeeded:
            for k in outputs:
                named = d.named_key is not None and (k == d.named_key or len(outputs) == 1)
                target = Path(d.path) if named else Path(d.folder) / PurePosixPath(k).name
                provider.download(at(k), target, progress)
                paths.append(target)
        leftovers += outputs
    failed: list[str] = []
    warnings: list[str] = []
    for key in dict.fromkeys(leftovers):
        try:
            provider.delete(at(key))
        except MediaprocError as err:
            failed.append(key)
            warnings.append(_("could not delete the temporary object {uri}: {error}").format(
                uri=f"{entry.provider}://{entry.bucket}/{key}", error=err.message))
    if failed:
        journal.record(replace(entry, temporary_keys=tuple(failed), delivery=None))
    else:
        journal.ended(entry)  # its address stays: `job status|wait ID` keep working verbatim
    return tuple(paths), tuple(warnings)
