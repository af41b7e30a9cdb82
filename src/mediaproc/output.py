"""The only module that prints.

One :class:`Output` object owns the terminal (the hatch way): results go to stdout (a rich table for
people, exactly one JSON document with ``--json``), everything else — progress, warnings, errors,
notes — goes to stderr. rich is imported only when something is rendered, so ``--help`` and
completion stay fast.

Why one file: "only output.py prints" is the house rule a reader checks with one grep; the
renderers (result tables, the listing writers for terminal, pipe and ``--json``, progress) share the
streams, the lock and the one-document-on-stdout bookkeeping, so splitting them would scatter exactly
what this module exists to keep in one place.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from mediaproc import TYPE_CHECKING
from mediaproc.errors import BatchInterrupted, MediaprocError
from mediaproc.hygiene import human_size, redact, redact_url
from mediaproc.i18n import N_, _, ngettext, plain
from mediaproc.progress import ProgressCallback, ProgressEvent
from mediaproc.record import Record, field

if TYPE_CHECKING:
    from typing import IO, Any, Literal, TypeVar

    from rich.console import Console

    from mediaproc.results import ProcessResult
    from mediaproc.services.run import RunOutcome

    T = TypeVar("T")


def _same(row: Sequence[Any]) -> Sequence[Any]:
    return row


def _pending(status: str | None) -> bool:
    """Whether a job in ``status`` has not ended: shown as submitted, never as completed. The job
    model is imported here, not at the top: a plain one-shot run has no job."""
    from mediaproc.jobs import JobState

    return any(status == state.value for state in JobState if not state.done)


def _is_ci() -> bool:
    return bool(os.environ.get("CI"))


def to_json(payload: Any) -> str:
    """The JSON text of a payload; messages in it are written in English whatever the language, so
    machine output never changes with ``--lang``."""
    return json.dumps(plain(payload), ensure_ascii=False, indent=2, sort_keys=False, default=str)


# Progress labels callers pass as plain strings; listed so the catalogue has them.
PROGRESS_LABELS = (N_("processing"), N_("batch"), N_("upload"), N_("download"), N_("fetch"), N_("copy"),
                   N_("move"), N_("delete"))
SUMMARY_NAMES = 10  # items named per group in a Ctrl-C summary on stderr


# Wide enough that no path or URL is folded: tables are as wide as their content (never expanded).
UNWRAPPED = 100_000


def _is_terminal(stream: IO[str]) -> bool:
    """Whether ``stream`` is a terminal; a stream without ``isatty`` or a closed one is not."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _unwrapped_width(stream: IO[str]) -> int | None:
    """No width limit when ``stream`` is not a terminal (a pipe, a CI log, a file) and ``COLUMNS`` does
    not set one: rich would fold a table's values at 80 columns there, and a path split across two
    lines can be neither pasted nor grepped. A terminal keeps its own width (None: rich asks it)."""
    return None if _is_terminal(stream) or os.environ.get("COLUMNS") else UNWRAPPED


