"""The COS + Cloud Infinite front of ``mediaproc serve``: what qcloud_cos talks to offline.

``CosConfig(Region=r, IP='127.0.0.1', Port=p, Scheme='http')`` sends every request - COS object
calls and CI calls alike - to the server with ``Host: <bucket>.cos.<region>.myqcloud.com``
(SPEC.md §6), so the front reads the bucket from Host and routes by path: ``/jobs`` and
``/jobs/<id>`` are media jobs, ``/`` is the bucket, anything else an object. Every request is
signed (``emulator/cos/auth.py``); buckets and objects are the shared folder store
(``providers/localstore.py``), processing is the local engine, so an emulated result is what the
local provider makes of the same chain (rules are read back with ``mediaproc.ops.cos.parse_rule``).

Cloud Infinite's intelligent image rules run on the local vision engine: ``ci-process=AIImageCrop``
(GET or Pic-Operations rule) and ``imageMogr2/scrop`` through the chain engine (smart crop, face
crop), ``watermark/3/type/3`` (text blind watermark) likewise, and ``watermark/4/type/3`` - in
Pic-Operations only, as documented - stores the extracted text at the rule's ``fileid``.

Answers follow the documented shapes: ``UploadResult`` (``OriginalInfo``, ``ProcessResults/Object``)
for ``Pic-Operations``, ``Response/JobsDetail`` for jobs, ``Response/MediaInfo`` for
``ci-process=videoinfo``, JSON for ``imageInfo``/``exif``/``imageAve``, ``ListBucketResult`` and the
multipart documents for object calls.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from email.utils import formatdate
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from aiohttp import web

from mediaproc.emulator.cos import auth
from mediaproc.emulator.cos.errors import CosError, from_mediaproc, new_request_id
from mediaproc.emulator.cos.jobs import CosJobs
from mediaproc.errors import MediaprocError
from mediaproc.ops import cos as enc
from mediaproc.providers.local.records import ObjectMeta
from mediaproc.providers.local.store import LocalStore

HOST_RE = re.compile(
    r"^(?P<bucket>[a-z0-9][a-z0-9-]*[a-z0-9])\.(?P<svc>cos|ci|pic)\.(?P<region>[a-z0-9-]+)\.myqcloud\.com(?::\d+)?$"
)
CONTENT_TYPES = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "bmp": "image/bmp",
    "gif": "image/gif",
    "avif": "image/avif",
    "heic": "image/heif",
    "tiff": "image/tiff",
}
CHUNK = 256 * 1024
MAX_DRAIN = 64 * 1024 * 1024
AI_NAMES = {v: k for k, v in enc.AI_PROCESS.items()}  # ci-process value -> mediaproc operation
AI_IMAGE_CROP_KEYS = ("ci-process", "width", "height", "fixed")  # the signature's parameters stay out
CI_OPERATIONS = frozenset({"CreateMediaJobs", "DescribeMediaJobs", "DescribeMediaJob", "CancelMediaJob"})
log = logging.getLogger("mediaproc.serve.cos")


def is_cos_host(host: str | None) -> bool:
    """Whether a Host header names a COS/CI virtual host (``*.cos.<region>.myqcloud.com``)."""
    return bool(host and HOST_RE.match(host.lower()))


def _etag(meta: ObjectMeta) -> str:
    return f'"{meta.etag.lower()}"'


def _http_date(ts: float) -> str:
    return formatdate(ts, usegmt=True)


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(ts))


def _first(query: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in query.items():
        out.setdefault(k, v)
    return out


class CosFront:
    """Serves the COS wire protocol over a :class:`LocalStore`. ``handle`` is an aiohttp handler."""

    def __init__(
        self,
        store: LocalStore,
        credentials: auth.CosCredentials,
        *,
        region: str = "ap-guangzhou",
        workers: int = 2,
        executor: Executor | None = None,
        job_start_delay: float = 0.0,
        faults: Any = None,
    ) -> None:
        self.store = store
        self.faults = faults  # mediaproc.emulator.faults.Faults of the server, when installed there
        self.credentials = credentials
        self.region = region
        self.jobs = CosJobs(workers=workers, executor=executor, start_delay=job_start_delay)
        self.requests: dict[str, int] = {}
        self._count_lock = threading.Lock()

    def close(self) -> None:
        self.jobs.shutdown()

    # -- plumbing ---------------------------------------------------------------------------------
    async def _op(self, name: str) -> None:
        """Count the request (``requests``, and the server's fault counters when shared) and apply
        the server's fault settings: latency, or an error answer instead of the operation."""
        with self._count_lock:
            self.requests[name] = self.requests.get(name, 0) + 1
        if self.faults is None:
            return
        decision = self.faults.decide(name)
        if decision.latency_s:
            await asyncio.sleep(decision.latency_s)
        if decision.error_status is not None:
            code = decision.error_code
            raise CosError(code, f"fault injected: {code}", status=decision.error_status, ci=name in CI_OPERATIONS)

    @staticmethod
    async def _thread(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, functools.partial(fn, *args, **kwargs))

    def _headers(self, rid: str, ci: bool) -> dict[str, str]:
        h = {"x-cos-request-id": rid, "Server": "tencent-cos", "Date": _http_date(time.time())}
        if ci:
            h["x-ci-request-id"] = rid
        return h

    def _xml(
        self, rid: str, root: str, data: Mapping[str, Any], *, ci: bool = False, status: int = 200
    ) -> web.Response:
        body = enc.dict_to_xml(root, data)
        return web.Response(
            body=body.encode("utf-8"), status=status, content_type="application/xml", headers=self._headers(rid, ci)
        )

    def _error(self, err: CosError, rid: str, resource: str, method: str) -> web.Response:
        headers = self._headers(rid, err.ci)
        if method == "HEAD":
            return web.Response(status=err.status, headers=headers)
        return web.Response(
            body=err.xml(rid, resource), status=err.status, content_type="application/xml", headers=headers
        )

    # -- entry --------------------------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.StreamResponse:
        rid = new_request_id()
        host = request.headers.get("Host", "")
        m = HOST_RE.match(host.lower())
        path = request.path
        resource = f"{host.split(':')[0]}{path}"
        is_ci = path == "/jobs" or path.startswith("/jobs/")
        try:
            if not m:
                raise CosError("InvalidRequest", f"{host!r} is not a COS bucket host", ci=is_ci)
            bucket = m.group("bucket")
            query = _first(request.query)
            headers = {k: v for k, v in request.headers.items()}
            ak = auth.verify(request.method, path, query, headers, self.credentials, ci=is_ci)
            if is_ci:
                return await self._jobs_route(request, rid, bucket, path, query)
            if path == "/":
                return await self._bucket_route(request, rid, bucket, query)
            key = path[1:]
            return await self._object_route(request, rid, bucket, key, query, ak)
        except CosError as err:
            await self._drain(request)
            return self._error(err, rid, resource, request.method)
        except MediaprocError as exc:
            return self._error(from_mediaproc(exc, ci=is_ci), rid, resource, request.method)
        except (ConnectionError, asyncio.CancelledError):
            raise
        except Exception as exc:  # a bug: answer like the service would, keep the traceback in the log
            log.exception("internal error in the COS front (%s %s)", request.method, path)
            err = CosError("InternalError", f"{type(exc).__name__}", ci=is_ci)
            return self._error(err, rid, resource, request.method)

    @staticmethod
    async def _drain(request: web.Request) -> None:
        """Read what is left of a refused request's body, so the client reads our answer."""
        try:
            left = MAX_DRAIN
            while left > 0:
                chunk = await request.content.read(min(left, CHUNK))
                if not chunk:
                    return
                left -= len(chunk)
        except Exception:
            return

    # -- buckets ----------------------------------------------------------------------------------------
    async def _bucket_route(
        self, request: web.Request, rid: str, bucket: str, query: dict[str, str]
    ) -> web.StreamResponse:
        method = request.method
        if method == "PUT" and not query:
            await self._op("PutBucket")
            created = await self._thread(self.store.create_bucket, bucket)
            if not created:
                raise CosError("BucketAlreadyExists", "The requested bucket name is not available.", status=409)
            return web.Response(status=200, headers=self._headers(rid, False))
        if method == "HEAD":
            await self._op("HeadBucket")
            await self._thread(self.store.require_bucket, bucket)
            return web.Response(status=200, headers=self._headers(rid, False))
        if method == "GET" and "uploads" in query:
            await self._op("ListMultipartUploads")
            return await self._list_uploads(rid, bucket, query)
        if method == "GET":
            await self._op("ListObjects")
            return await self._list(rid, bucket, query)
        raise CosError("MethodNotAllowed", "The specified method is not allowed against this resource.")

    async def _list(self, rid: str, bucket: str, query: dict[str, str]) -> web.Response:
        prefix = query.get("prefix", "")
        delimiter = query.get("delimiter", "")
        marker = query.get("marker", "")
        try:
            max_keys = max(0, min(1000, int(query.get("max-keys", "1000") or 1000)))
        except ValueError:
            raise CosError("InvalidArgument", "max-keys is not a number") from None
        url_enc = query.get("encoding-type") == "url"

        def e(text: str) -> str:
            return quote(text, safe="/") if url_enc else text

        res = await self._thread(
            self.store.list_objects, bucket, prefix=prefix, delimiter=delimiter, marker=marker, max_keys=max_keys
        )
        data: dict[str, Any] = {
            "Name": bucket,
            "EncodingType": "url" if url_enc else None,
            "Prefix": e(prefix),
            "Marker": e(marker),
            "MaxKeys": str(max_keys),
            "Delimiter": e(delimiter),
            "IsTruncated": "true" if res.is_truncated else "false",
        }
        if res.is_truncated and res.next_marker:
            data["NextMarker"] = e(res.next_marker)
        data["Contents"] = [
            {
                "Key": e(o.key),
                "LastModified": _iso(o.last_modified),
                "ETag": _etag(o),
                "Size": str(o.size),
                "Owner": {"ID": "1250000000", "DisplayName": "1250000000"},
                "StorageClass": "STANDARD",
            }
            for o in res.objects
        ]
        data["CommonPrefixes"] = [{"Prefix": e(p)} for p in res.prefixes]
        data = {k: v for k, v in data.items() if v is not None}
        return self._xml(rid, "ListBucketResult", data)

    async def _list_uploads(self, rid: str, bucket: str, query: dict[str, str]) -> web.Response:
        res = await self._thread(self.store.list_uploads, bucket, prefix=query.get("prefix", ""))
        url_enc = query.get("encoding-type") == "url"
        data = {
            "Bucket": bucket,
            "Prefix": query.get("prefix", ""),
            "IsTruncated": "true" if res.is_truncated else "false",
            "Upload": [
                {
                    "Key": quote(u.key, safe="/") if url_enc else u.key,
                    "UploadId": u.upload_id,
                    "StorageClass": "STANDARD",
                    "Initiated": _iso(u.initiated),
                }
                for u in res.uploads
            ],
        }
        return self._xml(rid, "ListMultipartUploadsResult", data)

    # -- objects ------------------------------------------------------------------------------------------
    async def _object_route(
        self, request: web.Request, rid: str, bucket: str, key: str, query: dict[str, str], ak: str
    ) -> web.StreamResponse:
        method = request.method
        if method == "PUT":
            if "partNumber" in query and "uploadId" in query:
                await self._op("UploadPart")
                return await self._upload_part(request, rid, bucket, key, query)
            await self._op("PutObject")
            return await self._put(request, rid, bucket, key)
        if method == "POST":
            if "image_process" in query:
                await self._op("ImageProcess")
                return await self._image_process(request, rid, bucket, key)
            if "uploads" in query:
                await self._op("InitiateMultipartUpload")
                info = await self._thread(
                    self.store.initiate_multipart, bucket, key, content_type=request.headers.get("Content-Type")
                )
                return self._xml(
                    rid, "InitiateMultipartUploadResult", {"Bucket": bucket, "Key": key, "UploadId": info.upload_id}
                )
            if "uploadId" in query:
                await self._op("CompleteMultipartUpload")
                return await self._complete(request, rid, bucket, key, query["uploadId"])
            raise CosError("InvalidRequest", "unsupported POST on an object")
        if method == "DELETE":
            if "uploadId" in query:
                await self._op("AbortMultipartUpload")
                await self._thread(self.store.abort_multipart, query["uploadId"], bucket=bucket, key=key)
                return web.Response(status=204, headers=self._headers(rid, False))
            await self._op("DeleteObject")
            await self._thread(self.store.delete, bucket, key)
            return web.Response(status=204, headers=self._headers(rid, False))
        if method == "HEAD":
            await self._op("HeadObject")
            meta = await self._thread(self.store.head, bucket, key)
            return web.Response(status=200, headers={**self._headers(rid, False), **self._meta_headers(meta)})
        if method == "GET":
            return await self._get(request, rid, bucket, key, query, ak)
        raise CosError("MethodNotAllowed", "The specified method is not allowed against this resource.")

    @staticmethod
    def _meta_headers(meta: ObjectMeta) -> dict[str, str]:
        return {
            "Content-Length": str(meta.size),
            "Content-Type": meta.content_type,
            "ETag": _etag(meta),
            "Last-Modified": _http_date(meta.last_modified),
            "x-cos-storage-class": "STANDARD",
        }

    async def _put(self, request: web.Request, rid: str, bucket: str, key: str) -> web.Response:
        writer = await self._thread(self.store.writer, bucket, key, content_type=request.headers.get("Content-Type"))
        with writer:
            async for chunk in request.content.iter_chunked(CHUNK):
                writer.write(chunk)
            meta = writer.commit()
        pic = request.headers.get("Pic-Operations")
        if pic:
            result = await self._thread(self._process_rules, bucket, key, pic)
            return self._xml(rid, "UploadResult", result, ci=True)
        return web.Response(status=200, headers={**self._headers(rid, False), "ETag": _etag(meta)})

    async def _image_process(self, request: web.Request, rid: str, bucket: str, key: str) -> web.Response:
        pic = request.headers.get("Pic-Operations")
        if not pic:
            raise CosError("InvalidArgument", "Pic-Operations header is required", ci=True)
        await request.read()
        result = await self._thread(self._process_rules, bucket, key, pic)
        return self._xml(rid, "UploadResult", result, ci=True)

    async def _upload_part(
        self, request: web.Request, rid: str, bucket: str, key: str, query: dict[str, str]
    ) -> web.Response:
        try:
            number = int(query["partNumber"])
        except ValueError:
            raise CosError("InvalidArgument", "partNumber is not a number") from None
        writer = await self._thread(self.store.part_writer, query["uploadId"], number, bucket=bucket, key=key)
        with writer:
            async for chunk in request.content.iter_chunked(CHUNK):
                writer.write(chunk)
            part = writer.commit()
        return web.Response(status=200, headers={**self._headers(rid, False), "ETag": f'"{part.etag.lower()}"'})

    async def _complete(self, request: web.Request, rid: str, bucket: str, key: str, upload_id: str) -> web.Response:
        body = await request.read()
        parts: list[tuple[int, str]] | None = None
        if body.strip():
            data = enc.parse_xml_document(body, "CompleteMultipartUpload")
            items = data.get("Part") or []
            if isinstance(items, Mapping):
                items = [items]
            try:
                parts = [(int(p["PartNumber"]), str(p["ETag"])) for p in items]
            except (KeyError, ValueError, TypeError):
                raise CosError("MalformedXML", "The XML you provided was not well-formed.") from None
        meta = await self._thread(self.store.complete_multipart, upload_id, parts, bucket=bucket, key=key)
        return self._xml(
            rid,
            "CompleteMultipartUploadResult",
            {
                "Location": f"{bucket}.cos.{self.region}.myqcloud.com/{key}",
                "Bucket": bucket,
                "Key": key,
                "ETag": _etag(meta),
            },
        )

    async def _get(
        self, request: web.Request, rid: str, bucket: str, key: str, query: dict[str, str], ak: str
    ) -> web.StreamResponse:
        process = query.get("ci-process")
        if process == "snapshot":
            await self._op("GetSnapshot")
            data, fmt = await self._thread(self._snapshot, bucket, key, query)
            return web.Response(
                body=data, content_type=CONTENT_TYPES.get(fmt, "image/jpeg"), headers=self._headers(rid, True)
            )
        if process == "videoinfo":
            await self._op("GetMediaInfo")
            info = await self._thread(self._videoinfo, bucket, key)
            return self._xml(rid, "Response", {"MediaInfo": info}, ci=True)
        if process == "pm3u8":
            await self._op("GetPrivateM3U8")
            text = await self._thread(self._pm3u8, bucket, key, query, ak)
            return web.Response(
                body=text.encode("utf-8"), content_type="application/x-mpegURL", headers=self._headers(rid, True)
            )
        if process in AI_NAMES:
            await self._op(process)
            root, body = await self._thread(self._detect, bucket, key, AI_NAMES[process])
            return self._xml(rid, root, body, ci=True)
        if process == enc.AI_IMAGE_CROP:
            await self._op(process)
            rule = "&".join(f"{k}={query[k]}" for k in AI_IMAGE_CROP_KEYS if k in query)
            data, fmt = await self._thread(self._process_to_bytes, bucket, key, rule)
            return web.Response(
                body=data,
                content_type=CONTENT_TYPES.get(fmt, "application/octet-stream"),
                headers=self._headers(rid, True),
            )
        if process:
            raise CosError("InvalidArgument", f"ci-process={process} is not supported by the emulator", ci=True)
        for name in ("imageInfo", "exif", "imageAve"):
            if name in query:
                await self._op(f"Get{name[0].upper()}{name[1:]}")
                data_json = await self._thread(self._image_meta, bucket, key, name)
                return web.Response(
                    body=json.dumps(data_json).encode(),
                    content_type="application/json",
                    headers=self._headers(rid, True),
                )
        if "uploadId" in query:
            await self._op("ListParts")
            parts = await self._thread(self.store.list_parts, query["uploadId"], bucket=bucket, key=key)
            return self._xml(
                rid,
                "ListPartsResult",
                {
                    "Bucket": bucket,
                    "Key": key,
                    "UploadId": query["uploadId"],
                    "IsTruncated": "false",
                    "Part": [
                        {
                            "PartNumber": str(p.part_number),
                            "ETag": f'"{p.etag.lower()}"',
                            "Size": str(p.size),
                            "LastModified": _iso(p.last_modified),
                        }
                        for p in parts
                    ],
                },
            )
        rules = [k for k in query if enc.is_rule(k)]
        if rules and rules[0].lstrip("/").startswith("watermark/4"):
            raise CosError(
                "InvalidArgument", "blind watermark extraction runs through Pic-Operations (PUT or POST)", ci=True
            )
        if rules:
            await self._op("GetObjectProcessed")
            data, fmt = await self._thread(self._process_to_bytes, bucket, key, rules[0])
            return web.Response(
                body=data,
                content_type=CONTENT_TYPES.get(fmt, "application/octet-stream"),
                headers=self._headers(rid, True),
            )
        await self._op("GetObject")
        meta = await self._thread(self.store.head, bucket, key)
        path = await self._thread(self.store.path, bucket, key)
        headers = {**self._headers(rid, False), **self._meta_headers(meta)}
        headers.pop("Content-Length", None)
        return web.FileResponse(path, headers=headers)

    # -- blocking work (worker threads) -------------------------------------------------------------------
    def _tmp(self, suffix: str) -> Path:
        self.store.tmp_dir.mkdir(parents=True, exist_ok=True)
        return self.store.tmp_dir / f"cos-{uuid.uuid4().hex}{suffix}"

    def _resolver(self, bucket: str) -> Callable[[str], Path]:
        return lambda k: self.store.path(bucket, k)

    @staticmethod
    def _parse(rule: str) -> list[Any]:
        try:
            return enc.parse_rule(rule)
        except MediaprocError as exc:
            raise CosError("InvalidArgument", exc.message, ci=True) from None

    def _run_rule(self, bucket: str, key: str, rule: str, ops: list[Any] | None = None) -> tuple[Path, Any]:
        from mediaproc.engine.image import process_image

        ops = self._parse(rule) if ops is None else ops
        src = self.store.path(bucket, key)
        smart = next((op for op in ops if op.name == "crop" and op.params.get("g") == "auto"), None)
        if smart is not None:
            self._check_smart_crop(src, smart)
        dst = self._tmp(".img")
        try:
            out = process_image(src, ops, dst, resolve_key=self._resolver(bucket))
        except BaseException:
            dst.unlink(missing_ok=True)
            raise
        return dst, out

    @staticmethod
    def _check_smart_crop(src: Path, op: Any) -> None:
        """AIImageCrop: width and height "大于0、小于图片宽度/高度的像素值" (each below the image's side)."""
        from mediaproc.engine.image import image_info

        info = image_info(src)
        width = int(info.get("ImageWidth", {}).get("value", 0) or 0)
        height = int(info.get("ImageHeight", {}).get("value", 0) or 0)
        if op.params["w"] >= width or op.params["h"] >= height:
            raise CosError(
                "InvalidArgument",
                f"AIImageCrop width and height must be below the image's {width}x{height}",
                ci=True,
            )

    def _extract(self, bucket: str, key: str, ops: list[Any]) -> str:
        """watermark/4 (text type): the local engine reads the mark back. Nothing found is a 4xx
        answer (a 5xx would be retried by the SDK, and retrying cannot find a mark)."""
        from mediaproc.engine.vision import analyze
        from mediaproc.errors import ServiceError

        try:
            found = analyze(ops[0], self.store.path(bucket, key))
        except ServiceError as exc:
            if exc.code == "WatermarkNotFound":
                raise CosError("WatermarkNotFound", exc.message, status=400, ci=True) from None
            raise
        return str(found.get("Content", ""))

    def _process_to_bytes(self, bucket: str, key: str, rule: str) -> tuple[bytes, str]:
        dst, out = self._run_rule(bucket, key, rule)
        try:
            return dst.read_bytes(), out.format
        finally:
            dst.unlink(missing_ok=True)

    def _process_rules(self, bucket: str, key: str, header: str) -> dict[str, Any]:
        try:
            is_pic_info, rules = enc.parse_pic_operations(header)
        except MediaprocError as exc:
            raise CosError("InvalidArgument", exc.message, ci=True) from None
        src_meta = self.store.head(bucket, key)
        original: dict[str, Any] = {
            "Key": key,
            "Location": f"{bucket}.cos.{self.region}.myqcloud.com/{key}",
            "ETag": _etag(src_meta),
        }
        if is_pic_info:
            original["ImageInfo"] = self._pic_info(self.store.path(bucket, key))
        objects = []
        for r in rules:
            out_bucket = r.get("bucket") or bucket
            out_key = enc.fileid_key(key, r["fileid"])
            ops = self._parse(r["rule"])
            if ops[0].name == "blindwatermark-extract":
                # The extracted watermark is stored at fileid ("提取出的水印图转存"); for the text
                # type mediaproc's reading is the UTF-8 text itself.
                text = self._extract(bucket, key, ops)
                meta = self.store.put_bytes(
                    out_bucket, out_key, text.encode("utf-8"), content_type="text/plain; charset=utf-8"
                )
                objects.append(
                    {
                        "Key": out_key,
                        "Location": f"{out_bucket}.cos.{self.region}.myqcloud.com/{out_key}",
                        "Size": str(meta.size),
                        "ETag": _etag(meta),
                    }
                )
                continue
            dst, out = self._run_rule(bucket, key, r["rule"], ops)
            try:
                meta = self.store.put_file(out_bucket, out_key, dst, content_type=CONTENT_TYPES.get(out.format))
            finally:
                dst.unlink(missing_ok=True)
            objects.append(
                {
                    "Key": out_key,
                    "Location": f"{out_bucket}.cos.{self.region}.myqcloud.com/{out_key}",
                    "Format": out.format,
                    "Width": str(out.width),
                    "Height": str(out.height),
                    "Size": str(meta.size),
                    "Quality": str(self._quality(self.store.path(out_bucket, out_key))),
                    "ETag": _etag(meta),
                    "FrameCount": "1",
                }
            )
        result: dict[str, Any] = {"OriginalInfo": original}
        result["ProcessResults"] = {"Object": objects}
        return result

    @staticmethod
    def _quality(path: Path) -> int:
        from mediaproc.engine.image.jpegq import estimate_quality

        try:
            return estimate_quality(path) or 100
        except Exception:  # not a JPEG, or unreadable tables: CI reports 100 then
            return 100

    def _pic_info(self, path: Path) -> dict[str, str]:
        from mediaproc.engine.image import average_hue, image_info

        info = image_info(path)
        fmt = str(info.get("Format", {}).get("value", "")).upper()
        return {
            "Format": {"JPG": "JPEG"}.get(fmt, fmt),
            "Width": str(info.get("ImageWidth", {}).get("value", "")),
            "Height": str(info.get("ImageHeight", {}).get("value", "")),
            "Quality": str(self._quality(path)),
            "Ave": average_hue(path).get("RGB", ""),
            "Orientation": "0",
            "FrameCount": "1",
        }

    def _image_meta(self, bucket: str, key: str, name: str) -> dict[str, Any]:
        from mediaproc.engine.image import average_hue, image_info

        path = self.store.path(bucket, key)
        if name == "imageAve":
            return average_hue(path)
        meta = self.store.head(bucket, key)
        info, exif = enc.oss_to_ci_info(image_info(path), md5=meta.etag.lower(), hue=None)
        return info if name == "imageInfo" else exif

    def _snapshot(self, bucket: str, key: str, query: dict[str, str]) -> tuple[bytes, str]:
        from mediaproc.engine.av import run_media

        try:
            op = enc.parse_snapshot_params(query)
        except MediaprocError as exc:
            raise CosError("InvalidArgument", exc.message, ci=True) from None
        fmt = op.params.get("f", "jpg")
        src = self.store.path(bucket, key)
        dst = self._tmp(f".{fmt}")
        try:
            out = run_media(op, src, dst)
            path = Path(out.paths[0]) if out.paths else dst
            data = path.read_bytes()
            if path != dst:
                path.unlink(missing_ok=True)
            return data, fmt
        finally:
            dst.unlink(missing_ok=True)

    def _detect(self, bucket: str, key: str, name: str) -> tuple[str, dict[str, Any]]:
        """Detection through the local vision engine, answered in CI's shape. Cars and labels have
        no local model: the answer says so."""
        from mediaproc.engine.image import image_info
        from mediaproc.engine.vision import NOT_LOCAL, analyze
        from mediaproc.ops.catalog import get_spec
        from mediaproc.ops.model import Op

        if name in NOT_LOCAL:
            # 4xx, not 501: a 5xx would be retried by the SDK, and retrying cannot help here
            raise CosError("InvalidArgument", f"{name} needs a cloud model; mediaproc serve has none", ci=True)
        path = self.store.path(bucket, key)
        imm = analyze(Op(spec=get_spec(name)), path)
        info = image_info(path)
        width = int(info.get("ImageWidth", {}).get("value", 0) or 0)
        height = int(info.get("ImageHeight", {}).get("value", 0) or 0)
        return enc.oss_to_ai(name, imm, width=width, height=height)

    def _videoinfo(self, bucket: str, key: str) -> dict[str, Any]:
        from mediaproc.engine.av import probe

        return enc.oss_to_mediainfo(probe(self.store.path(bucket, key)))

    def _pm3u8(self, bucket: str, key: str, query: dict[str, str], ak: str) -> str:
        try:
            expires = int(query.get("expires", "3600"))
        except ValueError:
            raise CosError("InvalidArgument", "expires is not a number", ci=True) from None
        if not 1 <= expires <= 43200:
            raise CosError("InvalidArgument", "expires must be 1-43200 seconds", ci=True)
        with self.store.open(bucket, key) as fh:
            text = fh.read().decode("utf-8", errors="replace")
        if not text.lstrip().startswith("#EXTM3U"):
            raise CosError("InvalidArgument", "the object is not an M3U8 playlist", ci=True)
        folder = str(PurePosixPath(key).parent)
        secret = self.credentials.keys[ak]
        lines = []
        for line in text.splitlines():
            item = line.strip()
            if item and not item.startswith("#") and "://" not in item:
                seg_key = item if folder in ("", ".") else f"{folder}/{item}"
                query_string = auth.presign_query(ak, secret, "GET", "/" + seg_key, expires=expires)
                line = f"{item}?{query_string}"
            lines.append(line)
        return "\n".join(lines) + "\n"

    # -- jobs ---------------------------------------------------------------------------------------------
    async def _jobs_route(
        self, request: web.Request, rid: str, bucket: str, path: str, query: dict[str, str]
    ) -> web.StreamResponse:
        method = request.method
        if path == "/jobs" and method == "POST":
            await self._op("CreateMediaJobs")
            body = await request.read()
            return await self._thread(self._create_job, rid, bucket, body)
        if path == "/jobs" and method == "GET":
            await self._op("DescribeMediaJobs")
            states = {s for s in query.get("states", "All").split(",") if s and s != "All"} or None
            jobs = self.jobs.list(bucket, tag=query.get("tag") or None, states=states)
            try:
                size = max(1, min(100, int(query.get("size", "10") or 10)))
            except ValueError:
                raise CosError("InvalidArgument", "size is not a number", ci=True) from None
            return self._xml(
                rid, "Response", {"JobsDetail": [j.detail() for j in jobs[:size]], "NextToken": ""}, ci=True
            )
        job_ids = path[len("/jobs/") :]
        if method == "PUT" and "cancel" in query:
            await self._op("CancelMediaJob")
            if not self.jobs.cancel(bucket, job_ids):
                raise CosError("NoSuchJob", f"The job {job_ids} does not exist.", ci=True)
            return web.Response(status=200, headers=self._headers(rid, True))
        if method == "GET":
            await self._op("DescribeMediaJob")
            found, missing = [], []
            for job_id in [j for j in job_ids.split(",") if j]:
                job = self.jobs.get(bucket, job_id)
                if job is None:
                    missing.append(job_id)
                else:
                    found.append(job.detail())
            data: dict[str, Any] = {"JobsDetail": found}
            if missing:
                data["NonExistJobIds"] = missing
            return self._xml(rid, "Response", data, ci=True)
        raise CosError("MethodNotAllowed", "The specified method is not allowed against this resource.", ci=True)

    def _create_job(self, rid: str, bucket: str, body: bytes) -> web.Response:
        self.store.require_bucket(bucket)
        try:
            req = enc.parse_job_xml(body)
            spec = enc.parse_job_request(req)
        except MediaprocError as exc:
            raise CosError("InvalidArgument", exc.message, ci=True) from None
        work = functools.partial(self._run_job, bucket, spec)
        job = self.jobs.submit(bucket, spec.tag, req, lambda progress, cancel: work(progress, cancel))
        if self.faults is not None:
            self.faults.job_created(spec.tag)
        return self._xml(rid, "Response", {"JobsDetail": [job.detail()]}, ci=True)

    def _run_job(
        self, bucket: str, spec: enc.CosJobSpec, progress: Callable[[float], None], cancel: threading.Event
    ) -> dict[str, Any]:
        from mediaproc.engine.av import ConcatPart, run_media
        from mediaproc.progress import ProgressEvent

        out_bucket = spec.output_bucket or bucket
        self.store.require_bucket(out_bucket)
        src = self.store.path(bucket, spec.input_key)
        parts = tuple(
            ConcatPart(path=self.store.path(bucket, ref.key), position=ref.position, ss=ref.ss, t=ref.t)
            for ref in spec.inputs
        )
        target = spec.sprite_key if spec.op.name == "video/sprite" and spec.sprite_key else spec.output_key
        workdir = self._tmp("")
        workdir.mkdir(parents=True)

        def report(event: ProgressEvent) -> None:
            if event.fraction is not None:
                progress(event.fraction * 100)

        try:
            name = PurePosixPath(target.replace("${Number}", "n")).name
            if spec.op.name == "video/snapshots":
                dst = workdir / "frames"
            else:
                dst = workdir / name
            out = run_media(spec.op, src, dst, inputs=parts, progress=report, cancel=cancel)
            files = sorted((Path(p) for p in out.paths), key=_natural)
            keys = self._publish_outputs(out_bucket, spec, target, files, workdir)
        finally:
            import shutil

            shutil.rmtree(workdir, ignore_errors=True)
        output: dict[str, Any] = {"Bucket": out_bucket, "Region": spec.output_region or self.region}
        if spec.op.name == "video/sprite":
            output["SpriteOutputFile"] = {"ObjectName": keys}
        else:
            output["ObjectName"] = keys
        return {"OutputFile": output}

    def _publish_outputs(
        self, bucket: str, spec: enc.CosJobSpec, target: str, files: list[Path], workdir: Path
    ) -> list[str]:
        if "${Number}" in target:
            keys = [target.replace("${Number}", str(i)) for i in range(len(files))]
        elif spec.op.name == "hls/m3u8":
            folder = str(PurePosixPath(target).parent)
            keys = []
            for f in files:
                if f.suffix.lower() == ".m3u8":
                    keys.append(target)
                else:
                    keys.append(f.name if folder in ("", ".") else f"{folder}/{f.name}")
        else:
            keys = [target] if len(files) == 1 else [f"{target}-{i}" for i in range(len(files))]
        for f, k in zip(files, keys, strict=True):
            self.store.put_file(bucket, k, f)
        return keys


def _natural(path: Path) -> tuple[Any, ...]:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name))


def make_app(front: CosFront) -> web.Application:
    """A standalone aiohttp app serving only the COS front (tests; ``mediaproc serve`` mounts the
    front beside the OSS one)."""
    app = web.Application(client_max_size=1024**3)

    async def _close(_app: web.Application) -> None:
        front.close()

    app.router.add_route("*", "/{tail:.*}", front.handle)
    app.on_cleanup.append(_close)
    return app


__all__ = ["CosFront", "install", "is_cos_host", "make_app"]


def install(emulator: Any) -> None:
    """Join ``mediaproc serve`` (its ``OPTIONAL_FRONTS`` hook): requests whose Host is a COS/CI
    virtual host come here; the same keys, store and worker count as the OSS front. The front is
    kept as ``emulator.cos_front`` (tests adjust ``cos_front.jobs.start_delay``)."""
    creds = auth.CosCredentials({emulator.config.access_key_id: emulator.config.access_key_secret})
    front = CosFront(emulator.store, creds, workers=emulator.config.workers, faults=emulator.faults)
    emulator.cos_front = front
    emulator.add_front(lambda request: is_cos_host(request.headers.get("Host")), front.handle, front.close)
