"""One error hierarchy for the whole tool.

Every error a user can cause or meet carries its exit code, a one-line message and a hint saying what
to do, so `output.py` can render any of them the same way and the CLI never shows a traceback for
them. Code below the CLI raises these; it never calls ``sys.exit`` or prints.

Exit codes (the documented table, also in README):

====  =====================================================================
 0    ok
 1    unexpected error (a bug: reported with a traceback only under --debug), or the machine refused a
      read or write (disk full, read-only file system: :func:`system_error`, a line and a hint)
 2    usage error / invalid operation, parameter or chain
 3    configuration or credentials
 4    not found (source object, file, bucket, task)
 5    service error (the cloud or the local engine refused or failed)
 6    async job failed
 7    timed out (the task id is kept)
 8    batch partially failed
 9    ``--verify --strict`` found a property different from the request
130   interrupted (Ctrl-C)
143   terminated (SIGTERM: ``kill``, ``timeout``), stopped as Ctrl-C stops a run (``mediaproc.signals``)
====  =====================================================================
"""

from __future__ import annotations

from enum import IntEnum

from mediaproc import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import PurePath
    from typing import Any


class ExitCode(IntEnum):
    OK = 0
    UNEXPECTED = 1
    USAGE = 2
    CONFIG = 3
    NOT_FOUND = 4
    SERVICE = 5
    JOB_FAILED = 6
    TIMEOUT = 7
    PARTIAL = 8
    VERIFY = 9
    INTERRUPTED = 130
    TERMINATED = 143  # SIGTERM: 128 + 15, as a shell reports a process it killed


def _rebuild_error(cls: type[MediaprocError], args: tuple[Any, ...], state: dict[str, Any]) -> MediaprocError:
    err = cls.__new__(cls)
    Exception.__init__(err, *args)
    err.__dict__.update(state)
    return err


class MediaprocError(Exception):
    """Base class. ``code`` is a stable machine-readable name (the service's code where there is one)."""

    exit_code: ExitCode = ExitCode.UNEXPECTED
    default_code: str = "Error"
    rendered: bool = False  # True when the result document already reported it (batch --json)

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        code: str | None = None,
        request_id: str | None = None,
        task_id: str | None = None,
        status: int | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.code = code or self.default_code
        self.request_id = request_id
        self.task_id = task_id
        self.status = status
        self.details = details or {}

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle by state, not by ``__init__``'s arguments (subclasses take others), so an error
        raised in one of serve's worker processes arrives whole (:mod:`mediaproc.emulator.engine_pool`)."""
        return (_rebuild_error, (type(self), self.args, dict(self.__dict__)))

    def to_dict(self) -> dict[str, Any]:
        """The ``error`` object of the JSON output (stable field names)."""
        out: dict[str, Any] = {"code": self.code, "message": self.message, "hint": self.hint}
        out["request_id"] = self.request_id
        if self.task_id:
            out["task_id"] = self.task_id
        if self.status is not None:
            out["http_status"] = self.status
        return out


class UsageError(MediaprocError):
    """Bad command-line usage: a malformed argument, a missing destination folder, ..."""

    exit_code = ExitCode.USAGE
    default_code = "UsageError"


class InvalidOperation(UsageError):
    """An operation chain that fails the model's checks (name, parameter, range, chaining, backend)."""

    default_code = "InvalidOperation"


class UnsupportedOperation(InvalidOperation):
    """Valid operation, but the chosen provider cannot run it (e.g. ``labels`` on ``local``)."""

    default_code = "UnsupportedOperation"


class MediaError(UsageError):
    """The source is not usable media: corrupt, truncated, not an image/video, or over the limits.

    Bad input, so exit 2 like any other invalid input; a failure of the engine or service on good
    input is a ServiceError (5).
    """

    default_code = "InvalidMedia"


class ConfigError(MediaprocError):
    exit_code = ExitCode.CONFIG
    default_code = "ConfigError"


class CredentialsError(ConfigError):
    default_code = "InvalidCredentials"


class NotFound(MediaprocError):
    exit_code = ExitCode.NOT_FOUND
    default_code = "NotFound"


class ServiceError(MediaprocError):
    """The service (cloud or local engine) refused or failed the request."""

    exit_code = ExitCode.SERVICE
    default_code = "ServiceError"




class JobFailed(MediaprocError):
    exit_code = ExitCode.JOB_FAILED
    default_code = "JobFailed"


class TimedOut(MediaprocError):
    exit_code = ExitCode.TIMEOUT
    default_code = "Timeout"


class PartialFailure(MediaprocError):
    exit_code = ExitCode.PARTIAL
    default_code = "PartialFailure"


class VerifyMismatch(MediaprocError):
    exit_code = ExitCode.VERIFY
    default_code = "VerifyMismatch"


class Interrupted(MediaprocError):
    exit_code = ExitCode.INTERRUPTED
    default_code = "Interrupted"


