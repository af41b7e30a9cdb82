"""Batch mode: a prefix, folder or glob as the source, one result per item, never a false "success".

Items stream from the provider's listing or folder walk, each mapped to its destination under the
destination folder or prefix as it comes (keys that would escape it are refused, not processed), and
run with bounded concurrency: one provider per worker thread, one progress bar for the whole batch.
No list of the items is built and only failures are kept, so memory does not grow with the batch.
Ctrl-C stops submitting new items, asks in-flight ones to cancel, and waits for them, so nothing is
left half-written.

A batch of many large local items runs in worker processes (:func:`_local_pool`), not threads: the
Python around each item (parsing, probing, Pillow's decode set-up, writing) holds the GIL, so two
threads on two cores reached only ~1.25x one core (``benchmarks/local_batch.py`` measures the default
beside a single-core baseline).

Why one file: the item stream (:func:`expand`), the item's work and the engine (:func:`run_items`)
share :class:`BatchItem`, the failure report (:func:`_failure`) and the Ctrl-C policy; the engine
split out would import the items and the items' runner would import the engine, a circle.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from mediaproc.addressing import choose_provider, parse_location
from mediaproc.atomic import TEMP_NAME_PREFIX
from mediaproc.config import Settings
from mediaproc.errors import BatchInterrupted, Interrupted, MediaprocError, UsageError
from mediaproc.i18n import _, ngettext
from mediaproc.location import TEMP_PREFIX, Location
from mediaproc.ops.model import Chain, Op, Produces
from mediaproc.progress import ProgressCallback, ProgressEvent
from mediaproc.providers.base import ProcessRequest, Provider
from mediaproc.record import replace
from mediaproc.results import ProcessResult
from mediaproc.services.sourcekind import GLOB_CHARS, has_wildcards, key_pattern, own_destination_check

if TYPE_CHECKING:  # concurrent.futures is imported when a batch runs, not for every one-shot run
    from concurrent.futures import Executor, Future

DEFAULT_CLOUD_CONCURRENCY = 16


@dataclass(frozen=True)
class BatchItem:
    """One item of a batch: its source, destination and path relative to the batch's root."""

    source: Location
    destination: Location | None
    relative: str
    problem: MediaprocError | None = None  # refused before processing (e.g. an escaping key)


def default_concurrency(provider: str, settings: Settings) -> int:
    if settings.concurrency:
        return settings.concurrency
    if provider == "local":
        return max(1, os.cpu_count() or 1)  # CPU-bound: one item per core
    return DEFAULT_CLOUD_CONCURRENCY  # I/O-bound: latency dominates


def split_pattern(key: str, *, literal: bool = False) -> tuple[str, str | None]:
    """``in/2024/*.jpg`` -> (prefix ``in/2024/``, pattern); ``in/`` -> (``in/``, None).

    ``literal`` (the key exists as written, or ``--literal``) reads wildcard characters as themselves:
    ``shots [1]/`` -> (``shots [1]/``, None)."""
    first = None if literal else min((key.index(c) for c in GLOB_CHARS if c in key), default=None)
    if first is None:
        return (key if key.endswith("/") or not key else key + "/"), None
    prefix = key[:first].rsplit("/", 1)[0] + "/" if "/" in key[:first] else ""
    return prefix, key


def unsafe_relative(rel: str) -> str | None:
    """Why a key cannot become a local path below the destination (None when it can)."""
    if "\x00" in rel:
        return _("it contains a NUL byte")
    if "\\" in rel:
        return _("it contains a backslash")
    if rel.startswith("/") or (len(rel) > 1 and rel[1] == ":"):
        return _("it is an absolute path")
    parts = PurePosixPath(rel).parts
    if any(p == ".." for p in parts):
        return _("it climbs out of the destination with '..'")
    if not rel or rel.endswith("/"):
        return _("it names a folder, not a file")
    return None


def map_extension(rel: str, chain: Chain) -> str:
    """An item's name under the destination folder: the one naming rule of a folder destination
    (``ops.destination.result_name``)."""
    from mediaproc.ops.destination import result_name

    return result_name(rel, chain)


