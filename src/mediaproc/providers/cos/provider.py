"""The Tencent COS provider: Cloud Infinite rules, ``Pic-Operations``, media jobs, objects.

Everything goes through qcloud_cos (cos-python-sdk-v5); this module (with its ``cos_*`` helpers) is
the only one that imports it. What is sent is built by ``mediaproc.ops.cos.encoding`` - the same encoder
``--dry-run`` shows and ``mediaproc serve`` reads back.

How each request is made (SPEC.md §6):

- image chain to a file: ``GET /<key>?<rule>`` (the rule is a query key with an empty value),
  streamed into a temporary file beside the destination and renamed into place;
- image chain into the bucket: ``POST /<key>?image_process`` with ``Pic-Operations`` (fileid is
  the absolute destination key); for a local source, process on upload: ``PUT`` the file to a
  temporary key with ``Pic-Operations``, then delete the temporary original;
- signed URL: ``get_presigned_url`` with the rule as a signed parameter;
- ``info`` / ``average-hue``: ``?imageInfo`` (+ ``?exif``) / ``?imageAve``, normalised to OSS JSON;
- ``crop g=auto``: ``ci-process=AIImageCrop`` (its own query parameters, or a Pic-Operations rule);
- ``blindwatermark-extract``: ``POST ?image_process`` with ``watermark/4``, the text read back from
  the rule's temporary ``fileid`` object;
- ``video/snapshot`` / ``video/info``: ``ci-process=snapshot`` / ``ci-process=videoinfo``;
- other media operations: one ``POST /jobs`` per request, never retried (a second attempt could
  create a second job: the job client has ``retry=0``, and ``Content-Type: application/xml`` is set
  because the SDK does not), then ``GET /jobs/<id>`` until done (:mod:`mediaproc.jobs`).

A local source goes to ``.mediaproc-tmp/<uuid>/<name>`` in the bucket and is deleted afterwards,
on error and Ctrl-C too - but never while a job still reads it: a job is cancelled and seen to
stop first. The SDK's logger is silenced (it logs the Authorization header and derived signing keys
at DEBUG); with ``--debug`` it logs at INFO through a filter that redacts signatures and tokens.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from email.utils import parsedate_to_datetime
from pathlib import Path, PurePosixPath
from typing import Any

from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_auth import CosS3Auth
from qcloud_cos.cos_exception import CosClientError, CosServiceError

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
from mediaproc.ops import cos as enc
from mediaproc.ops.model import Chain, Produces
from mediaproc.progress import ProgressCallback, ProgressEvent
from mediaproc.providers.base import ConcatInput, ProcessRequest, Provider
from mediaproc.providers.cos.config import config_kwargs, credentials_from_env, require_region
from mediaproc.providers.cos.errors import redact, translate
from mediaproc.providers.cos.jobs import CosJob
from mediaproc.results import ObjectInfo, ProcessResult

TEMP_PREFIX = ".mediaproc-tmp"
MAX_EXTRACTED = 64 * 1024  # an extracted text watermark is at most 256 characters
CHUNK = 1024 * 1024
SDK_LOGGERS = ("qcloud_cos", "qcloud_cos.cos_client", "qcloud_cos.cos_auth", "qcloud_cos.cos_threadpool")


class _RedactFilter(logging.Filter):
    """With --debug: SDK records at INFO, signatures/tokens/keys removed, derived keys dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:
            return False
        if any(w in text for w in ("sign_key", "str_to_sign", "format str", "sign: ")):
            return False
        record.msg, record.args = redact(text), ()
        return True


def quiet_sdk_logging(debug: bool) -> None:
    """The SDK logs the Authorization header and its signing key at DEBUG, and 4xx bodies at ERROR
    (which Python's last-resort handler would print). Silence it; with --debug keep INFO, redacted."""
    for name in SDK_LOGGERS:
        logger = logging.getLogger(name)
        for f in list(logger.filters):
            if isinstance(f, _RedactFilter):
                logger.removeFilter(f)
        if debug:
            logger.setLevel(logging.INFO)
            logger.addFilter(_RedactFilter())
            logger.propagate = True
        else:
            logger.setLevel(logging.CRITICAL + 1)
            logger.propagate = False


def temp_key(name: str) -> str:
    return f"{TEMP_PREFIX}/{uuid.uuid4().hex}/{PurePosixPath(name).name or 'source'}"


def _mtime(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


class _AtomicFile:
    """A temp file in the destination folder, renamed into place on success, removed otherwise."""

    def __init__(self, dest: Path) -> None:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".mediaproc-", suffix=".part", dir=dest.parent)
        self.dest = dest
        self.tmp = Path(name)
        self.fh = os.fdopen(fd, "wb")

    def commit(self) -> int:
        self.fh.close()
        os.replace(self.tmp, self.dest)
        return self.dest.stat().st_size

    def discard(self) -> None:
        with contextlib.suppress(Exception):
            self.fh.close()
        self.tmp.unlink(missing_ok=True)