class BatchInterrupted(Interrupted):
    """Ctrl-C in a batch or recursive transfer (DESIGN.md's one policy): what finished, what failed,
    what was stopped in flight, what was never started, every cloud task id submitted, and the flag
    that turns the same command into the one that resumes (``--skip-existing``). The CLI, which
    knows the command line, fills :attr:`resume_command`; ``output.py`` prints the summary."""

    def __init__(
        self,
        message: str,
        *,
        finished: list[str],
        failed: list[str],
        stopped: list[str],
        not_started: list[str],
        task_ids: list[str],
        resume_flag: str | None = "--skip-existing",
        hint: str | None = None,
        finished_more: int = 0,
        not_started_more: int = 0,
    ) -> None:
        super().__init__(message, hint=hint)
        self.finished = finished
        # A streamed batch names only the first few finished items and counts the rest, and counts
        # the items it never took from the listing: a list of their names would grow with the batch.
        self.finished_more = finished_more
        self.not_started_more = not_started_more
        self.failed = failed
        self.stopped = stopped
        self.not_started = not_started
        self.task_ids = task_ids
        self.resume_flag = resume_flag
        self.resume_command: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out.update(finished=self.finished, failed=self.failed, stopped=self.stopped,
                   not_started=self.not_started, task_ids=self.task_ids, resume_command=self.resume_command,
                   finished_count=len(self.finished) + self.finished_more,
                   not_started_count=len(self.not_started) + self.not_started_more)
        return out


def missing_folder(folder: PurePath) -> UsageError:
    """The one error for a destination whose folder does not exist (local writes of every command):
    the hint is a command the user can paste, so the folder is shell-quoted (``mkdir -p '/tmp/a b'``),
    and a relative one that starts with ``-`` is written ``./-x``, which mkdir cannot take for an option."""
    import shlex

    from mediaproc.i18n import _

    text = str(folder)
    if text.startswith("-"):
        text = "./" + text
    return UsageError(
        _("the destination folder {folder} does not exist").format(folder=folder),
        hint=_("create it first (mkdir -p {folder})").format(folder=shlex.quote(text)),
    )


# The machine's own refusals: a full or read-only disk, a failing device, a quota. They are not bugs, so
# they are not reported as one ("this is a bug in mediaproc; ... report the traceback"); the exit code
# stays 1 (nothing in the table fits better: not usage, not the service).
_SYSTEM_ERRNOS = frozenset({"ENOSPC", "EDQUOT", "EROFS", "EIO", "EFBIG"})


def system_error(exc: BaseException) -> MediaprocError | None:
    """``exc`` as a one-line error with a hint when the machine refused a read or write (disk full,
    read-only file system, I/O error, quota, file too large); None for anything else."""
    import errno as errno_names

    if not isinstance(exc, OSError) or errno_names.errorcode.get(exc.errno or 0) not in _SYSTEM_ERRNOS:
        return None
    from mediaproc.i18n import _

    reason = exc.strerror or str(exc)
    where = exc.filename if isinstance(exc.filename, str) else None
    message = _("the system failed a read or write: {reason} ({path})").format(reason=reason, path=where) if where \
        else _("the system failed a read or write: {reason}").format(reason=reason)
    return MediaprocError(message, hint=_("free some space, or write to another disk or destination"),
                          code="SystemError")



def system_error_in_text(text: str) -> MediaprocError | None:
    """:func:`system_error` for a library that reports the machine's refusal as text, without an errno:
    libvips ends a failed write with "unix error: No space left on device", and its error became
    "cannot process image a.jpg: ..." with a hint to check the source image, on every item of a batch
    that filled the disk. The C library's wording (``os.strerror``) is what libvips quotes."""
    import errno as errno_names
    import os

    for name in sorted(_SYSTEM_ERRNOS):
        code = getattr(errno_names, name, None)
        if code is not None and os.strerror(code) in text:
            return system_error(OSError(code, os.strerror(code)))
    return None

def missing_source(path: PurePath | str) -> MediaprocError:
    """The one error for a local source file that is not there (every provider stages local files:
    local, OSS, COS, ``cos process``, ``upload``). ``-`` gets its own words: mediaproc writes results
    to stdout (``--to -``) but reads no source from stdin, and "- does not exist, check the path" did
    not say so (exit 2: a usage, not a missing file)."""
    from pathlib import Path

    from mediaproc.i18n import _

    if str(path) == "-":
        return UsageError(_("a source cannot be read from stdin (-)"),
                        hint=_("save the input to a file first and name that file"))
    return NotFound(
        _("source {path} does not exist").format(path=path),
        hint=_("check the path (relative paths start in {cwd})").format(cwd=Path.cwd()),
    )


def bucket_not_bound(bucket: str) -> ConfigError:
    """The one error for an OSS bucket without an IMM project (exit 3, ``BucketNotBound``): the provider
    raises it before media or intelligent processing, ``imm check`` when it finds no binding."""
    import shlex

    from mediaproc.i18n import _

    return ConfigError(
        _("bucket {bucket!r} is not bound to an IMM project").format(bucket=bucket),
        hint=_(
            "run `mediaproc imm setup --bucket {bucket}` once (video, audio and intelligent "
            "image operations need the binding)"
        ).format(bucket=shlex.quote(bucket)),
        code="BucketNotBound",
    )
