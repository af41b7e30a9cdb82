"""Recursive transfers, copy and move within a cloud, and ``rm -r``: many objects, one batch engine.

``upload -r DIR DEST/``, ``download -r PREFIX/ DIR/``, ``cp``/``mv`` (``-r`` for prefixes) and
``rm -r`` expand their items here and run them on :func:`mediaproc.services.batch.run_items` (bounded
concurrency, one progress bar, one result per item, exit 8 when any failed, the Ctrl-C summary), so
every batch command behaves the same way. The relative layout is kept: the folder's *contents* go
under the destination (``upload -r photos oss://b/x/`` writes ``x/a.jpg``, as aws-cli does).

What ``--skip-existing`` compares (:func:`unchanged`): the size first, then the content digest where
both sides have one. An OSS or COS ETag is the MD5 of the bytes only for an object written in one
request (PutObject, CopyObject of such an object); a multipart ETag (``<hex>-<parts>``) is not, so
against such an object the size alone decides. A local file's MD5 is computed when the other side
has an MD5 ETag. ``--include``/``--exclude`` are ``fnmatch`` globs on the relative path (``*`` crosses
``/``, so ``*.jpg`` matches at any depth); an item is taken when it matches an include (or none is
given) and no exclude.

Copies never move bytes through this machine: CopyObject / PUT Object - Copy, or the multipart copy
past the services' single-copy limits (the providers say which). ``mv`` deletes a source only after
its copy was verified (a HEAD of the copy: the same size, and the same ETag when both are MD5s).
Across clouds (or between a cloud and local files) there is no server-side copy: refused with exit 2
and the download-then-upload commands as the hint.
"""

from __future__ import annotations

import fnmatch
import hashlib
import itertools
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from mediaproc.atomic import TEMP_NAME_PREFIX
from mediaproc.config import Settings
from mediaproc.errors import BatchInterrupted, MediaprocError, NotFound, PartialFailure, ServiceError, UsageError
from mediaproc.i18n import _, ngettext
from mediaproc.location import TEMP_PREFIX, Location, expand_path
from mediaproc.objectopts import ObjectOptions
from mediaproc.providers import get_provider
from mediaproc.providers.base import MAX_DELETE_KEYS, Provider, at_key
from mediaproc.record import replace
from mediaproc.results import ObjectInfo, ProcessResult
from mediaproc.services import batch
from mediaproc.services.batch import BatchItem
from mediaproc.services.objects import _object
from mediaproc.services.run import ProgressFactory, ReportFactory, RunOutcome
from mediaproc.services.sourcekind import own_destination_check

if TYPE_CHECKING:
    from mediaproc.results import ResultMode

MD5_ETAG = re.compile(r"^[0-9a-fA-F]{32}$")


@dataclass(frozen=True)
class TransferOptions:
    """What every many-object command takes (``include``/``exclude``: globs on the relative path)."""

    skip_existing: bool = False
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    dry_run: bool = False
    concurrency: int | None = None
    object_options: ObjectOptions | None = None  # upload -r: ACL, storage class, metadata, ... per object


def selected(rel: str, opts: TransferOptions) -> bool:
    """Taken when it matches an ``--include`` (or none was given) and no ``--exclude``."""
    if opts.include and not any(fnmatch.fnmatchcase(rel, g) for g in opts.include):
        return False
    return not any(fnmatch.fnmatchcase(rel, g) for g in opts.exclude)