class CosProvider(Provider):
    name = "cos"
    PART_SIZE_MB = 8  # upload_file switches to multipart above this size (tests lower it)
    THREADS = 4

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self._client: Any = None
        self._job_client: Any = None
        self._region: str | None = None
        self._token: str | None = None
        self._ip_mode = False

    # -- setup ------------------------------------------------------------------------------------
    def _setup(self) -> None:
        if self._client is not None:
            return
        quiet_sdk_logging(bool(self.settings.debug))
        creds = credentials_from_env()
        region = require_region(self.settings)
        try:
            conf = CosConfig(**config_kwargs(self.settings, creds, region))  # secrets: never log it
        except CosClientError as exc:
            raise ConfigError(
                _("invalid COS configuration: {reason}").format(reason=redact(str(exc))),
                hint=_("check --region, --endpoint and the credential variables"),
            ) from None
        kwargs = config_kwargs(self.settings, creds, region)
        self._ip_mode = "IP" in kwargs
        self._region = region
        self._token = creds.token
        self._client = CosS3Client(conf, retry=3)
        self._job_client = CosS3Client(conf, retry=0)  # job submission: exactly once

    @property
    def client(self) -> Any:
        self._setup()
        return self._client

    @property
    def region(self) -> str:
        self._setup()
        assert self._region is not None
        return self._region

    def _call(self, action: str, fn: Callable[..., Any], *args: Any, target: str = "", **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (CosServiceError, CosClientError) as exc:
            raise translate(exc, action=action, target=target) from None

    def _bucket_of(self, loc: Location) -> tuple[str, str]:
        if loc.scheme != "cos" or not loc.bucket:
            raise UsageError(
                _("{location} is not a cos:// object").format(location=loc),
                hint=_("write cos://BUCKET-APPID/KEY"),
            )
        return loc.bucket, loc.key or ""

    def _work_bucket(self, request: ProcessRequest) -> str:
        """Where a local source is uploaded: the source/destination bucket or --bucket."""
        for loc in (request.source, request.destination):
            if loc is not None and loc.scheme == "cos" and loc.bucket:
                return loc.bucket
        if self.settings.bucket:
            return self.settings.bucket
        raise ConfigError(
            _("a local file needs a COS bucket to be processed in"),
            hint=_("pass --bucket BUCKET-APPID (it receives a temporary copy that is deleted afterwards)"),
        )

    # -- objects ------------------------------------------------------------------------------------
    def put_file(self, bucket: str, key: str, local: Path, progress: ProgressCallback | None) -> dict[str, Any]:
        size = local.stat().st_size
        cb = None
        if progress is not None:

            def cb(consumed: int, total: int) -> None:
                progress(ProgressEvent(completed=consumed, total=total or size, unit="bytes", label="upload"))

        result = self._call(
            "upload",
            self.client.upload_file,
            Bucket=bucket,
            Key=key,
            LocalFilePath=str(local),
            PartSize=self.PART_SIZE_MB,
            MAXThread=self.THREADS,
            progress_callback=cb,
            target=f"cos://{bucket}/{key}",
        )
        if progress is not None:
            progress(ProgressEvent(completed=size, total=size, unit="bytes", label="upload"))
        return dict(result or {})

    def upload(self, local: Path, dest: Location, progress: ProgressCallback | None = None) -> ObjectInfo:
        bucket, key = self._bucket_of(dest)
        local = Path(local)
        if not local.is_file():
            raise NotFound(_("{path} does not exist").format(path=local), hint=_("check the path"))
        if not key or key.endswith("/"):
            key = f"{key}{local.name}"
        result = self.put_file(bucket, key, local, progress)
        etag = str(result.get("ETag", "")).strip('"') or None
        return ObjectInfo(key=key, size=local.stat().st_size, etag=etag, request_id=result.get("x-cos-request-id"))

    def _stream_to(self, rt_body: Any, dest: Path, total: int | None, progress: ProgressCallback | None) -> int:
        out = _AtomicFile(dest)
        done = 0
        try:
            for chunk in rt_body:
                if chunk:
                    out.fh.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(ProgressEvent(completed=done, total=total, unit="bytes", label="download"))
            if total is not None and done != total:
                raise ServiceError(
                    _("the download of {path} stopped after {done} of {total} bytes").format(
                        path=dest.name, done=done, total=total
                    ),
                    hint=_("run the command again"),
                )
            return out.commit()
        except BaseException:
            out.discard()
            raise

    def _get_stream(self, bucket: str, key: str, params: dict[str, str] | None = None) -> Any:
        """A streamed GET, with processing parameters as signed query keys (``ci_get_object``'s
        request, but read here so the file is written atomically)."""
        conf = self.client.get_conf()
        url = conf.uri(bucket=bucket, path=key)
        params = dict(params or {})
        try:
            return self.client.send_request(
                method="GET",
                url=url,
                bucket=bucket,
                stream=True,
                auth=CosS3Auth(conf, key, params=params),
                params=params,
                headers={},
            )
        except (CosServiceError, CosClientError) as exc:
            action = "process the image" if params else "download"
            raise translate(exc, action=action, target=f"cos://{bucket}/{key}") from None

    def _download_to(
        self, bucket: str, key: str, dest: Path, progress: ProgressCallback | None, params: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        rt = self._get_stream(bucket, key, params)
        try:
            length = rt.headers.get("Content-Length")
            total = int(length) if length and not rt.headers.get("Content-Encoding") else None
            size = self._stream_to(rt.iter_content(CHUNK), dest, total, progress)
        except MediaprocError:
            raise
        except (OSError, CosClientError) as exc:
            raise ServiceError(
                _("the download of cos://{bucket}/{key} failed: {reason}").format(
                    bucket=bucket, key=key, reason=redact(str(exc))[:200]
                ),
                hint=_("run the command again"),
            ) from None
        finally:
            rt.close()
        return size, rt.headers

    def download(self, src: Location, local: Path, progress: ProgressCallback | None = None) -> ObjectInfo:
        bucket, key = self._bucket_of(src)
        local = Path(local)
        if local.is_dir():
            local = local / PurePosixPath(key).name
        size, headers = self._download_to(bucket, key, local, progress)
        return ObjectInfo(
            key=str(local),
            size=size,
            etag=str(headers.get("ETag", "")).strip('"') or None,
            last_modified=_mtime(headers.get("Last-Modified")),
            content_type=headers.get("Content-Type"),
            request_id=headers.get("x-cos-request-id"),
        )

    def head(self, loc: Location) -> ObjectInfo:
        bucket, key = self._bucket_of(loc)
        h = self._call("read the object", self.client.head_object, Bucket=bucket, Key=key, target=str(loc))
        return ObjectInfo(
            key=key,
            size=int(h.get("Content-Length", 0) or 0),
            etag=str(h.get("ETag", "")).strip('"') or None,
            last_modified=_mtime(h.get("Last-Modified")),
            content_type=h.get("Content-Type"),
            request_id=h.get("x-cos-request-id"),
        )

    def list_objects(self, prefix: Location, *, recursive: bool = True) -> Iterator[ObjectInfo]:
        bucket, key = self._bucket_of(prefix)
        marker = ""
        while True:
            data = self._call(
                "list objects",
                self.client.list_objects,
                Bucket=bucket,
                Prefix=key,
                Delimiter="" if recursive else "/",
                Marker=marker,
                MaxKeys=1000,
                target=str(prefix),
            )
            for item in data.get("Contents") or []:
                yield ObjectInfo(
                    key=item["Key"],
                    size=int(item.get("Size", 0) or 0),
                    etag=str(item.get("ETag", "")).strip('"') or None,
                    last_modified=_iso_ts(item.get("LastModified")),
                )
            for p in data.get("CommonPrefixes") or []:
                yield ObjectInfo(key=p["Prefix"], is_prefix=True)
            if str(data.get("IsTruncated", "false")).lower() != "true":
                return
            marker = data.get("NextMarker") or ""
            if not marker:
                return

    def delete(self, loc: Location) -> None:
        bucket, key = self._bucket_of(loc)
        self._call("delete", self.client.delete_object, Bucket=bucket, Key=key, target=str(loc))

    def delete_quietly(self, bucket: str, key: str) -> None:
        with contextlib.suppress(Exception):
            self.client.delete_object(Bucket=bucket, Key=key)

    def sign(self, loc: Location, *, expires: int = 3600, process: str | None = None) -> str:
        bucket, key = self._bucket_of(loc)
        params = enc.rule_params(process) if process else {}
        return self._presign(bucket, key, expires, params)

    def _presign(self, bucket: str, key: str, expires: int, params: dict[str, str]) -> str:
        params = dict(params)
        if self._token is None:
            self._setup()
        if self._token:
            params["x-cos-security-token"] = self._token
        headers: dict[str, str] = {}
        if self._ip_mode:
            # An IP endpoint (mediaproc serve): the URL's host cannot name the bucket, so sign the
            # bucket's virtual host, which the fetch sends as Host (as the SDK does for requests).
            headers["Host"] = self.client.get_conf().get_host(Bucket=bucket)
        return str(
            self._call(
                "sign a URL",
                self.client.get_presigned_url,
                Bucket=bucket,
                Key=key,
                Method="GET",
                Expired=expires,
                Params=params,
                Headers=headers,
            )
        )

    # -- jobs ----------------------------------------------------------------------------------------
    def job(self, task_id: str) -> CosJob:
        bucket = self.settings.bucket
        if not bucket:
            raise ConfigError(
                _("looking up a COS job needs its bucket"),
                hint=_("pass --bucket BUCKET-APPID (the bucket the job was submitted to)"),
            )
        return CosJob(self.client, bucket, task_id, self._wrap)

    def _wrap(self, action: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        return self._call(action, fn, **kwargs)

    def list_jobs(self, bucket: str, *, tag: str = "Transcode", states: str = "All", size: int = 10) -> list[Any]:
        data = self._call("list jobs", self.client.ci_list_media_jobs, Bucket=bucket, Tag=tag, States=states, Size=size)
        return list(data.get("JobsDetail") or [])

    def _submit(self, bucket: str, body: dict[str, Any]) -> tuple[str, str | None]:
        try:
            data = self._job_client.ci_create_media_jobs(
                Bucket=bucket, Jobs=body, Lst={}, ContentType="application/xml"
            )
        except CosServiceError as exc:
            raise translate(exc, action="submit the media job", target=f"cos://{bucket}") from None
        except CosClientError as exc:
            raise ServiceError(
                _("the job submission did not get an answer: {reason}").format(reason=redact(str(exc))[:200]),
                hint=_("it was not retried (a retry can create a second job); check `mediaproc cos jobs list`"),
                code="ClientError",
            ) from None
        details = data.get("JobsDetail") or []
        job_id = str(details[0].get("JobId", "")) if details else ""
        if not job_id:
            raise ServiceError(
                _("COS accepted the job but returned no job id"), hint=_("check `mediaproc cos jobs list`")
            )
        return job_id, None

    # -- processing ----------------------------------------------------------------------------------
    def process(self, request: ProcessRequest, progress: ProgressCallback | None = None) -> ProcessResult:
        self._setup()
        chain = request.chain
        src = request.source
        dest = request.destination
        kind = enc.request_kind(chain)
        if src.is_url:
            raise UsageError(
                _("the cos provider processes objects, not URLs"),
                hint=_("download the file first, or upload it with `mediaproc upload`"),
            )
        bucket = src.bucket if src.scheme == "cos" and src.bucket else self._work_bucket(request)
        warnings = enc.check_chain(chain, bucket=bucket, region=self.region)
        if kind == "job" and dest is not None and dest.scheme == "url":
            raise UsageError(
                _("--url is not available for COS media jobs"),
                hint=_("save with --to cos://BUCKET-APPID/KEY, then `mediaproc sign` the result"),
            )
        if kind == "job" and not request.wait and (src.is_local or (dest is not None and dest.is_local)):
            raise UsageError(
                _("--no-wait needs a cos:// source and a cos:// destination"),
                hint=_("a local file is staged in a temporary object that is removed when the job ends; keep --wait"),
            )
        started = time.monotonic()
        temps: list[tuple[str, str]] = []
        try:
            if src.scheme == "cos":
                key = src.key or ""
            else:
                path = self._local_source(src)
                if kind == "rule" and dest is not None and dest.scheme == "cos":
                    result = self._process_on_upload(chain, path, bucket, dest, progress, temps)
                    return self._finish(result, warnings, started)
                key = temp_key(path.name)
                temps.append((bucket, key))
                self.put_file(bucket, key, path, progress)
            if kind == "rule":
                result = self._rule(chain, bucket, key, request, progress)
            elif kind in ("info", "ave"):
                result = self._image_meta(kind, bucket, key, request)
            elif kind == "ai":
                result = self._ai(chain, bucket, key, request)
            elif kind == "extract":
                result = self._extract(chain, bucket, key, request)
            elif kind == "videoinfo":
                result = self._videoinfo(chain, bucket, key, request)
            elif kind == "snapshot":
                result = self._snapshot(chain, bucket, key, request, progress)
            else:
                result = self._job(chain, bucket, key, request, progress, temps)
            return self._finish(result, warnings, started)
        finally:
            for b, k in temps:
                self.delete_quietly(b, k)

    @staticmethod
    def _finish(result: ProcessResult, warnings: list[str], started: float) -> ProcessResult:
        changes: dict[str, Any] = {"provider": "cos"}
        if warnings:
            changes["warnings"] = (*result.warnings, *warnings)
        if result.elapsed_seconds is None:
            changes["elapsed_seconds"] = round(time.monotonic() - started, 3)
        return replace(result, **changes)

    @staticmethod
    def _local_source(src: Location) -> Path:
        path = (src.path or Path()).expanduser()
        if not path.is_file():
            raise NotFound(
                _("source {path} does not exist").format(path=path),
                hint=_("check the path (relative paths start in {cwd})").format(cwd=Path.cwd()),
            )
        return path

    # image rules --------------------------------------------------------------------------------
    def _rule(
        self, chain: Chain, bucket: str, key: str, request: ProcessRequest, progress: ProgressCallback | None
    ) -> ProcessResult:
        rule = enc.image_rule(chain.ops, bucket=bucket, region=self.region)
        dest = request.destination
        source = str(request.source)
        if dest is None:
            raise UsageError(_("no destination given"), hint=_("add --to FILE, --to cos://BUCKET/KEY or --url"))
        if dest.scheme == "url":
            url = self._presign(bucket, key, request.expires, enc.rule_params(rule))
            return ProcessResult(success=True, mode="url", source=source, url=url, operations=rule)
        if dest.scheme == "cos":
            return self.save_rules(bucket, key, [(dest, rule)], source)
        path = (dest.path or Path()).expanduser()
        size, headers = self._download_to(bucket, key, path, progress, enc.rule_params(rule))
        ctype = str(headers.get("Content-Type", ""))
        return ProcessResult(
            success=True,
            mode="file",
            source=source,
            target=str(dest),
            path=str(path.resolve()),
            size=size,
            request_id=headers.get("x-cos-request-id"),
            operations=rule,
            format=_format_of(ctype),
        )

    def _rules_header(self, bucket: str, key: str, targets: list[tuple[Location, str]]) -> str:
        rules = []
        for loc, rule in targets:
            dest_bucket, dest_key = self._bucket_of(loc)
            if not dest_key or dest_key.endswith("/"):
                raise UsageError(
                    _("{location} names no object key").format(location=loc),
                    hint=_("write the full key, e.g. cos://BUCKET-APPID/out/result.jpg"),
                )
            item = {"fileid": enc.fileid_for(key, dest_key), "rule": rule}
            if dest_bucket != bucket:
                item["bucket"] = dest_bucket
            rules.append(item)
        return enc.pic_operations(rules)

    def save_rules(self, bucket: str, key: str, targets: list[tuple[Location, str]], source: str) -> ProcessResult:
        header = self._rules_header(bucket, key, targets)
        headers, data = self._call(
            "process the image",
            self.client.ci_image_process,
            Bucket=bucket,
            Key=key,
            PicOperations=header,
            target=f"cos://{bucket}/{key}",
        )
        return self._upload_result(headers, data, targets, source, header)

    def _process_on_upload(
        self,
        chain: Chain,
        path: Path,
        bucket: str,
        dest: Location,
        progress: ProgressCallback | None,
        temps: list[tuple[str, str]],
    ) -> ProcessResult:
        key = temp_key(path.name)
        rule = enc.image_rule(chain.ops, bucket=bucket, region=self.region)
        return self.put_with_rules(path, bucket, key, [(dest, rule)], progress, temps, keep_original=False)

    def put_with_rules(
        self,
        path: Path,
        bucket: str,
        key: str,
        targets: list[tuple[Location, str]],
        progress: ProgressCallback | None,
        temps: list[tuple[str, str]] | None = None,
        *,
        keep_original: bool = True,
    ) -> ProcessResult:
        """Process on upload: ``PUT`` with ``Pic-Operations``; the original stays at ``key`` unless
        ``keep_original`` is False (then it is a temporary object, deleted afterwards)."""
        header = self._rules_header(bucket, key, targets)
        if temps is not None and not keep_original:
            temps.append((bucket, key))
        size = path.stat().st_size
        with path.open("rb") as fh:
            headers, data = self._call(
                "upload and process",
                self.client.ci_put_object,
                Bucket=bucket,
                Body=fh,
                Key=key,
                PicOperations=header,
                target=f"cos://{bucket}/{key}",
            )
        if progress is not None:
            progress(ProgressEvent(completed=size, total=size, unit="bytes", label="upload"))
        return self._upload_result(headers, data, targets, str(path), header)

    @staticmethod
    def _upload_result(
        headers: Any, data: Any, targets: list[tuple[Location, str]], source: str, header: str
    ) -> ProcessResult:
        objects = (data or {}).get("ProcessResults", {}).get("Object", [])
        if isinstance(objects, dict):
            objects = [objects]
        first = objects[0] if objects else {}
        keys = tuple(str(o.get("Key", "")) for o in objects)
        rules = [rule for _loc, rule in targets]

        def num(v: Any) -> int | None:
            try:
                return int(v)
            except (TypeError, ValueError):
                return None

        return ProcessResult(
            success=True,
            mode="save",
            source=source,
            target=str(targets[0][0]) if len(targets) == 1 else ", ".join(str(t[0]) for t in targets),
            size=num(first.get("Size")),
            width=num(first.get("Width")),
            height=num(first.get("Height")),
            format=(str(first.get("Format")) or None) if first else None,
            request_id=(headers or {}).get("x-cos-request-id") or (headers or {}).get("x-ci-request-id"),
            generated_keys=keys if len(keys) > 1 else (),
            operations=" ; ".join(rules),
            extra={"pic_operations": json.loads(header), "results": objects},
        )

    # metadata -------------------------------------------------------------------------------------
    def _json_get(self, bucket: str, key: str, param: str, action: str) -> dict[str, Any]:
        headers, raw = self._call(
            action, self.client.ci_get_image_info, Bucket=bucket, Key=key, Param=param, target=f"cos://{bucket}/{key}"
        )
        try:
            data = json.loads(raw)
        except (TypeError, ValueError):
            raise ServiceError(
                _("COS answered {param} with something that is not JSON").format(param=param),
                hint=_("is the object an image?"),
            ) from None
        if not isinstance(data, dict):
            raise ServiceError(_("unexpected {param} answer").format(param=param), hint=_("is the object an image?"))
        return {"_request_id": headers.get("x-cos-request-id"), **data}

    def _image_meta(self, kind: str, bucket: str, key: str, request: ProcessRequest) -> ProcessResult:
        if kind == "info":
            info = self._json_get(bucket, key, "imageInfo", "read the image info")
            exif: dict[str, Any] = {}
            with contextlib.suppress(MediaprocError):
                exif = self._json_get(bucket, key, "exif", "read the EXIF data")
                exif.pop("_request_id", None)
            request_id = info.pop("_request_id", None)
            data: dict[str, Any] = enc.info_from_ci(info, exif)
        else:
            raw = self._json_get(bucket, key, "imageAve", "read the average colour")
            request_id = raw.pop("_request_id", None)
            data = enc.ave_from_ci(raw)
        return self._data_result(data, request, request_id)

    def _data_result(self, data: dict[str, Any], request: ProcessRequest, request_id: str | None) -> ProcessResult:
        dest = request.destination
        source = str(request.source)
        if dest is None:
            return ProcessResult(success=True, mode="data", source=source, data=data, request_id=request_id)
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        if dest.scheme == "cos":
            b, k = self._bucket_of(dest)
            self._call(
                "save the JSON", self.client.put_object, Bucket=b, Body=text.encode("utf-8"), Key=k,
                ContentType="application/json", target=str(dest),
            )  # fmt: skip
            return ProcessResult(
                success=True, mode="save", source=source, target=str(dest), size=len(text.encode()), data=data,
                request_id=request_id,
            )  # fmt: skip
        path = (dest.path or Path()).expanduser()
        out = _AtomicFile(path)
        try:
            out.fh.write(text.encode("utf-8"))
            size = out.commit()
        except BaseException:
            out.discard()
            raise
        return ProcessResult(
            success=True, mode="file", source=source, target=str(dest), path=str(path.resolve()), size=size,
            data=data, request_id=request_id,
        )  # fmt: skip

    def _ai(self, chain: Chain, bucket: str, key: str, request: ProcessRequest) -> ProcessResult:
        op = chain[-1]
        params = enc.ai_params(op)
        process = params.pop("ci-process")
        headers, data = self._call(
            f"run {op.name}", self.client.ci_process, Bucket=bucket, Key=key, CiProcess=process, Params=params,
            NeedHeader=True, target=f"cos://{bucket}/{key}",
        )  # fmt: skip
        if isinstance(data, (bytes, str)):
            try:
                data = enc.parse_xml_document(data, None) if data else {}
            except MediaprocError:
                raise ServiceError(
                    _("COS answered {process} with something that is not XML").format(process=process),
                    hint=_("is the object an image?"),
                ) from None
        request_id = (headers or {}).get("x-ci-request-id") or (headers or {}).get("x-cos-request-id")
        return self._data_result(enc.ai_to_oss(op.name, data or {}), request, request_id)

    def _extract(self, chain: Chain, bucket: str, key: str, request: ProcessRequest) -> ProcessResult:
        """Blind watermark extraction: ``POST ?image_process`` with a ``watermark/4`` rule whose
        ``fileid`` is a temporary key (CI stores the extracted watermark there, and answers nothing
        else for the text type); the text is read from that object, which is then deleted. If the
        object is not UTF-8 text it is kept, and the error names it."""
        rule = enc.extract_rule(chain[-1])
        out_key = temp_key("blindwatermark.txt")
        target = Location(scheme="cos", bucket=bucket, key=out_key)
        keep = False
        try:
            try:
                saved = self.save_rules(bucket, key, [(target, rule)], str(request.source))
            except ServiceError as exc:
                if exc.code != "WatermarkNotFound":
                    raise
                raise ServiceError(
                    exc.message,
                    hint=_("the image may carry no text blind watermark, or it was edited too much after embedding"),
                    code=exc.code,
                    request_id=exc.request_id,
                    status=exc.status,
                ) from None
            response = self._call(
                "read the extracted watermark", self.client.get_object, Bucket=bucket, Key=out_key, target=str(target)
            )
            raw = response["Body"].get_raw_stream().read(MAX_EXTRACTED + 1)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = None
            if text is None or "\x00" in text or len(raw) > MAX_EXTRACTED:
                keep = True
                raise ServiceError(
                    _("Cloud Infinite stored the extracted watermark at {location} as {ctype}, not as text").format(
                        location=target, ctype=response.get("Content-Type") or _("binary data")
                    ),
                    hint=_("download it to look at it: mediaproc download {location} .").format(location=target),
                )
        finally:
            if not keep:
                self.delete_quietly(bucket, out_key)
        return self._data_result({"Content": text}, request, saved.request_id)

    def _videoinfo(self, chain: Chain, bucket: str, key: str, request: ProcessRequest) -> ProcessResult:
        data = self._call(
            "read the media info", self.client.get_media_info, Bucket=bucket, Key=key, target=f"cos://{bucket}/{key}"
        )
        infos = data.get("MediaInfo") or []
        info = infos[0] if isinstance(infos, list) and infos else (infos if isinstance(infos, dict) else {})
        kind = "audio" if chain[-1].name == "audio/info" else "video"
        return self._data_result(enc.mediainfo_to_oss(info, kind=kind), request, None)

    def _snapshot(
        self, chain: Chain, bucket: str, key: str, request: ProcessRequest, progress: ProgressCallback | None
    ) -> ProcessResult:
        params = enc.snapshot_params(chain[-1])
        dest = request.destination
        source = str(request.source)
        query = "&".join(f"{k}={v}" for k, v in params.items())
        if dest is None:
            raise UsageError(_("no destination given"), hint=_("add --to FILE or --to cos://BUCKET/KEY"))
        if dest.scheme == "url":
            url = self._presign(bucket, key, request.expires, params)
            return ProcessResult(success=True, mode="url", source=source, url=url, operations=query)
        if dest.scheme == "cos":
            out_bucket, out_key = self._bucket_of(dest)
            with tempfile.TemporaryDirectory(prefix="mediaproc-cos-") as tmp:
                local = Path(tmp) / f"snapshot.{params['format']}"
                size, headers = self._download_to(bucket, key, local, progress, params)
                self._call(
                    "save the snapshot", self.client.upload_file, Bucket=out_bucket, Key=out_key,
                    LocalFilePath=str(local), PartSize=self.PART_SIZE_MB, MAXThread=self.THREADS, target=str(dest),
                )  # fmt: skip
            return ProcessResult(
                success=True, mode="save", source=source, target=str(dest), size=size, format=params["format"],
                request_id=headers.get("x-cos-request-id"), operations=query,
            )  # fmt: skip
        path = (dest.path or Path()).expanduser()
        size, headers = self._download_to(bucket, key, path, progress, params)
        return ProcessResult(
            success=True, mode="file", source=source, target=str(dest), path=str(path.resolve()), size=size,
            format=params["format"], request_id=headers.get("x-cos-request-id"), operations=query,
        )  # fmt: skip

    # media jobs -----------------------------------------------------------------------------------
    def _concat_ref(
        self, item: ConcatInput, bucket: str, temps: list[tuple[str, str]], progress: ProgressCallback | None
    ) -> enc.ConcatRef:
        loc = item.location
        if loc.scheme == "cos":
            if loc.bucket != bucket:
                raise UsageError(
                    _("concat inputs must be in the source's bucket ({bucket})").format(bucket=bucket),
                    hint=_("copy {location} into {bucket} first").format(location=loc, bucket=bucket),
                )
            key = loc.key or ""
        elif loc.is_local:
            path = self._local_source(loc)
            key = temp_key(path.name)
            temps.append((bucket, key))
            self.put_file(bucket, key, path, progress)
        else:
            raise UsageError(_("concat inputs must be cos:// objects or local files"), hint=_("upload it first"))
        return enc.ConcatRef(key=key, position=item.position, ss=item.ss, t=item.t)

    def _job(
        self,
        chain: Chain,
        bucket: str,
        key: str,
        request: ProcessRequest,
        progress: ProgressCallback | None,
        temps: list[tuple[str, str]],
    ) -> ProcessResult:
        from mediaproc.jobs import wait

        op = chain[-1]
        dest = request.destination
        source = str(request.source)
        if dest is None:
            raise UsageError(_("no destination given"), hint=_("add --to FILE or --to cos://BUCKET/KEY"))
        out_prefix: str | None = None
        if dest.scheme == "cos":
            out_bucket, out_key = self._bucket_of(dest)
        else:
            out_bucket = bucket
            out_prefix = f"{TEMP_PREFIX}/{uuid.uuid4().hex}/"
            out_key = out_prefix + _local_output_name(chain, dest, key)
        refs = tuple(self._concat_ref(i, bucket, temps, progress) for i in request.inputs)
        body = enc.media_job_request(
            op, input_key=key, bucket=bucket, region=self.region, output_key=out_key, output_bucket=out_bucket,
            inputs=refs,
        )  # fmt: skip
        job_id, _rid = self._submit(bucket, body)
        job = CosJob(self.client, bucket, job_id, self._wrap)
        if not request.wait:
            return ProcessResult(
                success=True, mode="submitted", source=source, target=str(dest), task_id=job_id, status="queued",
                operations=body["Tag"],
            )  # fmt: skip
        staged = bool(temps) or out_prefix is not None
        try:
            final = wait(job, timeout=request.timeout, progress=progress)
        except TimedOut as exc:
            if staged:
                self._stop(job)
                self._remove_prefix(out_bucket, out_prefix)
                raise TimedOut(
                    exc.message,
                    hint=_("the job was cancelled and its temporary objects removed; raise --timeout"),
                    task_id=job_id,
                    code=exc.code,
                ) from None
            raise
        except (Interrupted, KeyboardInterrupt):
            self._stop(job)
            self._remove_prefix(out_bucket, out_prefix)
            raise Interrupted(
                _("interrupted while waiting for {task_id}").format(task_id=job_id),
                hint=_("the job was cancelled"),
                task_id=job_id,
            ) from None
        except JobFailed:
            self._remove_prefix(out_bucket, out_prefix)
            raise
        keys = list(final.generated_keys)
        if out_prefix is None:
            return ProcessResult(
                success=True, mode="save", source=source, target=str(dest), task_id=job_id,
                status=final.state.value, generated_keys=tuple(keys), operations=body["Tag"],
                elapsed_seconds=final.elapsed_seconds,
            )  # fmt: skip
        try:
            listed = [o.key for o in self.list_objects(Location(scheme="cos", bucket=out_bucket, key=out_prefix))]
            paths = self._download_outputs(out_bucket, sorted(set(listed) | set(keys)), out_key, dest, chain, progress)
        finally:
            self._remove_prefix(out_bucket, out_prefix)
        first = paths[0] if paths else None
        return ProcessResult(
            success=True,
            mode="file",
            source=source,
            target=str(dest),
            path=str(first.resolve()) if first else None,
            size=sum(p.stat().st_size for p in paths),
            task_id=job_id,
            status=final.state.value,
            generated_keys=tuple(str(p) for p in paths) if len(paths) > 1 else (),
            operations=body["Tag"],
        )

    def _stop(self, job: CosJob) -> None:
        """Cancel and wait until the job is over, so its inputs can be deleted."""
        with contextlib.suppress(MediaprocError):
            job.cancel()
        with contextlib.suppress(MediaprocError):
            job.settle()

    def _remove_prefix(self, bucket: str, prefix: str | None) -> None:
        if not prefix or not prefix.startswith(TEMP_PREFIX + "/"):
            return
        with contextlib.suppress(MediaprocError):
            for obj in list(self.list_objects(Location(scheme="cos", bucket=bucket, key=prefix))):
                self.delete_quietly(bucket, obj.key)

    def _download_outputs(
        self,
        bucket: str,
        keys: list[str],
        out_key: str,
        dest: Location,
        chain: Chain,
        progress: ProgressCallback | None,
    ) -> list[Path]:
        path = (dest.path or Path()).expanduser()
        folder = path if path.is_dir() or str(dest.path).endswith(("/", os.sep)) else path.parent
        if not keys:
            raise ServiceError(
                _("the job succeeded but wrote no output"), hint=_("check the source media and the parameters")
            )
        out: list[Path] = []
        playlist = chain.produces is Produces.PLAYLIST
        into_folder = path.is_dir() or chain.produces is Produces.FILES
        for k in keys:
            named = k == out_key or (len(keys) == 1 and not playlist)
            target = path if named and not into_folder else folder / PurePosixPath(k).name
            self._download_to(bucket, k, target, progress)
            out.append(target)
        if playlist:
            out.sort(key=lambda p: (p.suffix.lower() != ".m3u8", p.name))
        return out

    # private playlists ------------------------------------------------------------------------------
    def private_m3u8(self, src: Location, *, expires: int = 3600) -> tuple[str, str | None]:
        """``ci-process=pm3u8``: the playlist with every segment URL signed for ``expires`` s."""
        bucket, key = self._bucket_of(src)
        response = self._call(
            "sign the playlist", self.client.get_pm3u8, Bucket=bucket, Key=key, Expires=str(expires), target=str(src)
        )
        body = response["Body"]
        chunks = list(body.get_stream(CHUNK))
        text = b"".join(c for c in chunks if c).decode("utf-8", errors="replace")
        return text, response.get("x-cos-request-id") or response.get("x-ci-request-id")

    def close(self) -> None:
        self._client = None
        self._job_client = None


def _format_of(content_type: str) -> str | None:
    ct = content_type.split(";")[0].strip().lower()
    return {
        "image/jpeg": "jpg",
        "image/png": "png",
        "image/webp": "webp",
        "image/bmp": "bmp",
        "image/gif": "gif",
        "image/avif": "avif",
        "image/heif": "heic",
    }.get(ct)


def _iso_ts(value: Any) -> float | None:
    if not value:
        return None
    from datetime import datetime

    try:
        return datetime.strptime(str(value).replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
    except ValueError:
        try:
            return datetime.strptime(str(value).replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S%z").timestamp()
        except ValueError:
            return None


def _local_output_name(chain: Chain, dest: Location, source_key: str) -> str:
    """The output key's last segment when the result is downloaded afterwards."""
    path = dest.path or Path("result")
    if path.is_dir() or str(path).endswith(("/", os.sep)):
        return PurePosixPath(source_key).stem or "result"
    name = path.name
    if chain.produces is Produces.PLAYLIST and not name.lower().endswith(".m3u8"):
        name += ".m3u8"
    return name


__all__ = ["CosProvider", "quiet_sdk_logging"]