class Output(Record, frozen=False):
    """Renders results, data, progress and errors according to the user's output settings."""

    json_mode: bool = False
    quiet: bool = False
    progress_enabled: bool = True
    debug: bool = False
    stdout: IO[str] | None = None
    stderr: IO[str] | None = None
    _err_console: Console | None = field(default=None, init=False, repr=False)
    _out_console: Console | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    # Set once stdout holds the run's JSON document: a later error goes to stderr only.
    document_written: bool = field(default=False, init=False)
    # A JSON array a mediaproc error stopped: :meth:`error` ends it with that error's element.
    _open_array: _JsonArrayWriter | None = field(default=None, init=False, repr=False)
    _stdout_is_data: bool = field(default=False, init=False, repr=False)

    # -- streams ----------------------------------------------------------------------------
    @property
    def out(self) -> IO[str]:
        """Where results go: stdout, or stderr once stdout carries a result's bytes (``--to -``)."""
        if self._stdout_is_data:
            return self.err
        return self.stdout or sys.stdout

    def claim_stdout(self) -> None:
        """``--to -``: stdout is for the result's bytes (:meth:`write_file`) only; every other
        output, the result summary and ``--json`` included, goes to stderr from now on."""
        self._stdout_is_data = True
        self._out_console = None

    def write_file(self, path: Path) -> None:
        """The bytes of ``path`` on stdout (``--to -``), as they are."""
        stream = self.stdout or sys.stdout
        stream.flush()
        binary: IO[bytes] = getattr(stream, "buffer", None) or sys.stdout.buffer
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                binary.write(chunk)
        binary.flush()

    @property
    def err(self) -> IO[str]:
        return self.stderr or sys.stderr

    def _console(self, stream: str) -> Console:
        from rich.console import Console

        if stream == "err":
            if self._err_console is None:
                self._err_console = Console(file=self.err, stderr=True, highlight=False, soft_wrap=True,
                                            width=_unwrapped_width(self.err))
            return self._err_console
        if self._out_console is None:
            self._out_console = Console(file=self.out, highlight=False, soft_wrap=True,
                                        width=_unwrapped_width(self.out))
        return self._out_console

    @property
    def interactive(self) -> bool:
        """A live progress bar only on a real terminal outside CI."""
        return _is_terminal(self.err) and not _is_ci()

    # -- results ----------------------------------------------------------------------------
    def outcome(self, outcome: RunOutcome) -> None:
        """What ``services.run.run_chain`` did; the caller raises ``outcome.error`` afterwards."""
        if outcome.kind == "dry-run":
            self.dry_run(outcome.result)
        elif outcome.kind == "batch" and outcome.streamed:
            self.batch_failures(outcome.results)  # the report was written as the items finished
        elif outcome.kind == "batch":
            self.batch(outcome.results)
        else:
            self.result(outcome.result)

    def result(self, result: ProcessResult) -> None:
        if self.json_mode:
            self.json(result.to_dict())
            return
        if result.mode == "url" and result.url:
            # The signed URL is what the user asked for: bare on stdout, nothing else there.
            self.out.write(result.url + "\n")
            self.out.flush()
            self._result_table(result, to=self.err)
            return
        if result.mode == "data" and result.data is not None:
            self.json(result.data)
            if result.warnings:
                for w in result.warnings:
                    self.warn(w)
            return
        self._result_table(result)

    def results(self, results: Sequence[ProcessResult]) -> None:
        if self.json_mode:
            self.json([r.to_dict() for r in results])
            return
        for r in results:
            self._result_table(r)

    def batch(self, results: Iterable[ProcessResult]) -> None:
        """A whole batch at once (results already collected): the report, then the failures."""
        failed: list[ProcessResult] = []
        with self.batch_report() as emit:
            for r in results:
                emit(r)
                if not r.success:
                    failed.append(r)
        self.batch_failures(failed)

    @contextmanager
    def batch_report(self) -> Iterator[Callable[[ProcessResult], None]]:
        """The per-item batch report, one item at a time as items finish: ``emit(result)``.

        A JSON array element (the item's result document), a TSV line ``status  source  output
        detail`` (detail: the size in bytes, the error message, or the JSON document of an info or
        detection item that has no file) on a pipe, an aligned line on a
        terminal; nothing on stdout with ``--quiet`` (the failures still go to stderr). Nothing is
        kept, so a batch's memory does not grow with its item count."""
        if self.quiet and not self.json_mode:
            yield _ignore_result
            return
        columns = [_("status"), _("source"), _("output"), _("detail")]
        with self.listing(columns, terminal="lines") as add:
            tty = self.stdout_is_terminal

            def emit(r: ProcessResult) -> None:
                if self.json_mode:
                    add((), r.to_dict())
                    return
                status = r.status if r.status in ("skipped", "dry-run") else ("ok" if r.success else "failed")
                if not r.success:
                    detail: Any = (r.error or {}).get("message")
                elif r.data is not None and r.path is None:  # info, detection without --to: the document itself
                    detail = json.dumps(r.data, ensure_ascii=False, separators=(",", ":"))
                elif r.size is None:
                    detail = ""
                else:
                    detail = _human_size(r.size) if tty else r.size
                add((status, r.source, r.path or r.target or "", detail))

            yield emit

    def batch_failures(self, failed: Iterable[ProcessResult]) -> None:
        """The failed items again on stderr, after the report (they scroll away in a long one)."""
        for r in failed:
            err = r.error or {}
            self._line(_("failed: {source}: {message}").format(source=r.source, message=err.get("message")))

    def _result_table(self, r: ProcessResult, to: IO[str] | None = None) -> None:
        if self.quiet and to is None:
            # quiet: what was written alone, one per line, so scripts can capture it
            for name in _written_names(r):
                self.out.write(f"{name}\n")
            return
        if self.quiet:
            return
        from rich.table import Table
        from rich.text import Text

        if _pending(r.status):  # submitted and not waited for: the state the service reported
            ok = _("⏳ submitted")
        else:
            ok = _("✅ completed") if r.success else _("❌ failed")
        table = Table(show_header=False, box=None, pad_edge=False)
        table.add_column(style="bold")
        table.add_column(overflow="fold")
        rows: list[tuple[str, Any]] = [
            (_("Status"), (r.status and f"{ok} ({r.status})") or ok),
            (_("Provider"), r.provider),
            (_("Request ID"), r.request_id),
            (_("Task ID"), r.task_id),
            (_("Source"), r.source),
            (_("Output"), r.path or r.target),
            (_("Signed URL"), redact_url(r.url) if r.url else None),
            (_("Operations"), r.operations),
            (_("Dimensions"), f"{r.width}x{r.height}" if r.width and r.height else None),
            (_("Format"), r.format),
            (_("File size"), _human_size(r.size) if r.size is not None else None),
            (_("Files"), "\n".join(r.generated_keys) if r.generated_keys else None),
            (_("Elapsed"), f"{r.elapsed_seconds:.2f} s" if r.elapsed_seconds is not None else None),
        ]
        if r.verified:
            rows.extend(_verified_rows(r.verified))
        for label, value in rows:
            if value not in (None, ""):
                table.add_row(label, Text(str(value)))  # Text: a name like "clip [v2].mp4" is no markup
        console = self._console("err") if to is not None else self._console("out")
        console.print(table)
        for w in r.warnings:
            self.warn(w)

    def dry_run(self, result: ProcessResult) -> None:
        """The request that would be sent: the request line and body as text, or the JSON document."""
        if self.json_mode:
            self.json(result.to_dict())
            return
        data = result.data if isinstance(result.data, dict) else {}
        if "request_line" in data:
            bucket = data.get("bucket")
            self.text(data["request_line"] + (f"    (bucket {bucket})" if bucket else ""))
        if data.get("body"):
            self.text(data["body"])
        for key in ("upload", "download"):
            step = data.get(key)
            if isinstance(step, dict) and not self.quiet:
                self._line(f"{key}: " + ", ".join(f"{k} {v}" for k, v in step.items()))
        for w in result.warnings:
            self.warn(w)

    def json(self, payload: Any) -> None:
        """Exactly one JSON document on stdout."""
        self.out.write(to_json(payload) + "\n")
        self.out.flush()
        self.document_written = True

    def text(self, text: str) -> None:
        """Plain result text on stdout (e.g. a dry-run request line)."""
        self.out.write(text if text.endswith("\n") else text + "\n")
        self.out.flush()

    def table(
        self, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, title: str | None = None
    ) -> None:
        """A listing on stdout, written as the rows arrive (see :meth:`listing`); with ``--json`` each
        row is an object keyed by ``columns``."""
        self.items(rows, columns, row=_same, title=title)

    def items(
        self,
        items: Iterable[T],
        columns: Sequence[str],
        *,
        row: Callable[[T], Sequence[Any]],
        doc: Callable[[T], Any] | None = None,
        title: str | None = None,
    ) -> None:
        """A listing of ``items`` on stdout, written as they arrive (see :meth:`listing`): ``row(item)``
        for the table and the TSV line, ``doc(item)`` for the JSON array's element (default: the row
        keyed by ``columns``)."""
        with self.listing(columns, title=title) as add:
            for item in items:
                add(row(item), None if doc is None else doc(item))

    @contextmanager
    def listing(
        self,
        columns: Sequence[str],
        *,
        title: str | None = None,
        terminal: Literal["table", "lines"] = "table",
    ) -> Iterator[Callable[..., None]]:
        """The one listing writer: yields ``add(row, doc=None)`` and picks how rows are written.

        - ``--json``: one JSON array, each element written as it is added (``doc``, or the row as an
          object keyed by ``columns``). If the block fails after the first element, the array ends
          with ``{"error": {...}}`` as its last element, so stdout stays one valid document: at once
          for an unexpected exception, and for a mediaproc error when :meth:`error` renders it (the
          entry point's next step), so the element is the error as finally rendered.
        - stdout not a terminal: one tab-separated line per row, no header, flushed as rows come
          (:func:`tsv_line` escapes tab, newline, CR and backslash), so ``grep``/``cut``/``head``
          work on any key.
        - a terminal: a rich table at the end (``terminal="table"``), or one aligned line per row as
          it comes (``terminal="lines"``: a batch report, whose rows must not pile up in memory).
        """
        writer: _RowWriter
        if self.json_mode:
            writer = _JsonArrayWriter(self, columns)
        elif self.stdout_is_terminal:
            writer = _TableWriter(self, columns, title) if terminal == "table" else _LineWriter(self)
        else:
            writer = _TsvWriter(self)
        try:
            yield writer.add
        except BaseException as exc:
            writer.fail(exc)
            raise
        writer.close()

    @property
    def stdout_is_terminal(self) -> bool:
        """Rich tables only for people: a pipe or a file gets plain lines."""
        return _is_terminal(self.out)

    # -- messages on stderr ---------------------------------------------------------------
    def warn(self, message: str) -> None:
        if not self.quiet:
            self._line(_("Warning: {message}").format(message=message))

    def note(self, message: str) -> None:
        if not self.quiet:
            self._line(message)

    def error(self, exc: MediaprocError) -> None:
        """One line and a hint on stderr (always, even with --quiet); a JSON document with --json."""
        self._line(_("Error: {message}").format(message=exc.message))
        if isinstance(exc, BatchInterrupted):
            self._interrupted_summary(exc)
        if exc.hint:
            self._line(_("Hint: {hint}").format(hint=exc.hint))
        if exc.task_id:
            self._line(_("Task ID: {task_id}").format(task_id=exc.task_id))
        if exc.request_id:  # what the hints send the user to support with
            self._line(_("request id: {request_id}").format(request_id=exc.request_id))
        if self._open_array is not None:  # a listing or report this error stopped part way
            array, self._open_array = self._open_array, None
            array.end_with(exc.to_dict())
        elif self.json_mode and not getattr(exc, "rendered", False) and not self.document_written:
            self.json({"success": False, "error": exc.to_dict()})

    def can_ask(self) -> bool:
        """Whether a question can be answered: stdin is a terminal (never under ``--json``)."""
        return _is_terminal(sys.stdin) and not self.json_mode

    def confirm_delete(self, names: Sequence[str]) -> bool:
        """``rm -r`` on a terminal: every object it would delete, then a yes/no question (no by default)."""
        for name in names:
            self._line(f"  {name}")
        question = ngettext("Delete {n} object? [y/N] ", "Delete these {n} objects? [y/N] ", len(names))
        self.err.write(question.format(n=len(names)))
        self.err.flush()
        answer = sys.stdin.readline().strip().lower()
        return answer in ("y", "yes", _("y"), _("yes"))

    def _interrupted_summary(self, exc: BatchInterrupted) -> None:
        """What a Ctrl-C left (DESIGN.md's policy): each group of items, the first few by name (the
        ``--json`` error object has them all), and the command that resumes."""
        groups = ((_("finished"), exc.finished, exc.finished_more), (_("failed"), exc.failed, 0),
                  (_("stopped"), exc.stopped, 0), (_("not started"), exc.not_started, exc.not_started_more))
        for label, names, uncounted in groups:
            if names or uncounted:
                shown = ", ".join(names[:SUMMARY_NAMES])
                more = len(names) + uncounted - len(names[:SUMMARY_NAMES])
                if more > 0 and shown:
                    shown += " " + _("and {n} more").format(n=more)
                self._line(f"  {label} ({len(names) + uncounted})" + (f": {shown}" if shown else ""))
        if exc.task_ids:
            self._line(_("  cloud task ids submitted ({n}): {ids}").format(
                n=len(exc.task_ids), ids=", ".join(exc.task_ids)))
        if exc.resume_command:
            self._line(_("Resume: {command}").format(command=exc.resume_command))

    def unexpected(self, exc: BaseException) -> None:
        if self.debug:
            import traceback

            self.err.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
        self._line(_("Error: unexpected {kind}: {message}").format(kind=type(exc).__name__, message=exc))
        self._line(_("Hint: this is a bug in mediaproc; run again with --debug and report the traceback"))
        if self.json_mode and not self.document_written:
            self.json({"success": False, "error": _unexpected_error(exc)})

    def log_to_stderr(self, loggers: Sequence[str], level: int = 20) -> None:  # 20: logging.INFO
        """Print the records of ``loggers`` (a long-running command's: ``serve``'s access log and
        errors) one line each on stderr, redacted: an access-log line holds the request's query, which
        for a signed URL is a credential."""
        import logging  # serve's logs only: a one-shot run imports no logging

        output = self

        class _Lines(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                try:
                    text = redact(self.format(record))
                except Exception:
                    self.handleError(record)
                    return
                output._line(text)

        handler = _Lines(level)
        handler.setFormatter(logging.Formatter("%(message)s"))
        for name in loggers:
            logger = logging.getLogger(name)
            logger.addHandler(handler)
            logger.setLevel(level)

    def _line(self, text: str) -> None:
        with self._lock:
            self.err.write(text + "\n")
            self.err.flush()

    # -- progress ---------------------------------------------------------------------------
    @contextmanager
    def progress(self, label: str) -> Iterator[ProgressCallback]:
        """A progress callback: a rich bar on a terminal, periodic plain lines otherwise, none with quiet."""
        if self.quiet or not self.progress_enabled:
            yield _ignore
            return
        label = _(label)
        if self.interactive:
            with self._rich_progress(label) as cb:
                yield cb
            return
        yield _PlainProgress(self, label)

    @contextmanager
    def _rich_progress(self, label: str) -> Iterator[ProgressCallback]:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        columns: list[Any] = [
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        ]
        with Progress(*columns, console=self._console("err"), transient=False) as bar:
            task = bar.add_task(label, total=None)
            shown_bytes = shown_rate = False

            def update(event: ProgressEvent) -> None:
                nonlocal shown_bytes, shown_rate
                if event.unit == "bytes" and not shown_bytes:
                    bar.columns = (*bar.columns, DownloadColumn())
                    shown_bytes = True
                if event.unit == "items" and not shown_rate:
                    bar.columns = (*bar.columns, _item_rate_column())
                    shown_rate = True
                desc = f"{label} {event.label}".strip() if event.label else label
                bar.update(task, completed=event.completed, total=event.total, description=desc)

            yield update


def _verified_rows(v: dict[str, Any]) -> list[tuple[str, Any]]:
    """The read-back check beside the request: one row per property, a mark where it differs."""
    from mediaproc.services.verify import LABELS, describe

    if v.get("error"):
        return [(_("Verified"), _("not verified: {reason}").format(reason=v["error"].get("message")))]
    rows: list[tuple[str, Any]] = [(_("Verified"), f"{v.get('object')} ({v.get('method')})")]
    found: dict[str, Any] = dict(v.get("found") or {})
    requested: dict[str, Any] = dict(v.get("requested") or {})
    differs = {d["property"]: d for d in v.get("differences") or []}
    for prop in [*found, *(p for p in requested if p not in found)]:
        if prop in ("video", "audio") and prop not in requested:
            continue
        shown = differs[prop]["found"] if prop in differs else found.get(prop)
        if prop not in found and prop not in differs:
            shown = _derived(prop, found)
        text = describe(prop, shown) if shown is not None else "-"
        if prop in differs:
            text = _("{found}  ✗ requested {requested}").format(
                found=text, requested=describe(prop, requested[prop]))
        elif prop in requested:
            text = f"{text}  ✓"
        rows.append(("  " + _(LABELS.get(prop, prop)), text))
    return rows


def _derived(prop: str, found: dict[str, Any]) -> Any:
    w, h = found.get("width"), found.get("height")
    if w is None or h is None:
        return None
    return {"fit": [w, h], "cover": [w, h], "long_side": max(w, h), "short_side": min(w, h)}.get(prop)


def _item_rate_column() -> Any:
    from rich.progress import ProgressColumn
    from rich.text import Text

    class ItemRate(ProgressColumn):
        """Items per second, for batches (rich's own speed column assumes bytes)."""

        def render(self, task: Any) -> Text:
            speed = task.finished_speed or task.speed
            return Text("" if speed is None else f"{speed:.1f}/s", style="progress.data.speed")

    return ItemRate()


def _ignore(event: ProgressEvent) -> None:
    return None


def _ignore_result(result: ProcessResult) -> None:
    return None


class _PlainProgress:
    """Periodic lines like ``transcode: 42% (ETA 12 s)`` for logs: at most one per second or 5 %."""

    MIN_INTERVAL = 1.0
    MIN_STEP = 5.0

    def __init__(self, output: Output, label: str) -> None:
        self.output = output
        self.label = label
        self.start = time.monotonic()
        self.last_time = 0.0
        self.last_pct = -100.0

    def __call__(self, event: ProgressEvent) -> None:
        now = time.monotonic()
        frac = event.fraction
        if frac is None:
            if now - self.last_time >= self.MIN_INTERVAL * 5:
                self.last_time = now
                self.output._line(f"{self.label}: {_human_amount(event)}")
            return
        pct = frac * 100.0
        done = pct >= 100.0 and self.last_pct < 100.0
        if not done and (now - self.last_time < self.MIN_INTERVAL or pct - self.last_pct < self.MIN_STEP):
            return
        self.last_time, self.last_pct = now, pct
        elapsed = now - self.start
        eta = ""
        if 0 < frac < 1 and elapsed > 0.5:
            eta = " " + _("(ETA {seconds} s)").format(seconds=round(elapsed * (1 - frac) / frac))
        detail = ""
        if event.unit == "items" and event.total:
            rate = event.completed / elapsed if elapsed > 0 else 0.0
            detail = f" {event.completed:g}/{event.total:g}, {rate:.1f}/s" + (f", {event.label}" if event.label else "")
        self.output._line(f"{self.label}: {pct:.0f}%{detail}{eta}")


def _human_amount(event: ProgressEvent) -> str:
    if event.unit == "bytes":
        return _human_size(int(event.completed))
    return f"{event.completed:g} {event.unit}"


def _written_names(r: ProcessResult) -> list[str]:
    """What ``--quiet`` prints of a result: its output, or every file or object of a run that wrote several
    (a snapshots run: its path is only the first), cloud keys as ``oss://BUCKET/KEY`` like the target."""
    scheme, sep, rest = (r.target or "").partition("://")
    cloud = bool(sep) and scheme in ("oss", "cos")
    # one object saved under a cloud prefix (a snapshots run that made one frame) is that object, not the prefix
    saved_one = cloud and r.mode == "save" and r.status != "queued" and len(r.generated_keys) == 1
    if len(r.generated_keys) > 1 or saved_one:
        if cloud:
            bucket = rest.split("/", 1)[0]
            return [f"{scheme}://{bucket}/{key}" for key in r.generated_keys]
        return list(r.generated_keys)
    named = r.path or r.target
    return [named] if named else []


def _human_size(n: int) -> str:
    """The one size format (:func:`mediaproc.hygiene.human_size`), with the exact count beside it."""
    shown = human_size(n)
    return shown if shown.endswith(" B") else f"{shown} ({n} B)"


_ISO_DAYS: dict[int, str] = {}  # day number -> "YYYY-MM-DD": a listing spans few days
_iso_last: tuple[int, str] = (-1, "")  # the last (second, text), replaced as one value


def iso_utc(ts: float | None) -> str | None:
    """A POSIX time as ISO 8601 UTC to the second (``2026-12-07T12:00:00Z``): the one timestamp
    format of listings, for people, pipes and JSON alike. The date part is cached per day, the
    time of day is arithmetic: a 20,000-key listing formats 20,000 of these."""
    global _iso_last
    if not ts:
        return None
    whole = int(ts)
    last = _iso_last
    if whole == last[0]:  # objects written together share their second
        return last[1]
    day, second = divmod(whole, 86400)
    date = _ISO_DAYS.get(day)
    if date is None:
        date = _ISO_DAYS[day] = time.strftime("%Y-%m-%d", time.gmtime(day * 86400))
    hour, rest = divmod(second, 3600)
    text = f"{date}T{hour:02d}:{rest // 60:02d}:{rest % 60:02d}Z"
    _iso_last = (whole, text)
    return text


def _unexpected_error(exc: BaseException) -> dict[str, Any]:
    """The ``error`` object for an exception that is not a :class:`MediaprocError`."""
    if isinstance(exc, KeyboardInterrupt):
        return {"code": "Interrupted", "message": "interrupted", "hint": None}
    return {"code": "Unexpected", "message": str(exc), "hint": None}


_TSV_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


@cache
def _line_special() -> Callable[[str], re.Match[str] | None]:
    """The search for what a line must escape, compiled for the first listing, not on every start."""
    return re.compile(r"[\\\n\r]").search


def tsv_line(row: Sequence[Any]) -> str:
    """One item's line: its cells joined by tabs, ``None`` as an empty cell. Inside a cell a
    backslash, tab, newline or CR is written ``\\\\``, ``\\t``, ``\\n``, ``\\r`` (README
    "Scripting"), so every item stays on one line and splits on tabs. The whole line is checked once
    (a tab count and one search): only a line with something to escape is escaped cell by cell."""
    cells = ["" if v is None else v if isinstance(v, str) else str(v) for v in row]
    line = "\t".join(cells)
    if line.count("\t") != len(cells) - 1 or _line_special()(line):
        line = "\t".join([c.translate(_TSV_ESCAPES) for c in cells])
    return line + "\n"


class _RowWriter:
    """How one listing is written; :meth:`Output.listing` picks the subclass."""

    def add(self, row: Sequence[Any], doc: Any = None) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """The listing ended normally."""

    def fail(self, exc: BaseException) -> None:
        """The listing ended with ``exc`` (raised again by the caller)."""
        self.close()


class _TsvWriter(_RowWriter):
    """Plain lines for pipes. A line is flushed at once when rows come slowly (a reader sees each
    item as it arrives); when they come fast (a listing page at a time) the stream's own buffer
    gathers them, and they are flushed at least every 50 ms: 20,000 keys are not 20,000 writes."""

    FLUSH_SECONDS = 0.05

    def __init__(self, output: Output) -> None:
        self.out = output.out
        self.last_flush = 0.0

    def add(self, row: Sequence[Any], doc: Any = None) -> None:
        self.out.write(tsv_line(row))
        now = time.monotonic()
        if now - self.last_flush >= self.FLUSH_SECONDS:
            self.out.flush()
            self.last_flush = now

    def close(self) -> None:
        self.out.flush()


class _JsonArrayWriter(_RowWriter):
    """One JSON array written element by element; an error ends it with an error element."""

    def __init__(self, output: Output, columns: Sequence[str]) -> None:
        self.output = output
        self.out = output.out
        self.keys = [plain(c) for c in columns]
        self.started = False

    def _element(self, payload: Any) -> None:
        text = json.dumps(plain(payload), ensure_ascii=False, default=str)
        self.out.write((",\n" if self.started else "[\n") + text)
        self.started = True

    def add(self, row: Sequence[Any], doc: Any = None) -> None:
        self._element(doc if doc is not None else dict(zip(self.keys, row, strict=False)))
        self.out.flush()

    def close(self) -> None:
        self.out.write("\n]\n" if self.started else "[]\n")
        self.out.flush()
        self.output.document_written = True

    def fail(self, exc: BaseException) -> None:
        if not self.started:
            return  # nothing written yet: the entry point prints the error document
        if isinstance(exc, MediaprocError):
            # Ended by Output.error, which the entry point calls next: by then the error is complete
            # (an interrupted batch's resume command is added where the command line is known).
            self.output._open_array = self
            return
        self.end_with(_unexpected_error(exc))

    def end_with(self, error: dict[str, Any]) -> None:
        """The error element, last in the array, and the array's end."""
        self._element({"error": error})
        self.close()


class _TableWriter(_RowWriter):
    """A rich table for a terminal, printed when the listing ends (also when it fails part way)."""

    def __init__(self, output: Output, columns: Sequence[str], title: str | None) -> None:
        self.output = output
        self.columns = columns
        self.title = title
        self.rows: list[list[str]] = []

    def add(self, row: Sequence[Any], doc: Any = None) -> None:
        self.rows.append(["" if v is None else str(v) for v in row])

    def close(self) -> None:
        from rich.table import Table
        from rich.text import Text

        table = Table(title=self.title, show_lines=False, header_style="bold")
        for c in self.columns:
            table.add_column(c, overflow="fold")
        for row in self.rows:
            table.add_row(*(Text(cell) for cell in row))  # a key like "photo [1].jpg" is text, not markup
        self.output._console("out").print(table)


class _LineWriter(_RowWriter):
    """One line per row on a terminal, as rows come (below a live progress bar, rich prints them above it)."""

    def __init__(self, output: Output) -> None:
        self.output = output

    def add(self, row: Sequence[Any], doc: Any = None) -> None:
        cells = ["" if v is None else str(v) for v in row]
        self.output.out.write("  ".join(c for c in cells if c) + "\n")
        self.output.out.flush()