def expand(
    settings: Settings, source: str, to: str | None, chain: Chain, provider: Provider
) -> Iterator[BatchItem]:
    """Every item of the batch, one at a time, as the listing or folder walk yields it: its
    destination mapped and an escaping key refused per item, nothing kept, so a batch of a million
    items holds no list of them (peak RSS stays flat in the item count; ``benchmarks/batch_memory.py``).

    The usage errors (no destination) are raised at the call, before any listing."""
    src = parse_location(source, settings, role="source")
    if to is None and chain.produces is not Produces.JSON:
        raise UsageError(
            _("a batch writes one result per item, but no destination folder was given"),
            hint=_("add --to FOLDER/ (or --to oss://BUCKET/PREFIX/)"),
        )
    dest_root = parse_location(to, settings, role="destination") if to else None
    if dest_root is not None and dest_root.is_local and dest_root.path is not None:
        check_folder_destination(dest_root.path, "process")
    return _items(src, dest_root, chain, provider, settings.literal)


def check_folder_destination(root: Path, command: str) -> None:
    """Refuse, before any item, a local destination folder that is a file: the batch writers of
    ``process``, ``upload -r`` and ``download -r`` all write into a folder. Without it every item
    failed on its own (a bare "FileExistsError", exit 8, "run again with --skip-existing")."""
    if root.exists() and not root.is_dir():
        raise UsageError(_("{path} is a file, not a folder").format(path=root),
                         hint=_("{command} writes one file per item into a folder; name one (it is created if "
                                "missing)").format(command=command))


def _items(src: Location, dest_root: Location | None, chain: Chain, provider: Provider,
           literal: bool) -> Iterator[BatchItem]:
    own = own_destination_check(dest_root)
    for src_loc, rel in _list_sources(src, provider, literal):
        if own(src_loc, rel):
            continue
        rel = map_extension(rel, chain)
        problem = unsafe_relative(rel)
        if problem is not None:
            err = UsageError(
                _("refused key {key!r}: {why}").format(key=rel, why=problem),
                hint=_("rename the object; mediaproc never writes outside the destination folder"),
            )
            yield BatchItem(src_loc, None, rel, err)
            continue
        yield BatchItem(src_loc, item_destination(dest_root, rel), rel)


def survey(items: Iterable[BatchItem]) -> tuple[int, int]:
    """(how many items, how many bytes of local sources) from a counting pass that keeps nothing:
    the progress bar's total and the thread-or-process choice, without a list of the items. A cloud
    source is listed twice (one LIST per 1,000 keys, cheap beside one request per item); the run's
    own count sets the bar's total at the end should the listing have changed in between."""
    count = size = 0
    for item in items:
        count += 1
        path = item.source.path
        if path is not None:
            with suppress(OSError):
                size += path.stat().st_size
    return count, size


def item_destination(root: Location | None, rel: str) -> Location | None:
    """Where the item ``rel`` goes under the destination folder or prefix ``root``."""
    if root is None:
        return None
    if root.is_local and root.path is not None:
        return Location(scheme="file", path=root.path / rel)
    prefix = root.key or ""
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return Location(scheme=root.scheme, bucket=root.bucket, key=prefix + rel)


def _list_sources(src: Location, provider: Provider, literal: bool = False) -> Iterator[tuple[Location, str]]:
    """Every item a batch source names, with its name relative to the source's folder or prefix.

    Literal before glob: an existing folder (or, on a cloud, a prefix with objects under it) is
    listed as written even when its name holds ``[`` or ``*``; otherwise the wildcards match."""
    if src.is_local and src.path is not None:
        text = str(src.path)
        if has_wildcards(text) and not literal and not src.path.is_dir():
            import glob

            base = Path(text.split("*", 1)[0].split("?", 1)[0].split("[", 1)[0])
            base = base if text.endswith("/") or base.is_dir() else base.parent
            for match in sorted(glob.glob(text, recursive=True)):
                p = Path(match)
                if p.is_file():
                    yield Location(scheme="file", path=p), p.relative_to(base).as_posix()
            return
        yield from walk_files(src.path)
        return
    key = src.key or ""
    if not literal and has_wildcards(key):
        found = False
        for item in _list_prefix(src, provider, split_pattern(key, literal=True)[0], None):
            found = True
            yield item
        if found:
            return
    prefix, pattern = split_pattern(key, literal=literal)
    yield from _list_prefix(src, provider, prefix, pattern)


