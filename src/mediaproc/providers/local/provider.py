"""The local provider: this machine's files, processed by ``engine/`` (libvips, ffmpeg, OpenCV).

It is the default when no cloud is configured, and the reference the cloud providers are compared
with in tests. A "bucket" is a folder (``--bucket DIR``); a bare key is a path below it.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from mediaproc import TYPE_CHECKING
from mediaproc.errors import InvalidOperation, MediaprocError, NotFound, ServiceError, UsageError, missing_source
from mediaproc.i18n import _
from mediaproc.location import Location, expand_path
from mediaproc.ops.catalog.formats import format_from_extension
from mediaproc.ops.model import Chain, Family, Mode, Op, Produces
from mediaproc.ops.styles import is_style, missing, references
from mediaproc.progress import ProgressCallback
from mediaproc.providers.base import ProcessRequest, Provider, WrittenImage, written_format, written_image
from mediaproc.record import replace
from mediaproc.results import ObjectInfo, ProcessResult

if TYPE_CHECKING:  # imported where used: a one-shot run needs neither object options nor stored styles
    from typing import Any

    from mediaproc.objectopts import ObjectOptions
    from mediaproc.providers.local.styles import StoredStyle, StyleBook


class _AnyEvent(threading.Event):
    """Set when any of its events is set: a job's own cancel (timeout) or a batch's (Ctrl-C).

    An ``Event`` so that it goes where the engine takes one; the engine only asks :meth:`is_set`,
    and nobody sets or waits on this one itself.
    """

    def __init__(self, events: list[threading.Event]) -> None:
        super().__init__()
        self.events = events

    def is_set(self) -> bool:
        return any(e.is_set() for e in self.events)


def _new_folders(path: Path) -> list[Path]:
    """Create ``path`` and its missing parents; the folders this made, outermost first."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(parents=True, exist_ok=True)
    return list(reversed(missing))