def file_md5_hex(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def unchanged(a: ObjectInfo | None, b: ObjectInfo | None, *, local: Path | None = None) -> bool:
    """Whether ``b`` already holds what ``a`` holds (the ``--skip-existing`` test, see the module
    docstring): the same size, and the same MD5 where both sides have one (``local``: the local file
    of the pair, hashed only when the other side's ETag is an MD5)."""
    if a is None or b is None or a.size is None or a.size != b.size:
        return False
    etags = [e for e in (a.etag, b.etag) if e]
    if len(etags) == 2:
        if all(MD5_ETAG.match(e) for e in etags):
            return etags[0].lower() == etags[1].lower()
        return True  # a multipart ETag is no digest of the bytes: the size decides
    if len(etags) == 1 and local is not None and MD5_ETAG.match(etags[0]):
        return file_md5_hex(local) == etags[0].lower()
    return True


def _info_or_none(provider: Provider, loc: Location) -> ObjectInfo | None:
    if loc.is_local and loc.path is not None:
        if not loc.path.is_file():
            return None
        st = loc.path.stat()
        return ObjectInfo(key=str(loc.path), size=st.st_size, last_modified=st.st_mtime)
    try:
        return provider.head(loc)
    except NotFound:
        return None


def _uri(loc: Location) -> str:
    return str(loc.path) if loc.is_local and loc.path is not None else f"{loc.scheme}://{loc.bucket}/{loc.key or ''}"


def _as_folder(loc: Location) -> Location:
    """A destination of a recursive command is a folder or prefix, whether or not it ends in ``/``."""
    if loc.is_local or not loc.key or loc.key.endswith("/"):
        return loc
    return replace(loc, key=loc.key + "/")


def _skipped(item: BatchItem, name: str) -> ProcessResult:
    return ProcessResult(success=True, mode="skipped", source=_uri(item.source),
                         target=_uri(item.destination) if item.destination else None, status="skipped",
                         provider=name)


def _planned(items: Sequence[BatchItem], name: str, mode: ResultMode) -> RunOutcome:
    """``--dry-run``: one result per item that would be transferred (or deleted); nothing is written."""
    results = tuple(
        ProcessResult(success=item.problem is None, mode=mode, source=_uri(item.source),
                      target=_uri(item.destination) if item.destination else None, status="dry-run",
                      provider=name, error=item.problem.to_dict() if item.problem else None)
        for item in items)
    return RunOutcome("batch", results)


def _run(
    settings: Settings, items: Iterable[BatchItem], name: str, work: batch.ItemWork, opts: TransferOptions,
    progress: ProgressFactory, mode: ResultMode, *, resume_flag: str | None = "--skip-existing",
    report: ReportFactory | None = None, total: int | None = None,
) -> RunOutcome:
    """Dry-run or run ``items`` (``mode`` names the progress bar too: one of ``output.PROGRESS_LABELS``);
    the outcome's error is exit 8 when any item failed. With ``report`` (the CLI's per-item report)
    each result is written as it finishes and only the failures are kept: memory stays flat however
    many objects the listing holds."""
    if opts.dry_run:
        return _planned(list(items), name, mode)
    workers = opts.concurrency or batch.default_concurrency(name, settings)
    reporting: AbstractContextManager[Callable[[ProcessResult], None] | None] = (
        report() if report is not None else nullcontext(None))
    with reporting as on_result, progress(mode) as callback:
        results = batch.run_items(items, work, provider_name=name, make_provider=lambda: get_provider(name, settings),
                                  concurrency=workers, progress=callback, resume_flag=resume_flag,
                                  on_result=on_result, total=total)
    if on_result is not None:
        outcome = _outcome(results, results.total)
        return replace(outcome, results=tuple(r for r in results if not r.success), streamed=True)
    return _outcome(results)


def _outcome(results: Sequence[ProcessResult], total: int | None = None) -> RunOutcome:
    failed = [r for r in results if not r.success]
    error: MediaprocError | None = None
    if failed:
        error = PartialFailure(
            _("{failed} of {total} items failed").format(
                failed=len(failed), total=len(results) if total is None else total),
            hint=_("the failed items are listed above; fix them and run again with --skip-existing"),
        )
        error.rendered = True
    return RunOutcome("batch", tuple(results), error)


def _peeked(items: Iterator[BatchItem]) -> Iterator[BatchItem] | None:
    """``items`` as they were, or None when there are none (the "nothing to transfer" error comes
    before any work, without a list of the items)."""
    first = next(items, None)
    return None if first is None else itertools.chain([first], items)


def _nothing(source: str) -> NotFound:
    return NotFound(_("nothing to transfer under {source}").format(source=source),
                    hint=_("check the prefix with `mediaproc ls`, and the --include/--exclude patterns"))


# -- upload -r ------------------------------------------------------------------------------------
def upload_tree(
    settings: Settings, local: str, dest: str, opts: TransferOptions, progress: ProgressFactory,
    report: ReportFactory | None = None,
) -> RunOutcome:
    """Every file under the folder ``local`` to the same relative key under ``dest``."""
    root = expand_path(local)
    if not root.is_dir():
        raise UsageError(_("{path} is not a folder").format(path=root),
                         hint=_("upload -r takes a folder; drop -r to upload one file"))
    dest_loc, name = _object(dest, settings, what=_("the upload destination"))
    dest_loc = _as_folder(dest_loc)
    if dest_loc.is_local and dest_loc.path is not None:  # the local provider: a folder is the bucket
        batch.check_folder_destination(dest_loc.path, "upload -r")
    object_options = (opts.object_options or ObjectOptions()).check(name)

    def listed() -> Iterator[BatchItem]:
        for loc, rel in batch.walk_files(root):
            if selected(rel, opts):
                yield BatchItem(loc, batch.item_destination(dest_loc, rel), rel)

    total = sum(1 for _item in listed())  # a folder walk is cheap: the progress bar's total, nothing kept
    if not total:
        raise _nothing(local)

    def work(p: Provider, item: BatchItem, cancel: object) -> ProcessResult:
        t0 = time.monotonic()
        assert item.source.path is not None and item.destination is not None
        if opts.skip_existing and unchanged(_info_or_none(p, item.source), _info_or_none(p, item.destination),
                                            local=item.source.path):
            return _skipped(item, name)
        _make_parent(item.destination)
        info = p.upload(item.source.path, item.destination, None, object_options)
        return ProcessResult(success=True, mode="upload", source=str(item.source.path), target=_uri(item.destination),
                             size=info.size, request_id=info.request_id, provider=name,
                             elapsed_seconds=round(time.monotonic() - t0, 3))

    return _run(settings, listed(), name, work, opts, progress, "upload", report=report, total=total)


def _make_parent(loc: Location) -> None:
    """The local folder an item goes into; a file in the way fails that item, not the batch."""
    if loc.is_local and loc.path is not None:
        folder = loc.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ServiceError(_("cannot create the folder {folder}: {reason}").format(
                folder=folder, reason=exc.strerror or exc), hint=_("move the file that is in the way")) from None


# -- download -r ----------------------------------------------------------------------------------
def _listed(provider: Provider, prefix: Location, opts: TransferOptions) -> Iterator[tuple[Location, str]]:
    """Every object under ``prefix`` (a folder of the local provider too) with its relative name."""
    if prefix.is_local and prefix.path is not None:
        base = prefix.path
        for info in provider.list_objects(prefix, recursive=True):
            path = Path(info.key)
            if info.is_prefix or path.name.startswith(TEMP_NAME_PREFIX):
                continue
            rel = path.relative_to(base).as_posix()
            if selected(rel, opts):
                yield Location(scheme="file", path=path), rel
        return
    key = prefix.key or ""
    for info in provider.list_objects(prefix, recursive=True):
        if info.is_prefix or info.key.endswith("/") or info.key.startswith(TEMP_PREFIX):
            continue  # a folder marker; a run's temporary object (a folder skips ours too)
        rel = info.key[len(key):]
        if selected(rel, opts):
            yield at_key(prefix, info.key), rel


def _source_folder(text: str, settings: Settings, what: str) -> tuple[Location, str]:
    loc, name = _object(text, settings, what=what)
    if loc.is_local:
        if loc.path is None or not loc.path.is_dir():
            raise UsageError(_("{path} is not a folder").format(path=text),
                             hint=_("-r takes a folder or a prefix; drop -r for one file"))
        return loc, name
    return _as_folder(loc), name


def download_tree(
    settings: Settings, src: str, local: str, opts: TransferOptions, progress: ProgressFactory,
    report: ReportFactory | None = None,
) -> RunOutcome:
    """Every object under the prefix ``src`` to the same relative path under the folder ``local``.
    A key that cannot be a path below the folder (``..``, absolute, a backslash) is a failed item,
    never written outside it."""
    src_loc, name = _source_folder(src, settings, _("the download source"))
    root = expand_path(local)
    batch.check_folder_destination(root, "download -r")

    def mapped(lister: Provider) -> Iterator[BatchItem]:
        for loc, rel in _listed(lister, src_loc, opts):
            problem = batch.unsafe_relative(rel)
            if problem is not None:
                err = UsageError(_("refused key {key!r}: {why}").format(key=rel, why=problem),
                                 hint=_("rename the object; mediaproc never writes outside the destination folder"))
                yield BatchItem(loc, None, rel, err)
            else:
                yield BatchItem(loc, Location(scheme="file", path=root / rel), rel)

    def work(p: Provider, item: BatchItem, cancel: object) -> ProcessResult:
        t0 = time.monotonic()
        assert item.destination is not None and item.destination.path is not None
        dest = item.destination.path
        if opts.skip_existing and unchanged(_info_or_none(p, item.source), _info_or_none(p, item.destination),
                                            local=dest if dest.is_file() else None):
            return _skipped(item, name)
        _make_parent(item.destination)
        info = p.download(item.source, dest)
        return ProcessResult(success=True, mode="download", source=_uri(item.source), target=str(dest),
                             path=str(dest.resolve()), size=info.size, request_id=info.request_id, provider=name,
                             elapsed_seconds=round(time.monotonic() - t0, 3))

    with get_provider(name, settings) as lister:  # one listing, streamed: the total is known at its end
        items = _peeked(mapped(lister))
        if items is None:
            raise _nothing(src)
        return _run(settings, items, name, work, opts, progress, "download", report=report)


# -- cp / mv --------------------------------------------------------------------------------------
def _same_cloud(src: str, dst: str, settings: Settings) -> tuple[Location, Location, str]:
    """Both ends on one provider, or exit 2 with the commands that do it in two steps."""
    src_loc, src_name = _object(src, settings, what=_("the copy source"))
    dst_loc, dst_name = _object(dst, settings, what=_("the copy destination"))
    if src_name != dst_name:
        raise UsageError(
            _("{src} and {dst} are on different clouds: there is no server-side copy between them").format(
                src=src, dst=dst),
            hint=_("download, then upload: `mediaproc download -r SRC DIR/` and `mediaproc upload -r DIR/ DEST`"),
        )
    return src_loc, dst_loc, src_name


def copy(
    settings: Settings, src: str, dst: str, opts: TransferOptions, progress: ProgressFactory, *,
    recursive: bool = False, move: bool = False, report: ReportFactory | None = None,
) -> RunOutcome:
    """``cp``/``mv`` within one cloud (or one folder store locally): server-side copies; ``move``
    deletes each source once its copy is verified. ``recursive`` copies every object under a prefix."""
    src_loc, dst_loc, name = _same_cloud(src, dst, settings)
    mode: ResultMode = "move" if move else "copy"
    if recursive:
        src_loc, _name = _source_folder(src, settings, _("the copy source"))
        dst_loc = _as_folder(dst_loc)
        if _uri(src_loc).rstrip("/") == _uri(dst_loc).rstrip("/"):
            raise UsageError(_("{src} and {dst} are the same").format(src=src, dst=dst),
                             hint=_("name another destination prefix"))
        lister = get_provider(name, settings)
        own = own_destination_check(dst_loc)
        try:
            items: Iterator[BatchItem] | None = _peeked(BatchItem(loc, batch.item_destination(dst_loc, rel), rel)
                                                        for loc, rel in _listed(lister, src_loc, opts)
                                                        if not own(loc, rel))
        except BaseException:
            lister.close()
            raise
        if items is None:
            lister.close()
            raise _nothing(src)
    else:
        for given, option in ((opts.include, "--include"), (opts.exclude, "--exclude")):
            if given:
                raise UsageError(_("{option} applies to -r (many objects)").format(option=option),
                                 hint=_("add -r, or drop {option}").format(option=option))
        if (src_loc.is_object and (not src_loc.key or src_loc.key.endswith("/"))) or (
                src_loc.is_local and src_loc.path is not None and src_loc.path.is_dir()):
            raise UsageError(_("{src} is a prefix").format(src=src), hint=_("add -r to copy everything under it"))
        target = _single_target(src_loc, dst_loc, folder=dst.endswith(("/", os.sep)))
        if _uri(src_loc) == _uri(target):
            raise UsageError(_("{src} and {dst} are the same").format(src=src, dst=dst),
                             hint=_("name another destination"))
        one = BatchItem(src_loc, target, _uri(src_loc))

    def work(p: Provider, item: BatchItem, cancel: object) -> ProcessResult:
        t0 = time.monotonic()
        assert item.destination is not None
        before = p.head(item.source)
        if opts.skip_existing and unchanged(before, _info_or_none(p, item.destination)):
            if move:
                p.delete(item.source)  # already copied by an earlier, interrupted run: finish the move
            return _skipped(item, name)
        _make_parent(item.destination)
        info = p.copy(item.source, item.destination)
        if move:
            _verify_copy(p, item, before)
            p.delete(item.source)
        return ProcessResult(success=True, mode=mode, source=_uri(item.source), target=_uri(item.destination),
                             size=info.size, request_id=info.request_id, provider=name,
                             elapsed_seconds=round(time.monotonic() - t0, 3))

    if not recursive:
        if not opts.dry_run:
            with get_provider(name, settings) as provider:
                return RunOutcome("result", (work(provider, one, object()),))
        return _run(settings, [one], name, work, opts, progress, mode)
    assert items is not None
    with lister:  # one listing, streamed: the total is known at its end
        return _run(settings, items, name, work, opts, progress, mode, report=report)


def _single_target(src: Location, dst: Location, *, folder: bool) -> Location:
    """``cp oss://b/a.jpg oss://b/dir/`` (or a local path ending in ``/``, or an existing local
    folder) keeps the source's name."""
    name = src.path.name if src.path is not None else PurePosixPath(src.key or "").name
    if dst.is_local and src.path is None:
        return dst
    return replace(dst, folder=dst.folder or folder).joined(name)  # the one folder rule (docs/paths.md)


def _verify_copy(p: Provider, item: BatchItem, before: ObjectInfo) -> None:
    """The copy is there with the source's size (and ETag, where both are MD5s), or the source stays."""
    assert item.destination is not None
    after = _info_or_none(p, item.destination)
    if not unchanged(before, after):
        raise ServiceError(
            _("the copy {dst} could not be verified (size or ETag differs); {src} was kept").format(
                dst=_uri(item.destination), src=_uri(item.source)),
            hint=_("run the command again"),
        )


# -- rm -r ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RemovePlan:
    """What ``rm -r`` would delete: the prefix, its provider and every key under it."""

    prefix: Location
    provider: str
    keys: tuple[str, ...]

    def shown(self) -> list[str]:
        return [_uri(at_key(self.prefix, k)) for k in self.keys]


def plan_remove(settings: Settings, target: str) -> RemovePlan:
    loc, name = _object(target, settings, what=_("the object to delete"))
    with get_provider(name, settings) as provider:
        keys = tuple(o.key for o in provider.list_objects(loc, recursive=True) if not o.is_prefix)
    if not keys:
        raise NotFound(_("nothing under {target}").format(target=target),
                       hint=_("check the prefix with `mediaproc ls`"))
    return RemovePlan(loc, name, keys)


def remove(
    settings: Settings, plan: RemovePlan, *, dry_run: bool = False,
    confirm: Callable[[Sequence[str]], bool] | None = None, progress: ProgressFactory,
) -> RunOutcome:
    """Delete every key of ``plan`` in batched requests (1,000 keys each), one result per key.

    ``confirm`` is asked first (a terminal's yes/no, or ``--yes``); None means nobody can be asked
    (no terminal, no ``--yes``): refused with exit 2, nothing deleted."""
    items = [BatchItem(at_key(plan.prefix, k), None, k) for k in plan.keys]
    if dry_run:
        return _planned(items, plan.provider, "delete")
    if confirm is None:
        raise UsageError(
            ngettext("rm -r would delete {n} object and there is no terminal to confirm it",
                     "rm -r would delete {n} objects and there is no terminal to confirm it",
                     len(plan.keys)).format(n=len(plan.keys)),
            hint=_("add --yes to delete without asking, or --dry-run to list them"),
        )
    if not confirm(plan.shown()):
        raise UsageError(_("nothing was deleted"), hint=_("answer y to delete, or use --dry-run to list only"))
    results: list[ProcessResult] = []
    done = 0
    chunk: Sequence[str] = ()
    with progress("delete") as callback, get_provider(plan.provider, settings) as provider:
        from mediaproc.progress import ProgressEvent

        try:
            for start in range(0, len(plan.keys), MAX_DELETE_KEYS):
                chunk = plan.keys[start:start + MAX_DELETE_KEYS]
                failed = provider.delete_many(plan.prefix, chunk)
                for key in chunk:
                    exc = failed.get(key)
                    results.append(ProcessResult(
                        success=exc is None, mode="delete", source=_uri(at_key(plan.prefix, key)),
                        provider=plan.provider, error=exc.to_dict() if exc else None,
                        request_id=exc.request_id if exc else None))
                done += len(chunk)
                if callback is not None:
                    failures = sum(not r.success for r in results)
                    callback(ProgressEvent(completed=done, total=len(plan.keys), unit="items",
                                           label=_("{ok} ok, {failed} failed").format(ok=done - failures,
                                                                                       failed=failures)))
        except KeyboardInterrupt:  # the request in flight may or may not have deleted its keys: "stopped"
            shown = plan.shown()
            stopped = shown[len(results):len(results) + len(chunk)]
            rest = shown[len(results) + len(chunk):]
            raise BatchInterrupted(
                _("interrupted: {finished} finished, {failed} failed, {stopped} stopped, {waiting} not started")
                .format(finished=sum(r.success for r in results), failed=sum(not r.success for r in results),
                        stopped=len(stopped), waiting=len(rest)),
                finished=[r.source for r in results if r.success], failed=[r.source for r in results if not r.success],
                stopped=stopped, not_started=rest, task_ids=[], resume_flag="",
            ) from None
    return _outcome(results)