def walk_files(root: Path, folder: Path | None = None) -> Iterator[tuple[Location, str]]:
    """The files under ``root`` (our own temporary files left out) with their paths relative to it,
    in sorted path order (as ``sorted(rglob("*"))`` gives them), one folder's names held at a time
    rather than every path of the tree."""
    folder = root if folder is None else folder
    try:
        names = sorted(os.listdir(folder))  # names only: a DirEntry per file would weigh ~4x as much
    except OSError:
        return
    for name in names:
        path = folder / name
        if path.is_dir() and not path.is_symlink():  # as rglob: a linked folder is not descended into
            yield from walk_files(root, path)
        elif not name.startswith(TEMP_NAME_PREFIX) and path.is_file():
            yield Location(scheme="file", path=path), path.relative_to(root).as_posix()


def _list_prefix(src: Location, provider: Provider, prefix: str,
                 pattern: str | None) -> Iterator[tuple[Location, str]]:
    listing = Location(scheme=src.scheme, bucket=src.bucket, key=prefix)
    matcher = key_pattern(pattern) if pattern is not None else None
    for info in provider.list_objects(listing, recursive=True):
        if info.is_prefix or info.key.endswith("/") or info.key.startswith(TEMP_PREFIX):
            continue  # a folder marker; another run's staged source or result (a folder skips ours too)
        if matcher is not None and not matcher.match(info.key):
            continue
        yield Location(scheme=src.scheme, bucket=src.bucket, key=info.key), info.key[len(prefix):]


def destination_exists(provider: Provider, loc: Location) -> bool:
    """``--skip-existing``'s question, for a batch item and for a single run alike."""
    if loc.is_local and loc.path is not None:
        return loc.path.exists()
    try:
        provider.head(loc)
        return True
    except MediaprocError:
        return False


def _process_item(
    p: Provider,
    item: BatchItem,
    chain: Chain,
    *,
    provider_name: str,
    skip_existing: bool,
    timeout: float | None,
    cancel: threading.Event | None,
) -> ProcessResult:
    """One item, in a worker thread or a worker process."""
    t0 = time.monotonic()
    local_dest = item.destination.path if item.destination is not None and item.destination.is_local else None
    if local_dest is not None:
        from mediaproc.atomic import check_name_length

        check_name_length(local_dest)  # before the --skip-existing look: stat() of such a name fails
    if skip_existing and item.destination is not None and destination_exists(p, item.destination):
        return ProcessResult(success=True, mode="skipped", source=str(item.source),
                             target=str(item.destination), status="skipped", provider=provider_name)
    if local_dest is not None:
        local_dest.parent.mkdir(parents=True, exist_ok=True)
    from mediaproc.ops.destination import follow_destination
    from mediaproc.services.process import location_name

    item_chain = follow_destination(chain, location_name(item.source), location_name(item.destination))
    request = ProcessRequest(source=item.source, chain=item_chain, destination=item.destination,
                             timeout=timeout, cancel=cancel)
    result = p.process(request, None)
    return replace(result, provider=provider_name, elapsed_seconds=round(time.monotonic() - t0, 3))


def _failure(item: BatchItem, provider_name: str, exc: BaseException) -> ProcessResult:
    """The result of an item that raised: its error as the JSON the batch report shows."""
    from mediaproc.errors import system_error

    exc = system_error(exc) or exc  # a full disk is the item's error, not an "Unexpected" one
    if isinstance(exc, MediaprocError):
        return ProcessResult(success=False, mode="failed", source=str(item.source),
                             target=str(item.destination) if item.destination else None,
                             provider=provider_name, error=exc.to_dict(), task_id=exc.task_id,
                             request_id=exc.request_id)
    return ProcessResult(success=False, mode="failed", source=str(item.source), provider=provider_name,
                         error={"code": "Unexpected", "message": f"{type(exc).__name__}: {exc}",
                                "hint": None, "request_id": None})