class LocalProvider(Provider):
    name = "local"

    # -- addressing -------------------------------------------------------------------------
    def _root(self) -> Path | None:
        return expand_path(self.settings.bucket) if self.settings.bucket else None

    def _path(self, loc: Location) -> Path:
        if loc.is_local and loc.path is not None:
            return loc.path
        raise UsageError(
            _("the local provider works on local files, not {location}").format(location=loc),
            hint=_("name a local path, or pick the cloud with --provider"),
        )

    def _source(self, loc: Location) -> Path:
        path = self._path(loc)
        if not path.exists():
            raise missing_source(path)
        if path.is_dir():
            raise UsageError(
                _("source {path} is a folder").format(path=path),
                hint=_("name a file"),  # (a folder as process's SOURCE is a batch: it never gets here)
            )
        if not path.is_file():  # /dev/stdin, a named pipe: the engines seek, and said "not found" or crashed
            raise UsageError(
                _("source {path} is not a regular file (a pipe or a device)").format(path=path),
                hint=_("save the input to a file first and name that file"),
            )
        if not os.access(path, os.R_OK):
            raise UsageError(
                _("source {path} is not readable").format(path=path),
                hint=_("check the file's permissions"),
            )
        return path

    def _resolve_key(self, source: Path) -> Any:
        """Watermark images are named as object keys; locally they are paths, looked up in the
        bucket folder (if any), the working directory, then the source's folder."""
        # each folder once, absolute: the hint listed the working directory twice ("/tmp/w, .")
        roots = list(dict.fromkeys(Path(os.path.abspath(r)) for r in (self._root(), Path.cwd(), source.parent)
                                   if r is not None))

        def resolve(key: str) -> Path:
            candidate = expand_path(key)
            if candidate.is_absolute() and candidate.is_file():
                return candidate
            for root in roots:
                if (root / key).is_file():  # a folder of that name is not the image ("source file not found")
                    return root / key
            raise NotFound(
                _("watermark image {key!r} was not found").format(key=key),
                hint=_("looked in: {roots}; name the image relative to one of them, or give its full path").format(
                    roots=", ".join(str(r) for r in roots)),
            )

        return resolve

    # -- styles -------------------------------------------------------------------------------
    def _style_folder(self, bucket: str | None) -> Path:
        """A bucket folder's styles: the folder named, else --bucket, else the working directory."""
        return expand_path(bucket) if bucket else (self._root() or Path.cwd())

    def _styles(self, folder: Path) -> StyleBook:
        from mediaproc.providers.local.styles import StyleBook

        return StyleBook.for_folder(folder)

    def put_style(self, bucket: str, name: str, content: str) -> None:
        self._styles(self._style_folder(bucket)).put("local", name, content)

    def get_style(self, bucket: str, name: str) -> StoredStyle:
        folder = self._style_folder(bucket)
        style = self._styles(folder).get("local", name)
        if style is None:
            raise missing(name, str(folder))
        return style

    def list_styles(self, bucket: str) -> list[StoredStyle]:
        return self._styles(self._style_folder(bucket)).list("local")

    def delete_style(self, bucket: str, name: str) -> None:
        folder = self._style_folder(bucket)
        if not self._styles(folder).delete("local", name):
            raise missing(name, str(folder))

    def expand_styles(self, chain: Chain) -> Chain:
        """Each ``style/NAME`` replaced by the chain stored under NAME (the engine runs operations,
        not names); what follows a style continues its chain."""
        from mediaproc.ops.stylebook import decode
        from mediaproc.ops.validate import make_chain

        ops: list[Op] = []
        for op in chain:
            if is_style(op):
                ops.extend(decode(self.get_style("", str(op.params["name"])).content, "local"))
            else:
                ops.append(op)
        return make_chain(ops)

    # -- processing -------------------------------------------------------------------------
    def process(self, request: ProcessRequest, progress: ProgressCallback | None = None) -> ProcessResult:
        src = self._source(request.source)
        if references(request.chain):
            request = replace(request, chain=self.expand_styles(request.chain))
        chain = request.chain
        started = time.monotonic()
        if chain.produces is Produces.JSON:
            from mediaproc.engine import analyze

            data = analyze(chain[-1], src)
            result = ProcessResult(success=True, mode="data", source=str(request.source), data=data)
            dest = request.destination
            if dest is not None:
                from mediaproc.atomic import write_json_atomic  # JSON to a file: a plain run prints it

                path = self._path(dest)
                size = write_json_atomic(path, data)
                result = ProcessResult(
                    success=True,
                    mode="file",
                    source=str(request.source),
                    target=str(dest),
                    path=str(path.resolve()),
                    size=size,
                    data=data,
                )
            return result
        if request.destination is None:  # checked by the service; kept for direct callers
            raise UsageError(_("no destination given"), hint=_("add --to FILE"))
        dst = self._path(request.destination)
        created: list[Path] = []
        if request.destination.folder and chain.produces is Produces.FILES:
            created = _new_folders(dst)  # --to newdir/: frames go inside, named after the source
        try:
            if chain.family in (Family.IMAGE, Family.AI):
                return self._image(chain, src, dst, request, started)
            return self._media(chain, src, dst, request, progress, started)
        except BaseException:
            for folder in reversed(created):  # a refused or failed run leaves nothing, folders included
                with contextlib.suppress(OSError):
                    folder.rmdir()
            raise

    def _image(
        self, chain: Chain, src: Path, dst: Path, request: ProcessRequest, started: float
    ) -> ProcessResult:
        from mediaproc.engine.image import process_image

        out = process_image(
            src,
            chain.ops,
            dst,
            out_format=format_from_extension(dst),
            resolve_key=self._resolve_key(src),
        )
        return ProcessResult(
            success=True,
            mode="file",
            source=str(request.source),
            target=str(request.destination),
            path=str(Path(out.path).resolve()),
            size=out.size,
            width=out.width,
            height=out.height,
            format=written_format(Path(out.path)) or out.format,
            elapsed_seconds=round(time.monotonic() - started, 3),
        )

    def _media(
        self,
        chain: Chain,
        src: Path,
        dst: Path,
        request: ProcessRequest,
        progress: ProgressCallback | None,
        started: float,
    ) -> ProcessResult:
        from mediaproc.engine import av
        from mediaproc.jobs import LocalJob
        from mediaproc.providers.staging import follow

        op: Op = chain[0]
        parts = tuple(
            av.ConcatPart(path=self._source(i.location), position=i.position, ss=i.ss, t=i.t)
            for i in request.inputs
        )
        warnings: list[str] = []
        if op.spec.joins:
            problems = av.check_concat_inputs(op, src, parts)
            errors = [p for p in problems if not p.warning]
            if errors:  # refused before the job starts; its warnings come back with the engine's result
                raise InvalidOperation(errors[0].message, hint=errors[0].hint)
        outer_cancel = request.cancel

        def work(report: ProgressCallback | None, cancel: threading.Event | None) -> Any:
            events = [e for e in (cancel, outer_cancel) if e is not None]
            either: threading.Event | None = _AnyEvent(events) if len(events) > 1 else (events[0] if events else None)
            return av.run_media(op, src, dst, inputs=parts, progress=report, cancel=either)

        # Sync operations (snapshot, hls) run as a job too, so --timeout and Ctrl-C stop them the same
        # way (the shared policy: local work stops and leaves no partial file); only async ones report
        # a task id, as on the clouds.
        job = LocalJob(work, task_type=op.spec.imm_task or "Media")
        is_async = op.spec.mode is Mode.ASYNC
        try:
            final = follow(job, timeout=request.timeout, progress=progress)
        except MediaprocError as exc:
            if not is_async and exc.task_id == job.task_id:
                exc.task_id = None  # a failed snapshot has no task to look up, as a successful one has none
            raise
        task_id = job.task_id if is_async else None
        status = final.state.value if is_async else None
        out = final.result
        warnings.extend(getattr(out, "warnings", ()))
        paths = tuple(Path(p) for p in out.paths)
        first = paths[0] if paths else dst
        image = written_image(first) if chain.produces is Produces.IMAGE else WrittenImage(None, None, None)
        return ProcessResult(
            success=True,
            mode="file",
            source=str(request.source),
            target=str(request.destination),
            path=str(first.resolve()),
            size=sum(p.stat().st_size for p in paths if p.is_file()),
            task_id=task_id,
            status=status,
            generated_keys=tuple(str(p.resolve()) for p in paths),
            elapsed_seconds=round(time.monotonic() - started, 3),
            warnings=tuple(warnings),
            format=image.format,
            width=image.width,
            height=image.height,
        )

    # -- objects (a folder is the bucket) ---------------------------------------------------------
    def upload(
        self, local: Path, dest: Location, progress: ProgressCallback | None = None,
        options: ObjectOptions | None = None,
    ) -> ObjectInfo:
        from mediaproc.objectopts import ObjectOptions

        (options or ObjectOptions()).check(self.name)  # plain files: no object options
        return self._copy(local, self._path(dest))

    def download(self, src: Location, local: Path, progress: ProgressCallback | None = None) -> ObjectInfo:
        return self._copy(self._source(src), local)

    def _copy(self, src: Path, dst: Path) -> ObjectInfo:
        if not src.is_file():
            raise NotFound(_("{path} does not exist").format(path=src), hint=_("check the path"))
        import shutil  # uploads and downloads only: a one-shot process run never copies

        from mediaproc.atomic import atomic_file

        with atomic_file(dst, durable=True) as tmp:  # an upload or download: see mediaproc.atomic
            shutil.copyfile(src, tmp)
        st = dst.stat()
        return ObjectInfo(key=str(dst), size=st.st_size, last_modified=st.st_mtime)

    def head(self, loc: Location) -> ObjectInfo:
        path = self._source(loc)
        st = path.stat()
        return ObjectInfo(key=str(path), size=st.st_size, last_modified=st.st_mtime)

    def list_objects(self, prefix: Location, *, recursive: bool = True) -> Iterator[ObjectInfo]:
        base = self._path(prefix)
        if base.is_file():
            yield self.head(prefix)
            return
        folder, stem = (base, "") if base.is_dir() else (base.parent, base.name)
        if not folder.is_dir():
            return
        walker = folder.rglob("*") if recursive else folder.iterdir()
        for p in sorted(walker):
            rel = p.relative_to(folder).as_posix()
            if stem and not rel.startswith(stem):
                continue
            if p.is_file():
                st = p.stat()
                yield ObjectInfo(key=str(p), size=st.st_size, last_modified=st.st_mtime)
            elif not recursive and p.is_dir():
                yield ObjectInfo(key=str(p) + "/", is_prefix=True)

    def delete(self, loc: Location) -> None:
        path = self._path(loc)
        try:
            path.unlink()
        except FileNotFoundError:
            raise NotFound(_("{path} does not exist").format(path=path), hint=_("check the path")) from None
        except IsADirectoryError:
            raise UsageError(_("{path} is a folder").format(path=path), hint=_("name a file")) from None
        except PermissionError:
            raise ServiceError(_("{path} cannot be deleted: permission denied").format(path=path),
                               hint=_("check the permissions of its folder"), code="AccessDenied") from None

    def delete_many(self, prefix: Location, keys: Sequence[str]) -> dict[str, MediaprocError]:
        """One file at a time, then the folders left empty under the prefix (``rm -r`` of a folder
        removes it, as ``rm -r`` does)."""
        failed = super().delete_many(prefix, keys)
        base = self._path(prefix)
        if base.is_dir():
            for folder in sorted((p for p in base.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
                with contextlib.suppress(OSError):
                    folder.rmdir()  # only when empty
            with contextlib.suppress(OSError):
                base.rmdir()
        return failed

    def copy(self, src: Location, dst: Location) -> ObjectInfo:
        """A folder is the bucket: a copy is a file copy, written atomically (nothing under the
        destination's name until complete)."""
        return self._copy(self._source(src), self._path(dst))


__all__ = ["LocalProvider", "MediaprocError"]
