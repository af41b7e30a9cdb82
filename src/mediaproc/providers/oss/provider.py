"""The Alibaba Cloud OSS provider: ``oss2`` for objects and processing, IMM for async jobs.

How a request runs (see DESIGN.md for the why):

* Sync chains (image operations, ``video/snapshot``, ``*/info``, ``hls/m3u8``, detection) are one
  ``GET /<key>?x-oss-process=<ops>``: streamed to a local file (atomically), returned as JSON
  (``mode="data"``), or turned into a V4 signed URL carrying ``x-oss-process``. Saving in the bucket is
  ``POST /<key>?x-oss-process`` with ``|sys/saveas`` (sent once: never retried).
* Async chains (``video/convert`` ...) are ``POST /<key>?x-oss-async-process`` submitted exactly once,
  then waited on through IMM ``GetTask`` in the project bound to the bucket (found with
  ``GetOSSBucketAttachment``, cached per bucket for the life of the process). Only when IMM cannot be
  used at all do we fall back to watching the target object appear — the result's warnings say so.
  ``blindwatermark-extract`` is IMM's own ``CreateDecodeBlindWatermarkTask``.
* A local file (or URL) as the source is uploaded to ``.mediaproc-tmp/<uuid>/<name>`` in the bucket
  and deleted afterwards, also on error and Ctrl-C — except while an async job may still read it
  (``--no-wait``, a timeout, Ctrl-C while waiting, an unanswered submission): then it is kept and its
  key is reported (``temporary_keys`` in the result / the error hint). Delete those with
  ``mediaproc rm -r oss://BUCKET/.mediaproc-tmp/`` once the job is done, or add a bucket lifecycle
  rule expiring the ``.mediaproc-tmp/`` prefix after a day; ``mediaproc doctor`` reports leftovers.

Every network call has a timeout; idempotent calls are retried (``oss_errors.retry_call``); every
SDK error becomes a :mod:`mediaproc.errors` class; the SDK loggers are silenced unless ``--debug``
and scrubbed of signatures even then.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

import oss2
import oss2.exceptions as oe

from mediaproc.config import Settings
from mediaproc.errors import (
    ConfigError,
    Interrupted,
    JobFailed,
    MediaprocError,
    NotFound,
    ServiceError,
    TimedOut,
    UsageError,
)
from mediaproc.i18n import _
from mediaproc.location import Location
from mediaproc.ops.model import Chain, Family, Mode, Op, Produces
from mediaproc.progress import ProgressCallback, ProgressEvent
from mediaproc.providers.base import ConcatInput, ProcessRequest, Provider
from mediaproc.providers.oss.credentials import CredentialSource, oss2_provider
from mediaproc.providers.oss.endpoints import Endpoints, resolve_endpoints
from mediaproc.providers.oss.errors import (
    TruncatedBody,
    imm_unreachable,
    is_retryable_oss,
    map_oss_error,
    retry_call,
    scrub,
)
from mediaproc.providers.oss.imm import Imm
from mediaproc.providers.oss.speed import install_shared_crc_tables, resolve_proxies_once
from mediaproc.results import ObjectInfo, ProcessResult

install_shared_crc_tables()

TEMP_PREFIX = ".mediaproc-tmp/"
CONNECT_TIMEOUT = 10.0  # seconds to open a connection
CLEANUP_ATTEMPTS = 8  # deleting a temporary object
READ_TIMEOUT = 120.0  # seconds between bytes (sync processing of a large image can take a while)
PART_SIZE = 8 * 1024 * 1024  # multipart part size: memory stays bounded (parts stream from disk)
MULTIPART_THRESHOLD = 16 * 1024 * 1024
CHUNK = 1024 * 1024  # download read size
SDK_LOGGERS = ("oss2", "alibabacloud_credentials", "alibabacloud_imm20200930", "alibabacloud_tea_openapi",
               "darabonba", "Tea", "urllib3", "apscheduler", "requests")

# bucket -> bound IMM project (None: not bound); one lookup per bucket per process
_PROJECT_CACHE: dict[tuple[str, str], str | None] = {}
_PROJECT_LOCK = threading.Lock()


class _ScrubFilter(logging.Filter):
    """Even with --debug, SDK log records must not carry signatures, credentials or tokens."""

    def filter(self, record: logging.LogRecord) -> bool:
        with suppress(Exception):
            record.msg = scrub(record.getMessage())
            record.args = ()
        return True


def configure_sdk_logging(debug: bool) -> None:
    """Silence the SDK loggers unless ``debug``; scrub them either way."""
    if debug:  # import the lazily used SDKs now, so every logger they create gets the scrub filter
        with suppress(ImportError):
            import alibabacloud_credentials.client  # noqa: F401
            import alibabacloud_imm20200930.client  # noqa: F401
            import alibabacloud_tea_openapi.client  # noqa: F401
            import darabonba.core  # noqa: F401
    names = [n for n in list(logging.root.manager.loggerDict) if n.split(".")[0] in SDK_LOGGERS]
    for name in {*names, *SDK_LOGGERS}:
        lg = logging.getLogger(name)
        if not any(isinstance(f, _ScrubFilter) for f in lg.filters):
            lg.addFilter(_ScrubFilter())
        if name in SDK_LOGGERS:
            lg.setLevel(logging.DEBUG if debug else logging.CRITICAL + 1)
            lg.propagate = debug


def _refuse_oversized_image(chain: Chain, path: Path) -> None:
    """A local file over the 20 MB image-processing limit is refused before it is uploaded: OSS would
    take the upload and then refuse the processing (400 ImageTooLarge)."""
    from mediaproc.engine.image.result import MAX_FILE_BYTES, too_large

    if chain.family not in (Family.IMAGE, Family.META) or not path.is_file():
        return
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise too_large(
            _("{path} is {size:.1f} MB; OSS image processing takes sources up to {limit} MB").format(
                path=str(path), size=size / 1e6, limit=MAX_FILE_BYTES // 1_000_000
            ),
            _("recompress or downscale it first, or process it with --provider local (no such limit)"),
        )


@dataclass
class _Temp:
    """A temporary object this run created; ``keep`` while an async job may still read it."""

    bucket: str
    key: str
    keep: bool = False


@dataclass
class _Run:
    temps: list[_Temp] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class _RecordingStore(oss2.ResumableStore):  # type: ignore[misc]
    """oss2's checkpoint store (resume after a failed upload), remembering the upload id so a
    temporary upload can be aborted instead of leaving parts behind."""

    def __init__(self, root: str) -> None:
        super().__init__(root=root, dir="oss-upload")
        self.upload_id: str | None = None
        self.record_key: str | None = None

    def put(self, key: str, value: Any) -> None:
        if isinstance(value, dict) and value.get("upload_id"):
            self.upload_id = value["upload_id"]
            self.record_key = key
        super().put(key, value)


def _strip_body(body: str, name: str) -> str:
    """oss2 adds ``<name>=`` itself; the encoders return the whole body."""
    prefix = f"{name}="
    return body[len(prefix) :] if body.startswith(prefix) else body


def _cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("mediaproc", appauthor=False))


class OssProvider(Provider):
    name = "oss"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        configure_sdk_logging(settings.debug)
        self.credentials = CredentialSource()
        self._endpoints: Endpoints | None = None
        self._session: Any = None
        self._buckets: dict[str, Any] = {}
        self._imm: Imm | None = None
        self._lock = threading.Lock()

    # -- clients ------------------------------------------------------------------------------
    @property
    def endpoints(self) -> Endpoints:
        if self._endpoints is None:
            self._endpoints = resolve_endpoints(self.settings)
        return self._endpoints

    @property
    def imm(self) -> Imm:
        if self._imm is None:
            self._imm = Imm(self.endpoints, self.credentials)
        return self._imm

    def bucket(self, name: str | None) -> Any:
        """An ``oss2.Bucket`` with V4 signing over the credential chain (one per bucket name)."""
        if not name:
            raise UsageError(
                _("no bucket given"), hint=_("write oss://BUCKET/KEY, or set a default with --bucket")
            )
        with self._lock:
            if name not in self._buckets:
                ep = self.endpoints
                if self._session is None:
                    self._session = oss2.Session(pool_size=max(4, self._threads() * 2))
                    resolve_proxies_once(self._session.session, ep.oss)
                auth = oss2.ProviderAuthV4(oss2_provider(self.credentials))
                try:
                    self._buckets[name] = oss2.Bucket(
                        auth,
                        ep.oss,
                        name,
                        session=self._session,
                        connect_timeout=(CONNECT_TIMEOUT, self._read_timeout()),
                        app_name="mediaproc",
                        region=ep.region,
                    )
                except oe.ClientError:
                    raise UsageError(
                        _("{name!r} is not a valid bucket name, or {endpoint} is not a valid endpoint").format(
                            name=name, endpoint=ep.oss
                        ),
                        hint=_("bucket names are 3-63 lower-case letters, digits and hyphens"),
                    ) from None
            return self._buckets[name]

    def _read_timeout(self) -> float:
        return self.settings.request_timeout or READ_TIMEOUT

    def _threads(self) -> int:
        return max(1, min(self.settings.concurrency or 3, 8))

    def close(self) -> None:
        if self._session is not None:
            with suppress(Exception):
                self._session.session.close()
            self._session = None
        self._buckets.clear()

    def _call(self, fn: Callable[[], Any], *, bucket: str | None, key: str | None, action: str,
              retry: bool = True, attempts: int | None = None) -> Any:
        """Run one oss2 call: retried if idempotent, every failure mapped to mediaproc.errors."""
        self.credentials.get()
        try:
            if not retry:
                return fn()
            if attempts is not None:
                return retry_call(fn, retryable=is_retryable_oss, attempts=attempts)
            return retry_call(fn, retryable=is_retryable_oss)
        except MediaprocError:
            raise
        except Exception as exc:
            raise map_oss_error(exc, bucket=bucket, key=key, action=action, endpoint=self.endpoints.oss) from None

    # -- IMM binding ------------------------------------------------------------------------
    def bound_project(self, bucket: str, *, refresh: bool = False) -> str | None:
        """The IMM project bound to ``bucket`` (GetOSSBucketAttachment), cached per process."""
        cache_key = (self.endpoints.imm_url, bucket)
        with _PROJECT_LOCK:
            if not refresh and cache_key in _PROJECT_CACHE:
                return _PROJECT_CACHE[cache_key]
        project = self.imm.bound_project(bucket)
        with _PROJECT_LOCK:
            _PROJECT_CACHE[cache_key] = project
        return project

    def forget_binding(self, bucket: str) -> None:
        with _PROJECT_LOCK:
            _PROJECT_CACHE.pop((self.endpoints.imm_url, bucket), None)

    def _require_project(self, bucket: str) -> str:
        project = self.bound_project(bucket)
        if not project:
            raise ConfigError(
                _("bucket {bucket!r} is not bound to an IMM project").format(bucket=bucket),
                hint=_(
                    "run `mediaproc imm setup --bucket {bucket}` once (video, audio and intelligent "
                    "image operations need the binding)"
                ).format(bucket=bucket),
                code="BucketNotBound",
            )
        return project

    # -- processing -------------------------------------------------------------------------
    def process(self, request: ProcessRequest, progress: ProgressCallback | None = None) -> ProcessResult:
        started = time.monotonic()
        run = _Run()
        try:
            bucket, key = self._source_object(request.source, request, run, progress)
            result = self._dispatch(request, bucket, key, run, progress)
        except MediaprocError as exc:
            self._finish_temps(run, exc)
            raise
        except KeyboardInterrupt:
            if not any(t.keep for t in run.temps):
                self._finish_temps(run, None)
                raise
            # Ctrl-C between submission and a task id: a job may exist and read the kept objects
            err = Interrupted(
                _("interrupted while submitting the job; it may have been started"),
                hint=_("check the target before submitting again"),
            )
            self._finish_temps(run, err)
            raise err from None
        except BaseException:
            self._finish_temps(run, None)
            raise
        self._finish_temps(run, None)
        extra = dict(result.extra)
        kept = [f"oss://{t.bucket}/{t.key}" for t in run.temps if t.keep]
        if kept:
            extra["temporary_keys"] = kept
        return replace(
            result,
            provider=self.name,
            warnings=(*result.warnings, *run.warnings),
            elapsed_seconds=round(time.monotonic() - started, 3),
            extra=extra,
        )

    def _finish_temps(self, run: _Run, exc: MediaprocError | None) -> None:
        """Delete temporary objects no job can still read; report the ones kept."""
        kept: list[str] = []
        for t in run.temps:
            uri = f"oss://{t.bucket}/{t.key}"
            if t.keep:
                kept.append(uri)
                continue
            try:
                # idempotent, and a leftover costs the user money and a clean-up: try harder than
                # an ordinary call (8 attempts ride out a long throttling burst)
                self._call(lambda t=t: self.bucket(t.bucket).delete_object(t.key), bucket=t.bucket, key=t.key,
                           action="DeleteObject", attempts=CLEANUP_ATTEMPTS)
            except Exception as err:  # never mask the real outcome; say what is left behind
                msg = _("could not delete the temporary object {uri}: {error}").format(
                    uri=uri, error=getattr(err, "message", None) or type(err).__name__
                )
                run.warnings.append(msg)
                if exc is not None:
                    exc.details.setdefault("temporary_keys", []).append(uri)
        if kept:
            folders = list(dict.fromkeys(uri.rsplit("/", 1)[0] + "/" for uri in kept))  # one uuid folder each
            note = _(
                "temporary object(s) {keys} are kept while the job may still use them; once it is done, "
                "delete them with {commands}"
            ).format(keys=", ".join(kept), commands=" and ".join(f"`mediaproc rm -r {f}`" for f in folders))
            if exc is not None:
                exc.details.setdefault("temporary_keys", []).extend(kept)
                exc.hint = _joined(exc.hint, note)
            else:
                run.warnings.append(note)

    def _source_object(
        self, src: Location, request: ProcessRequest, run: _Run, progress: ProgressCallback | None
    ) -> tuple[str, str]:
        """The (bucket, key) to process: the object itself, or a temporary upload of a file/URL."""
        if src.scheme == "oss":
            if not src.key or src.key.endswith("/"):
                raise UsageError(
                    _("{src} names no object").format(src=src), hint=_("write oss://BUCKET/KEY with a key")
                )
            return str(src.bucket), src.key
        if src.is_object:
            raise UsageError(
                _("the oss provider cannot read {src}").format(src=src),
                hint=_("download it first, or process it with the matching provider"),
            )
        dest = request.destination
        bucket = dest.bucket if dest is not None and dest.scheme == "oss" else self.settings.bucket
        if not bucket:
            raise UsageError(
                _("a local source needs a bucket to be uploaded to for OSS processing"),
                hint=_("pass --bucket BUCKET (or set MEDIAPROC_BUCKET), or give --to oss://BUCKET/KEY"),
            )
        if dest is not None and dest.scheme == "url":
            raise UsageError(
                _("a signed URL of a local file's result would point at a temporary object"),
                hint=_("upload the file first (`mediaproc upload FILE oss://BUCKET/KEY`), then process that"),
            )
        _refuse_oversized_image(request.chain, Path(str(src.path)).expanduser())
        key = self._stage(src, bucket, run, progress)
        return bucket, key

    def _stage(self, src: Location, bucket: str, run: _Run, progress: ProgressCallback | None) -> str:
        """Upload a local file to a unique temporary key and register it for cleanup.

        URL sources never get here: the service layer (services/sources.py) streams them to a local
        file first, with the size cap, timeouts and redirect bound that apply to every provider."""
        if src.is_url:
            raise UsageError(
                _("the OSS provider takes files and objects; fetch {url} first").format(url=str(src.url).split("?")[0]),
                hint=_("run it through `mediaproc process` (or services.process.execute), which fetches URLs"),
            )
        name = Path(str(src.path)).name
        key = f"{TEMP_PREFIX}{uuid.uuid4().hex}/{name}"
        temp = _Temp(bucket, key)
        path = Path(str(src.path)).expanduser()
        if not path.is_file():
            raise NotFound(
                _("source {path} does not exist").format(path=path),
                hint=_("check the path (relative paths start in {cwd})").format(cwd=Path.cwd()),
            )
        run.temps.append(temp)
        self._upload_file(bucket, key, path, progress, label=_("upload"), temporary=True)
        return key

    def _dispatch(
        self, request: ProcessRequest, bucket: str, key: str, run: _Run, progress: ProgressCallback | None
    ) -> ProcessResult:
        chain = request.chain
        if any(op.name == "blindwatermark-extract" for op in chain):
            return self._decode_watermark(request, bucket, key, run, progress)
        if chain.mode is Mode.ASYNC:
            return self._run_async(request, bucket, key, run, progress)
        from mediaproc.ops.oss import encode as enc

        process = enc.process_string(chain)
        dest = request.destination
        if chain.produces is Produces.JSON:
            return self._sync_data(request, bucket, key, process)
        if dest is None:
            raise UsageError(
                _("{name} writes a result, but no destination was given").format(name=chain[-1].name),
                hint=_("add --to FILE (or --to oss://BUCKET/KEY to save in the bucket, or --url)"),
            )
        if dest.scheme == "url":
            return self._sync_url(request, bucket, key, process)
        if dest.is_local:
            return self._sync_download(request, bucket, key, process, progress)
        if dest.scheme == "oss":
            return self._sync_save(request, bucket, key, process)
        raise UsageError(
            _("cannot save an OSS result to {dest}").format(dest=dest),
            hint=_("save to oss://BUCKET/KEY or a local file, then copy it"),
        )

    # sync -----------------------------------------------------------------------------------
    def _sync_data(self, request: ProcessRequest, bucket: str, key: str, process: str) -> ProcessResult:
        bkt = self.bucket(bucket)

        def fetch() -> tuple[bytes, str]:
            res = bkt.get_object(key, process=process)
            try:
                return res.read(), res.request_id
            finally:
                res.close()

        body, request_id = self._call(fetch, bucket=bucket, key=key, action="GetObject x-oss-process")
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ServiceError(
                _("OSS answered {process} with something that is not JSON").format(process=process),
                code="InvalidResponse",
                request_id=request_id,
            ) from None
        dest = request.destination
        if dest is not None and dest.is_local and dest.path is not None:
            from mediaproc.providers.local.provider import write_json_atomic

            path = dest.path.expanduser()
            size = write_json_atomic(path, data)
            return ProcessResult(
                success=True, mode="file", source=str(request.source), target=str(dest),
                path=str(path.resolve()), size=size, request_id=request_id, operations=process, data=data,
            )
        return ProcessResult(
            success=True, mode="data", source=str(request.source), request_id=request_id,
            operations=process, data=data,
        )

    def _sync_download(
        self, request: ProcessRequest, bucket: str, key: str, process: str, progress: ProgressCallback | None
    ) -> ProcessResult:
        bkt = self.bucket(bucket)
        dest = request.destination
        assert dest is not None and dest.path is not None
        path = dest.path.expanduser()
        size, request_id = self._stream_to_file(
            lambda _offset: bkt.get_object(key, process=process),
            path, bucket=bucket, key=key, total=None, progress=progress, label=_("download"), resumable=False,
        )
        return ProcessResult(
            success=True, mode="file", source=str(request.source), target=str(dest),
            path=str(path.resolve()), size=size, request_id=request_id, operations=process,
            format=_format_of(request.chain, path),
        )

    def _sync_save(self, request: ProcessRequest, bucket: str, key: str, process: str) -> ProcessResult:
        from mediaproc.ops.oss import encode as enc

        dest = request.destination
        assert dest is not None and dest.bucket is not None and dest.key
        if not request.overwrite:
            self._refuse_existing(dest.bucket, dest.key)
        body = _strip_body(enc.sync_save_body(request.chain, dest.bucket, dest.key), "x-oss-process")
        bkt = self.bucket(bucket)
        # sys/saveas writes an object: sent once, never retried
        res = self._call(lambda: bkt.process_object(key, body), bucket=bucket, key=key,
                         action="PostObject x-oss-process (saveas)", retry=False)
        return ProcessResult(
            success=True, mode="save", source=str(request.source), target=str(dest),
            size=int(res.fileSize) if res.fileSize else None, request_id=res.request_id,
            generated_keys=(dest.key,), status=(res.process_status or None), operations=process,
            format=_format_of(request.chain, Path(dest.key)),
        )

    def _sync_url(self, request: ProcessRequest, bucket: str, key: str, process: str) -> ProcessResult:
        url = self.sign(Location("oss", bucket=bucket, key=key), expires=request.expires, process=process)
        return ProcessResult(
            success=True, mode="url", source=str(request.source), target=str(request.destination), url=url,
            operations=process, extra={"expires_at": int(time.time()) + int(request.expires)},
        )

    def _refuse_existing(self, bucket: str, key: str) -> None:
        try:
            self.head(Location("oss", bucket=bucket, key=key))
        except NotFound:
            return
        raise UsageError(
            _("oss://{bucket}/{key} already exists").format(bucket=bucket, key=key),
            hint=_("choose another key, or allow overwriting"),
        )

    # async ----------------------------------------------------------------------------------
    def _run_async(
        self, request: ProcessRequest, bucket: str, key: str, run: _Run, progress: ProgressCallback | None
    ) -> ProcessResult:
        from mediaproc.ops.oss import encode as enc

        chain = request.chain
        op = chain[0]
        dest = request.destination
        local_dest: Path | None = None
        if dest is None or dest.scheme == "url":
            raise UsageError(
                _("{name} runs as an async job that writes its result to the bucket").format(name=op.name),
                hint=_("add --to oss://BUCKET/KEY (or --to FILE to download the result when it is done)"),
            )
        if dest.is_local:
            if not request.wait:
                raise UsageError(
                    _("--no-wait needs the result saved in the bucket"),
                    hint=_("use --to oss://BUCKET/KEY with --no-wait, then `mediaproc download` it"),
                )
            local_dest = Path(str(dest.path)).expanduser()
            name = local_dest.name if chain.produces is not Produces.FILES else (local_dest.name or "frame")
            out_bucket, out_key = bucket, f"{TEMP_PREFIX}{uuid.uuid4().hex}/{name}"
            if chain.produces is Produces.FILES:
                out_key = str(PurePosixPath(out_key).with_suffix(""))
            out_temp: _Temp | None = _Temp(out_bucket, out_key)
        elif dest.scheme == "oss" and dest.bucket and dest.key:
            out_bucket, out_key = dest.bucket, dest.key
            out_temp = None
        else:
            raise UsageError(
                _("cannot save an OSS result to {dest}").format(dest=dest),
                hint=_("save to oss://BUCKET/KEY or a local file"),
            )
        if not request.overwrite and dest.scheme == "oss":
            self._refuse_existing(out_bucket, out_key)
        inputs = self._stage_inputs(request.inputs, bucket, run, progress)
        if inputs:
            run.warnings.extend(self._check_concat(op, bucket, key, inputs))

        project: str | None = None
        if request.wait:
            project = self._project_or_fallback(bucket, run)
        before = self._object_state(out_bucket, out_key, chain.produces) if request.wait and project is None else None

        body = _strip_body(
            enc.async_body(chain, out_bucket, out_key, notify_topic=request.notify_topic, inputs=inputs),
            "x-oss-async-process",
        )
        for t in run.temps:
            t.keep = True  # from here on a job may read them
        bkt = self.bucket(bucket)
        self.credentials.get()
        try:
            res = bkt.async_process_object(key, body)  # exactly once: a retry can duplicate the job
        except oe.ServerError as exc:  # the service answered: no job exists
            for t in run.temps:
                t.keep = False
            raise map_oss_error(exc, bucket=bucket, key=key, action="PostObject x-oss-async-process") from None
        except Exception as exc:
            err = map_oss_error(exc, bucket=bucket, key=key, action="PostObject x-oss-async-process",
                                endpoint=self.endpoints.oss)
            err.hint = _(
                "the request may or may not have reached OSS, so it was not repeated (a repeat could "
                "start a second job); check the target before submitting again"
            )
            raise err from None
        task_id = res.task_id or ""
        request_id = res.request_id or res.async_request_id
        if not task_id:
            raise ServiceError(
                _("OSS accepted the async request but returned no TaskId"),
                hint=_("check the target object later; the request id helps Alibaba Cloud support"),
                code="NoTaskId", request_id=request_id,
            )
        process = enc.process_string(chain)
        target = str(dest)
        if out_temp is not None:
            run.temps.append(out_temp)
            out_temp.keep = True
        if not request.wait:
            return ProcessResult(
                success=True, mode="save", source=str(request.source), target=target, request_id=request_id,
                task_id=task_id, status="queued", operations=process, generated_keys=(out_key,),
                extra={"event_id": res.event_id} if res.event_id else {},
            )
        job = self._job_for(task_id, project, out_bucket, out_key, chain.produces, before, request_id)
        final = self._wait(job, request, run, progress)
        for t in run.temps:
            t.keep = False  # the job is over
        keys = self._generated(out_bucket, out_key, chain.produces)
        size = self._size_of(out_bucket, keys)
        if local_dest is not None:
            path, size = self._fetch_results(out_bucket, keys, local_dest, chain.produces, run, progress)
            return ProcessResult(
                success=True, mode="file", source=str(request.source), target=target, path=str(path),
                size=size, request_id=request_id, task_id=task_id, status=final.state.value,
                generated_keys=tuple(str(path / PurePosixPath(k).name) for k in keys) if len(keys) > 1 else (),
                operations=process,
            )
        return ProcessResult(
            success=True, mode="save", source=str(request.source), target=target, size=size,
            request_id=request_id, task_id=task_id, status=final.state.value, generated_keys=keys,
            operations=process,
        )

    def _project_or_fallback(self, bucket: str, run: _Run) -> str | None:
        try:
            return self._require_project(bucket)
        except MediaprocError as exc:
            if not imm_unreachable(exc):
                raise
            run.warnings.append(
                _(
                    "IMM is not reachable ({reason}); completion is inferred from the target object "
                    "appearing, so a failed job shows up as a timeout and there is no progress"
                ).format(reason=exc.message)
            )
            return None

    def _job_for(
        self, task_id: str, project: str | None, out_bucket: str, out_key: str, output: Produces,
        before: str | None, request_id: str | None,
    ) -> Any:
        from mediaproc.providers.oss.jobs import ImmTaskJob, ObjectAppearanceJob

        if project is not None:
            return ImmTaskJob(self.imm, project, task_id, request_id=request_id, generated_keys=(out_key,))
        return ObjectAppearanceJob(
            task_id, lambda: self._object_state(out_bucket, out_key, output), before, generated_keys=(out_key,)
        )

    def _wait(self, job: Any, request: ProcessRequest, run: _Run, progress: ProgressCallback | None) -> Any:
        from mediaproc import jobs

        timeout = request.timeout if request.timeout is not None else self.settings.wait_timeout
        try:
            return jobs.wait(job, timeout=timeout, progress=progress)
        except JobFailed as exc:
            for t in run.temps:
                t.keep = False  # the job is over: nothing reads the temporary source any more
            raise with_service_code(exc, job.task_id) from None
        except (TimedOut, Interrupted) as exc:
            exc.task_id = exc.task_id or job.task_id
            raise
        except KeyboardInterrupt:
            raise Interrupted(
                _("interrupted while waiting for {task_id}").format(task_id=job.task_id),
                hint=_("the job keeps running; `mediaproc job wait {task_id}` picks it up").format(
                    task_id=job.task_id
                ),
                task_id=job.task_id,
            ) from None

    def _object_state(self, bucket: str, key: str, output: Produces) -> str | None:
        """What the target looks like now (etag[s]), None when absent: the fallback's probe."""
        if output is Produces.FILES:
            keys = [o.key + (o.etag or "") for o in self.list_objects(Location("oss", bucket=bucket, key=key))]
            return "|".join(keys) if keys else None
        try:
            info = self.head(Location("oss", bucket=bucket, key=key))
        except NotFound:
            return None
        return f"{info.etag}:{info.size}:{info.last_modified}"

    def _generated(self, bucket: str, key: str, output: Produces) -> tuple[str, ...]:
        if output is Produces.FILES or output is Produces.PLAYLIST:
            # the service numbers the files after the target key: <key>_0_1.jpg, <key>_0_2.jpg, ...
            found = tuple(
                o.key for o in self.list_objects(Location("oss", bucket=bucket, key=key))
                if not o.is_prefix and (o.key == key or o.key[len(key):][:1] in ("_", ".", "-", "/"))
            )
            if found:
                return found
        return (key,)

    def _size_of(self, bucket: str, keys: tuple[str, ...]) -> int | None:
        total = 0
        for k in keys:
            try:
                total += self.head(Location("oss", bucket=bucket, key=k)).size or 0
            except NotFound:
                return None
        return total

    def _fetch_results(
        self, bucket: str, keys: tuple[str, ...], local: Path, output: Produces, run: _Run,
        progress: ProgressCallback | None,
    ) -> tuple[Path, int]:
        """Download an async job's temporary output(s) to the local destination, then delete them."""
        known = {(t.bucket, t.key) for t in run.temps}
        run.temps.extend(_Temp(bucket, k) for k in keys if k.startswith(TEMP_PREFIX) and (bucket, k) not in known)
        if len(keys) == 1 and output is not Produces.FILES:
            info = self.download(Location("oss", bucket=bucket, key=keys[0]), local, progress)
            return local.resolve(), info.size or 0
        local.mkdir(parents=True, exist_ok=True)
        total = 0
        for k in keys:
            info = self.download(Location("oss", bucket=bucket, key=k), local / PurePosixPath(k).name, progress)
            total += info.size or 0
        return local.resolve(), total

    def _stage_inputs(
        self, inputs: tuple[ConcatInput, ...], bucket: str, run: _Run, progress: ProgressCallback | None
    ) -> tuple[ConcatInput, ...]:
        """Concat inputs that are local files are uploaded next to the source (temporary keys)."""
        staged: list[ConcatInput] = []
        for item in inputs:
            loc = item.location
            if loc.scheme == "oss":
                if loc.bucket != bucket:
                    raise UsageError(
                        _("concat inputs must be in the source's bucket ({bucket}), not {loc}").format(
                            bucket=bucket, loc=loc
                        ),
                        hint=_("copy the input into oss://{bucket}/ first").format(bucket=bucket),
                    )
                staged.append(item)
                continue
            key = self._stage(loc, bucket, run, progress)
            staged.append(replace(item, location=Location("oss", bucket=bucket, key=key)))
        return tuple(staged)

    def _check_concat(self, op: Op, bucket: str, key: str, inputs: tuple[ConcatInput, ...]) -> list[str]:
        """Every input (``/pre`` too) is probed with video/info / audio/info before submission."""
        info_op = "audio/info" if op.name.startswith("audio/") else "video/info"

        def probe(k: str) -> dict[str, Any]:
            bkt = self.bucket(bucket)

            def fetch() -> bytes:
                res = bkt.get_object(k, process=info_op)
                try:
                    return res.read()
                finally:
                    res.close()

            body = self._call(fetch, bucket=bucket, key=k, action=info_op)
            try:
                return json.loads(body.decode("utf-8"))
            except ValueError:
                return {}

        ordered = [str(i.location.key) for i in inputs if i.position == "pre"]
        ordered += [key, *(str(i.location.key) for i in inputs if i.position != "pre")]
        infos = {k: probe(k) for k in ordered}  # in playing order, as the rules expect
        from mediaproc.ops.concat import check_infos

        problems = check_infos(op, infos)
        errors = [p for p in problems if not p.warning]
        if errors:
            from mediaproc.errors import InvalidOperation

            raise InvalidOperation(errors[0].message, hint=errors[0].hint)
        return [p.message for p in problems]

    # blind watermark (IMM) ------------------------------------------------------------------
    def _decode_watermark(
        self, request: ProcessRequest, bucket: str, key: str, run: _Run, progress: ProgressCallback | None
    ) -> ProcessResult:
        from mediaproc.providers.oss.jobs import ImmTaskJob

        op = request.chain[0]
        project = self.settings.imm_project or self._require_project(bucket)

        def wire(name: str) -> str | None:
            value = op.get(name)
            if value is None:
                return None
            spec = op.spec.param(name)
            mapping = getattr(spec, "wire_values", {}) if spec is not None else {}
            return str(mapping.get(value, value))

        for t in run.temps:
            t.keep = True
        try:
            created = self.imm.create_decode_blind_watermark_task(
                project, f"oss://{bucket}/{key}", model=wire("model"), strength=wire("s")
            )
        except MediaprocError as exc:
            if exc.status is not None:
                for t in run.temps:
                    t.keep = False
            raise
        task_id = str(created.get("TaskId") or "")
        if not request.wait:
            return ProcessResult(
                success=True, mode="data", source=str(request.source), task_id=task_id, status="queued",
                request_id=created.get("RequestId"),
            )
        job = ImmTaskJob(self.imm, project, task_id, request_id=created.get("RequestId"))
        final = self._wait(job, request, run, progress)
        for t in run.temps:
            t.keep = False
        body = self.imm.get_decode_blind_watermark_result(project, task_id)
        data = {"Content": body.get("Content")}
        return ProcessResult(
            success=True, mode="data", source=str(request.source), request_id=body.get("RequestId"),
            task_id=task_id, status=final.state.value, data=data,
        )

    # -- jobs -------------------------------------------------------------------------------
    def job(self, task_id: str) -> Any:
        from mediaproc.providers.oss.jobs import ImmTaskJob, task_type_of

        task_type_of(task_id)  # validate before any network call
        project = self.settings.imm_project
        if not project and self.settings.bucket:
            project = self._require_project(self.settings.bucket)
        if not project:
            raise UsageError(
                _("which IMM project holds task {task_id}?").format(task_id=task_id),
                hint=_("pass --bucket BUCKET (the bucket the job ran on) or --imm-project PROJECT"),
            )
        return ImmTaskJob(self.imm, project, task_id)

    # -- objects ----------------------------------------------------------------------------
    def upload(self, local: Path, dest: Location, progress: ProgressCallback | None = None) -> ObjectInfo:
        path = Path(local).expanduser()
        if not path.is_file():
            raise NotFound(
                _("{path} does not exist or is not a file").format(path=path), hint=_("check the path")
            )
        key = dest.key or ""
        if not key or key.endswith("/"):
            key += path.name
        return self._upload_file(str(dest.bucket), key, path, progress, label=_("upload"))

    def _upload_file(
        self, bucket: str, key: str, path: Path, progress: ProgressCallback | None, *, label: str,
        temporary: bool = False,
    ) -> ObjectInfo:
        """Resumable multipart upload (parts stream from disk; a failed attempt resumes from the
        checkpoint oss2 keeps in the cache dir, so a reset connection costs one part, not the file)."""
        bkt = self.bucket(bucket)
        size = path.stat().st_size
        store = _RecordingStore(str(_cache_dir()))
        lock = threading.Lock()

        def report(done: int, total: int | None) -> None:
            if progress is not None:
                with lock:
                    progress(ProgressEvent(float(done), float(total or size), "bytes", label))

        def attempt() -> Any:
            return oss2.resumable_upload(
                bkt, key, str(path), store=store, multipart_threshold=MULTIPART_THRESHOLD,
                part_size=PART_SIZE, progress_callback=report if progress is not None else None,
                num_threads=self._threads(),
            )

        try:
            res = self._call(attempt, bucket=bucket, key=key, action="upload")
        except BaseException:
            if temporary and store.upload_id:  # nobody will resume a temporary upload
                with suppress(Exception):
                    bkt.abort_multipart_upload(key, store.upload_id)
                with suppress(Exception):
                    if store.record_key:
                        store.delete(store.record_key)
            raise
        return ObjectInfo(key=key, size=size, etag=getattr(res, "etag", None), request_id=res.request_id)

    def download(self, src: Location, local: Path, progress: ProgressCallback | None = None) -> ObjectInfo:
        bucket, key = str(src.bucket), src.key or ""
        if not key or key.endswith("/"):
            raise UsageError(_("{src} names no object").format(src=src), hint=_("write oss://BUCKET/KEY"))
        raw = self._head_raw(bucket, key)
        head = self._info(key, raw)
        path = Path(local).expanduser()
        if path.is_dir():
            path = path / PurePosixPath(key).name
        if not path.parent.is_dir():
            raise UsageError(
                _("the destination folder {folder} does not exist").format(folder=path.parent),
                hint=_("create it first (mkdir -p {folder})").format(folder=path.parent),
            )
        bkt = self.bucket(bucket)
        etag = head.etag

        def open_at(offset: int) -> Any:
            if offset > 0:
                headers = {"If-Match": f'"{etag}"'} if etag else None
                return bkt.get_object(key, byte_range=(offset, None), headers=headers)
            return bkt.get_object(key)

        crc = getattr(raw, "server_crc", None)  # x-oss-hash-crc64ecma: checked over the whole file
        size, request_id = self._stream_to_file(
            open_at, path, bucket=bucket, key=key, total=head.size, progress=progress, label=_("download"),
            resumable=True, expected_crc=crc,
        )
        return ObjectInfo(key=str(path.resolve()), size=size, etag=etag, last_modified=head.last_modified,
                          content_type=head.content_type, request_id=request_id)

    def _stream_to_file(
        self, open_at: Callable[[int], Any], dest: Path, *, bucket: str, key: str, total: int | None,
        progress: ProgressCallback | None, label: str, resumable: bool, expected_crc: int | None = None,
    ) -> tuple[int, str | None]:
        """Stream a GET into ``dest`` atomically: a temp file beside it, renamed at the end, removed on
        any failure or Ctrl-C. A plain object resumes from the byte it reached (Range) after a
        transient error; a processed result starts over (its bytes are not addressable)."""
        from oss2.utils import Crc64

        fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".mediaproc-part", dir=dest.parent)
        tmp = Path(tmp_name)
        state: dict[str, Any] = {"written": 0, "crc": Crc64(0), "rid": None, "total": total}

        def attempt(fh: Any) -> None:
            offset = state["written"] if resumable else 0
            res = open_at(offset)
            try:
                if offset and res.status != 206:  # Range ignored: start over
                    offset = 0
                if offset == 0:
                    fh.seek(0)
                    fh.truncate()
                    state["written"], state["crc"] = 0, Crc64(0)
                state["rid"] = res.request_id
                length = res.content_length
                expect = offset + length if length is not None else None
                if state["total"] is None:
                    state["total"] = expect
                for chunk in res.resp.response.iter_content(CHUNK):
                    fh.write(chunk)
                    state["crc"].update(chunk)
                    state["written"] += len(chunk)
                    if progress is not None:
                        progress(ProgressEvent(float(state["written"]), state["total"], "bytes", label))
                if expect is not None and state["written"] != expect:
                    raise TruncatedBody(f"received {state['written']} of {expect} bytes")
            finally:
                with suppress(Exception):
                    res.close()

        try:
            with os.fdopen(fd, "wb") as fh:
                self._call(lambda: attempt(fh), bucket=bucket, key=key, action="GetObject")
                fh.flush()
                os.fsync(fh.fileno())
            if expected_crc is not None and state["crc"].crc != expected_crc:
                raise ServiceError(
                    _("the data received from oss://{bucket}/{key} is corrupt (CRC mismatch)").format(
                        bucket=bucket, key=key
                    ),
                    hint=_("try again; if it persists, check proxies between this machine and OSS"),
                    code="InconsistentData", request_id=state["rid"],
                )
            os.replace(tmp, dest)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return int(state["written"]), state["rid"]

    def _head_raw(self, bucket: str, key: str) -> Any:
        bkt = self.bucket(bucket)
        return self._call(lambda: bkt.head_object(key), bucket=bucket, key=key, action="HeadObject")

    @staticmethod
    def _info(key: str, res: Any) -> ObjectInfo:
        return ObjectInfo(
            key=key, size=res.content_length, etag=res.etag, last_modified=res.last_modified,
            content_type=res.content_type, request_id=res.request_id,
        )

    def head(self, loc: Location) -> ObjectInfo:
        key = loc.key or ""
        return self._info(key, self._head_raw(str(loc.bucket), key))

    def list_objects(self, prefix: Location, *, recursive: bool = True) -> Iterator[ObjectInfo]:
        bucket = str(prefix.bucket)
        bkt = self.bucket(bucket)
        self.credentials.get()
        it = oss2.ObjectIteratorV2(bkt, prefix=prefix.key or "", delimiter="" if recursive else "/", max_keys=1000)
        try:
            for obj in it:
                if obj.is_prefix():
                    yield ObjectInfo(key=obj.key, is_prefix=True)
                else:
                    yield ObjectInfo(key=obj.key, size=obj.size, etag=obj.etag, last_modified=obj.last_modified)
        except MediaprocError:
            raise
        except Exception as exc:
            raise map_oss_error(exc, bucket=bucket, action="ListObjectsV2", endpoint=self.endpoints.oss) from None

    def delete(self, loc: Location) -> None:
        """Delete one object; a missing object is NotFound (OSS itself would answer 204)."""
        bucket, key = str(loc.bucket), loc.key or ""
        if not key:
            raise UsageError(_("{loc} names no object").format(loc=loc), hint=_("write oss://BUCKET/KEY"))
        self.head(loc)
        bkt = self.bucket(bucket)
        self._call(lambda: bkt.delete_object(key), bucket=bucket, key=key, action="DeleteObject")

    def sign(self, loc: Location, *, expires: int = 3600, process: str | None = None) -> str:
        """A V4 pre-signed GET URL (checked to exist first, so a typo is exit 4, not a dead link)."""
        bucket, key = str(loc.bucket), loc.key or ""
        if not key:
            raise UsageError(_("{loc} names no object").format(loc=loc), hint=_("write oss://BUCKET/KEY"))
        self.head(loc)
        bkt = self.bucket(bucket)
        params = {"x-oss-process": process} if process else None
        return self._call(
            lambda: bkt.sign_url("GET", key, int(expires), params=params, slash_safe=True),
            bucket=bucket, key=key, action="sign", retry=False,
        )

    # -- checks (doctor) --------------------------------------------------------------------
    def bucket_info(self, bucket: str) -> dict[str, Any]:
        bkt = self.bucket(bucket)
        res = self._call(lambda: bkt.get_bucket_info(), bucket=bucket, key=None, action="GetBucketInfo")
        return {
            "name": getattr(res, "name", bucket),
            "location": getattr(res, "location", None),
            "storage_class": getattr(res, "storage_class", None),
            "request_id": res.request_id,
        }


def _joined(first: str | None, more: str) -> str:
    """``first; more``, keeping the English twin of translated messages (JSON output uses it)."""
    if not first:
        return more
    from mediaproc.i18n import Message

    return Message(f"{first}; {more}", f"{getattr(first, 'en', first)}; {getattr(more, 'en', more)}")


def with_service_code(exc: JobFailed, task_id: str) -> JobFailed:
    """The one-line message names the service's code too (the human output shows only the message)."""
    exc.task_id = exc.task_id or task_id
    if exc.code and exc.code not in exc.message:
        exc.message = _("{task_id} failed: {code}: {message}").format(
            task_id=exc.task_id, code=exc.code, message=exc.message
        )
        exc.args = (exc.message,)
    return exc


def _format_of(chain: Chain, path: Path) -> str | None:
    for op in reversed(chain.ops):
        if op.name == "format" and op.get("target"):
            return str(op.get("target"))
    suffix = path.suffix.lower().lstrip(".")
    return {"jpeg": "jpg"}.get(suffix, suffix) or None