# -- local items in worker processes ------------------------------------------------------------------
# A worker process (mediaproc.engine.workers: warm, a share of libvips' threads, deaf to SIGINT, the pool
# serve's --workers uses too) holds its own provider and the batch's chain, made once by its setup. On
# Ctrl-C the parent stops submitting, cancels what has not started and waits for the items in flight,
# each of which finishes or fails atomically (no partial file), exactly as with threads.
# The pool costs each worker its own import of the engine (~60 ms of CPU, the workers in parallel) when it
# is forked from this process; through a fork server (when this process already runs threads or libvips)
# ~0.15 s of CPU, on the critical path (the server's interpreter and engine ~0.11 s, the resource tracker
# ~0.04 s). Then ~0.5 ms of this process's CPU per item (the pool's manager and feeder threads, measured
# 0.65 ms with the main thread's share on the 2-core machine), and the GIL share of an item is ~4 ms of
# Python: processes pay off only for batches of many large items. Small images (thumbnails of
# thumbnails, benchmarks/batch.py's 160x120 crops) stay on threads.
MIN_ITEMS_PER_PROCESS = 16
MIN_AVERAGE_SOURCE_BYTES = 256 * 1024
_worker: dict[str, Any] = {}


def _use_processes(provider_name: str, concurrency: int, count: int, source_bytes: int) -> bool:
    if provider_name != "local" or concurrency < 2 or count < MIN_ITEMS_PER_PROCESS * concurrency:
        return False
    return source_bytes >= MIN_AVERAGE_SOURCE_BYTES * count


def _local_pool(settings: Settings, chain: Chain, concurrency: int) -> Executor:
    from mediaproc.engine.workers import worker_pool

    return worker_pool(concurrency, setup=_worker_init, setup_args=(settings, list(chain.ops)))


def _worker_init(settings: Settings, ops: list[Op]) -> None:
    from mediaproc.providers import get_provider

    _worker["chain"] = Chain(tuple(ops))
    _worker["provider"] = get_provider("local", settings)


def _worker_item(item: BatchItem, provider_name: str, skip_existing: bool, timeout: float | None) -> ProcessResult:
    try:
        return _process_item(_worker["provider"], item, _worker["chain"], provider_name=provider_name,
                             skip_existing=skip_existing, timeout=timeout, cancel=None)
    except Exception as exc:  # an exception may not survive pickling whole: send its report
        return _failure(item, provider_name, exc)


# One item's work: (the worker thread's provider, the item, the batch's cancel event) -> its result.
# A MediaprocError raised by it becomes the item's failed result; KeyboardInterrupt means "stopped".
ItemWork = Callable[[Provider, BatchItem, threading.Event], ProcessResult]


def worker_processes(settings: Settings, chain: Chain, *, provider_name: str, concurrency: int, count: int,
                     source_bytes: int) -> Executor | None:
    """The worker processes a batch of ``count`` items (``source_bytes`` in all) runs in, or None: it runs
    on threads. Made before the batch starts any thread of its own (its progress bar's), so that the pool
    can fork its workers (mediaproc.engine.workers)."""
    if not _use_processes(provider_name, concurrency, count, source_bytes):
        return None
    return _local_pool(settings, chain, concurrency)


def run(
    settings: Settings,
    items: Iterable[BatchItem],
    chain: Chain,
    *,
    provider_name: str,
    make_provider: Callable[[], Provider],
    concurrency: int,
    skip_existing: bool = False,
    timeout: float | None = None,
    progress: ProgressCallback | None = None,
    on_result: Callable[[ProcessResult], None] | None = None,
    total: int | None = None,
    processes: Executor | None = None,
) -> BatchResults:
    """Process every item with ``chain`` (see :func:`run_items` for the engine and Ctrl-C); ``total``
    comes from :func:`survey` when ``items`` is a stream. ``processes`` (from :func:`worker_processes`,
    shut down by its maker) runs the items instead of worker threads."""

    def one(p: Provider, item: BatchItem, cancel: threading.Event) -> ProcessResult:
        return _process_item(p, item, chain, provider_name=provider_name, skip_existing=skip_existing,
                             timeout=timeout, cancel=cancel)

    def submit(item: BatchItem) -> Future[ProcessResult]:
        assert processes is not None
        return processes.submit(_worker_item, item, provider_name, skip_existing, timeout)

    return run_items(items, one, provider_name=provider_name, make_provider=make_provider,
                     concurrency=concurrency, progress=progress, on_result=on_result, total=total,
                     submit=submit if processes is not None else None)


class BatchResults(list[ProcessResult]):
    """A batch's results (all of them, or only the failures when the report was streamed), and how
    many items the batch ran: a streamed batch knows its size only when its listing has ended."""

    def __init__(self, results: Iterable[ProcessResult], total: int) -> None:
        super().__init__(results)
        self.total = total


# How many names of each group a streamed batch keeps for its Ctrl-C summary (the rest are counted):
# the summary prints the first few by name, and the streamed report has already named every item.
SUMMARY_SAMPLE = 10
# How many finished results a streamed report holds back behind a slow earlier item before the batch
# stops taking new items until it ends: the bound on what waits, so memory stays flat.
HOLD_LIMIT = 1024


@dataclass
class _Tally:
    """What a batch remembers of the items it has finished: every result when the report is not
    streamed; otherwise counts, the failures, the results naming a cloud task, and a few names."""

    keep_all: bool
    results: dict[int, ProcessResult]  # by input position: all, or (streamed) the failures and tasks
    finished: int = 0
    failed: int = 0
    finished_names: list[str] | None = None

    def add(self, index: int, item: BatchItem, res: ProcessResult) -> None:
        if res.success:
            self.finished += 1
            if not self.keep_all and self.finished_names is not None and \
                    len(self.finished_names) < SUMMARY_SAMPLE:
                self.finished_names.append(str(item.source))
        else:
            self.failed += 1
        if self.keep_all or not res.success or res.task_id:
            self.results[index] = res


def run_items(
    items: Iterable[BatchItem],
    work: ItemWork,
    *,
    provider_name: str,
    make_provider: Callable[[], Provider],
    concurrency: int,
    progress: ProgressCallback | None = None,
    resume_flag: str | None = "--skip-existing",
    on_result: Callable[[ProcessResult], None] | None = None,
    total: int | None = None,
    retained: Callable[[int], None] | None = None,
    submit: Callable[[BatchItem], Future[ProcessResult]] | None = None,
) -> BatchResults:
    """The batch engine every batch command shares (process over a pattern, recursive transfers,
    cp/mv/rm -r): bounded concurrency, one provider per worker thread, one progress bar, one result
    per item in input order, never a false "success".

    ``items`` may be a stream (a generator over a listing): at most ``2 * concurrency`` items are
    taken from it ahead of the ones finished. ``total`` (from a counting pass) is the progress bar's
    total until the stream ends; then the real count is.

    Ctrl-C stops submitting, asks in-flight items to stop (``cancel``), waits for them (nothing is
    left half-written), then raises :class:`~mediaproc.errors.BatchInterrupted`: what finished, what
    failed, what was stopped, how many were never started, and every cloud task id submitted.

    With ``on_result``, each result is handed to it in input order as soon as the items before it
    are done (at most the ``2 * concurrency`` items in flight wait for a slow one), and only the
    failed results (and those naming a cloud task the Ctrl-C summary must list) are kept and
    returned: the report streams, and memory stays flat in the item count (at most ``HOLD_LIMIT``
    results wait behind a slow item before the batch waits for it too). ``retained`` (for tests)
    is told, after each item, how many items and results the engine holds.

    ``submit`` (worker processes: :func:`run`) hands each item straight to an executor of its own
    instead of to ``work`` in a worker thread. ``concurrency + 1`` items are handed over at a time,
    as many as a ``ProcessPoolExecutor`` queues to its workers, so a worker that finishes an item
    finds the next one waiting: a worker thread per process, blocked on its item's result, made
    every item wait for a round trip through this process (the result back, a thread woken, the
    next item sent), ~1 ms of idle worker per item, 5-8% of a batch of 1600x1200 JPEGs on 2 cores.
    On Ctrl-C the one queued item that no worker had started yet runs too: a worker is deaf to
    SIGINT, and the executor cannot take back an item it has queued."""
    if isinstance(items, Sized):
        total = len(items)
    tally = _Tally(keep_all=on_result is None, results={}, finished_names=[])
    held: dict[int, ProcessResult] = {}  # with on_result: finished, waiting for an earlier item
    live: dict[int, BatchItem] = {}  # taken from the stream, not yet delivered
    next_out = 0

    def store(index: int, res: ProcessResult) -> None:
        nonlocal next_out
        tally.add(index, live[index], res)
        if on_result is None:
            live.pop(index)
            return
        held[index] = res
        while next_out in held:
            live.pop(next_out, None)
            on_result(held.pop(next_out))
            next_out += 1

    local = threading.local()
    providers: list[Provider] = []
    providers_lock = threading.Lock()
    cancel = threading.Event()
    counts = {"done": 0, "failed": 0, "skipped": 0}
    counts_lock = threading.Lock()
    started = time.monotonic()

    def provider() -> Provider:
        p = getattr(local, "provider", None)
        if p is None:
            p = make_provider()
            local.provider = p
            with providers_lock:
                providers.append(p)
        return p

    def report() -> None:
        if progress is None:
            return
        with counts_lock:
            done, failed, skipped = counts["done"], counts["failed"], counts["skipped"]
        label = _("{ok} ok, {failed} failed").format(ok=done - failed - skipped, failed=failed)
        if skipped:
            label += _(", {n} skipped").format(n=skipped)
        progress(ProgressEvent(completed=done, total=total, unit="items", label=label))

    def one(index: int, item: BatchItem) -> ProcessResult:
        if item.problem is not None:
            raise item.problem
        if cancel.is_set():
            raise KeyboardInterrupt
        return work(provider(), item, cancel)

    def finish(index: int, fut: Future[ProcessResult]) -> None:
        exc = fut.exception()
        if exc is None:
            res = fut.result()
        elif isinstance(exc, KeyboardInterrupt):
            return
        else:
            res = _failure(live[index], provider_name, exc)
        store(index, res)
        with counts_lock:
            counts["done"] += 1
            if not res.success:
                counts["failed"] += 1
            elif res.status == "skipped":
                counts["skipped"] += 1
        report()
        if retained is not None:
            retained(len(live) + len(held) + len(tally.results))

    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
    from concurrent.futures import Future as _Future

    def start(index: int, item: BatchItem) -> Future[ProcessResult]:
        if submit is None:
            return pool.submit(one, index, item)
        problem: BaseException | None = item.problem
        if problem is None:
            try:
                return submit(item)
            except Exception as exc:  # a pool broken by a worker's crash: this item fails, the batch reports on
                problem = exc
        refused: Future[ProcessResult] = _Future()
        refused.set_exception(problem)
        return refused

    report()
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="mediaproc-batch")
    ahead = concurrency * 2 if submit is None else concurrency + 1  # items handed over at a time
    pending: dict[Future[ProcessResult], int] = {}
    submitted = 0
    exhausted = False
    queue = iter(items)
    try:
        while True:
            while not exhausted and len(pending) < ahead and len(live) < concurrency * 2 + HOLD_LIMIT:
                try:
                    item = next(queue)
                except StopIteration:
                    exhausted = True
                    total = submitted  # the listing has ended: the bar's total is what it held
                    break
                live[submitted] = item
                pending[start(submitted, item)] = submitted
                submitted += 1
            if not pending:
                break
            finished, _still = wait(list(pending), return_when=FIRST_COMPLETED, timeout=0.5)
            for fut in finished:
                finish(pending.pop(fut), fut)
    except KeyboardInterrupt:
        from mediaproc.signals import interrupts_deferred

        cancel.set()  # local work stops; a worker waiting on a cloud job stops waiting
        # a second signal (`timeout` signals the process, then its group) must not cut this short:
        # the items in flight would be abandoned mid-write, their .part files left behind
        with interrupts_deferred(deliver=False):
            never = {i for fut, i in pending.items() if fut.cancel()}
            pool.shutdown(wait=True, cancel_futures=True)
            for fut, i in pending.items():  # what ended while the others stopped counts as it ended
                if i not in never and not isinstance(fut.exception(), (Interrupted, KeyboardInterrupt)):
                    finish(i, fut)
        for i in sorted(held):  # ended after an item that was stopped: reported all the same
            assert on_result is not None
            on_result(held.pop(i))
        unlisted = 0 if exhausted else _count_rest(queue)
        raise _interrupted(provider_name, live, tally, pending, never, unlisted, resume_flag) from None
    finally:
        pool.shutdown(wait=True)
        for p in providers:
            p.close()
    elapsed = time.monotonic() - started
    if submitted and progress is not None:
        progress(ProgressEvent(completed=submitted, total=submitted, unit="items",
                               label=ngettext("{n} item in {s:.1f} s", "{n} items in {s:.1f} s", submitted).format(
                                   n=submitted, s=elapsed)))
    if on_result is not None:
        return BatchResults((r for _i, r in sorted(tally.results.items()) if not r.success), submitted)
    return BatchResults((tally.results.get(i) or ProcessResult(
        success=False, mode="failed", source=str(live[i].source),
        error={"code": "NotRun", "message": "not processed", "hint": None, "request_id": None})
        for i in range(submitted)), submitted)


def _count_rest(queue: Iterator[BatchItem]) -> int:
    """How many items the listing still holds after a Ctrl-C (counted, not kept: the summary's "not
    started"); a listing that fails or a second Ctrl-C leaves the count at what was reached."""
    n = 0
    with suppress(MediaprocError, KeyboardInterrupt, OSError):
        for _item in queue:
            n += 1
    return n


def _interrupted(
    provider_name: str, live: dict[int, BatchItem], tally: _Tally,
    pending: dict[Future[ProcessResult], int], never: set[int], unlisted: int, resume_flag: str | None,
) -> BatchInterrupted:
    """Ctrl-C in a batch: the cloud jobs already submitted keep running (the shared policy), so every
    one of their ids is named, with the commands that pick it up, beside what finished, failed, was
    stopped in flight and how many were never started (the ones taken from the listing by name, the
    rest of the listing as a count: a list of their names is what would grow with the batch)."""
    from mediaproc.providers import provider_class

    results = tally.results
    if tally.keep_all:
        finished = [r.source for r in results.values() if r.success]
    else:
        finished = list(tally.finished_names or [])
    failed = [r.source for r in results.values() if not r.success]
    ended = [r.task_id for r in results.values() if r.task_id]  # jobs that ran to their end
    ids: list[str] = []  # jobs still running: their waiting stopped, the jobs did not
    stopped: list[str] = []
    for fut, i in pending.items():
        if i in never or i in results or (fut.done() and not fut.cancelled() and fut.exception() is None):
            continue
        stopped.append(str(live[i].source))
        exc = fut.exception() if fut.done() and not fut.cancelled() else None
        if isinstance(exc, MediaprocError) and exc.task_id and exc.task_id not in ids:
            ids.append(exc.task_id)
    not_started = [str(live[i].source) for i in sorted(never)]
    message = _("interrupted: {finished} finished, {failed} failed, {stopped} stopped, {waiting} not started").format(
        finished=tally.finished, failed=tally.failed, stopped=len(stopped), waiting=len(not_started) + unlisted)
    hint = None
    if ids:
        verbs = ["wait", "cancel"] if provider_class(provider_name).cancels_jobs else ["wait"]
        message += "; " + _("these cloud jobs keep running: {ids}").format(ids=", ".join(ids))
        hint = _("pick them up with {commands}").format(
            commands=", ".join(f"`mediaproc job {verb} {i}`" for i in ids for verb in verbs))
    return BatchInterrupted(message, finished=finished, failed=failed, stopped=stopped, not_started=not_started,
                            task_ids=ended + ids, resume_flag=resume_flag, hint=hint,
                            finished_more=tally.finished - len(finished), not_started_more=unlisted)


def plan_batch(
    settings: Settings, source: str, operations: Sequence[str] | Chain, to: str | None
) -> tuple[str, Chain]:
    """Parse and validate the chain and pick the provider, before any listing happens."""
    from mediaproc.ops.parse import parse_chain
    from mediaproc.ops.validate import check_backend

    chain = operations if isinstance(operations, Chain) else parse_chain(list(operations))
    src = parse_location(source, settings, role="source")
    dest = parse_location(to, settings, role="destination") if to else None
    provider = choose_provider(src, dest, settings)
    check_backend(chain, provider)
    if provider == "local":
        from mediaproc.services.styles import expand_local

        chain = expand_local(settings, chain)
    return provider, chain
