"""The OSS REST front: path-style ``/<bucket>/<key>`` requests over :class:`LocalStore`.

What oss2 (and any client following the OSS API reference) needs: buckets (PutBucket,
GetBucketInfo, GetBucketLocation, GetBucketStat, DeleteBucket, ListBuckets), objects (Put, Get with
Range, Head, GetObjectMeta, Delete, DeleteMultipleObjects, Copy), listing v1 and v2, multipart
(Initiate, UploadPart, UploadPartCopy, Complete, ListParts, ListMultipartUploads, Abort), and data
processing (``x-oss-process`` GET/POST, ``x-oss-async-process``) handed to
:mod:`mediaproc.emulator.processing`.

Behaviour follows the OSS API reference, including its less common rules:

- An invalid Range is ignored (200 with the whole object) unless ``x-oss-range-behavior:
  standard`` is sent, then an end past the object is clamped and a start past it is 416.
- ETags are quoted upper-case hex; ``x-oss-hash-crc64ecma`` accompanies uploads and downloads
  (oss2 checks it), ``Content-MD5`` on upload is verified before anything is stored.
- Errors on HEAD have no body: the error XML travels base64-encoded in ``x-oss-err``.
- Deleting a missing object is 204, not 404.
- ``encoding-type=url`` URL-encodes keys, prefixes and markers in listings.

Bodies stream in both directions: an upload goes to disk chunk by chunk (hashing as it goes) and a
download is read from disk chunk by chunk, so memory stays flat whatever the object size.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hashlib
import io
import json
import os
import socket
import struct
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from email.utils import formatdate
from typing import Any
from urllib.parse import quote, unquote
from xml.sax.saxutils import escape

import defusedxml.ElementTree as SafeET
from aiohttp import web

from mediaproc.emulator.auth import OSS_SUBRESOURCES, Credentials, parse_http_date, verify_oss
from mediaproc.emulator.errors import OssError, oss_error_from
from mediaproc.emulator.faults import Decision, Faults
from mediaproc.errors import MediaprocError
from mediaproc.providers.local.records import STORED_HEADERS, ObjectMeta
from mediaproc.providers.local.store import LocalStore
from mediaproc.providers.local.writers import content_md5

READ_CHUNK = 512 * 1024
WRITE_BATCH = 1024 * 1024
MAX_XML_BODY = 4 * 1024 * 1024
MAX_PUT_SIZE = 5 * 1024**3
RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}


class ConnectionDropped(Exception):
    """A fault closed the connection; the handler must stop without answering."""


@dataclass
class Ctx:
    request_id: str
    host_id: str
    operation: str
    decision: Decision
    faults: Faults


@dataclass(frozen=True)
class Target:
    bucket: str | None
    key: str


def parse_target(raw_path: str) -> Target:
    """``/<bucket>/<key>`` from the raw (still percent-encoded) path: oss2 encodes ``/`` in keys."""
    path = raw_path.split("?", 1)[0]
    if not path.startswith("/"):
        path = "/" + path
    bucket_raw, _sep, key_raw = path[1:].partition("/")
    bucket = unquote(bucket_raw) or None
    return Target(bucket, unquote(key_raw) if bucket else "")


def classify(method: str, target: Target, query: Mapping[str, str], headers: Mapping[str, str]) -> str:
    """The OSS API operation a request is (used for routing, counters and fault filters)."""
    if target.bucket is None:
        return "ListBuckets" if method == "GET" else "MethodNotAllowed"
    if not target.key:
        if method == "PUT":
            return "PutBucketAcl" if "acl" in query else "PutBucket"
        if method == "GET":
            for name, op in (
                ("bucketInfo", "GetBucketInfo"),
                ("location", "GetBucketLocation"),
                ("stat", "GetBucketStat"),
                ("uploads", "ListMultipartUploads"),
                ("acl", "GetBucketAcl"),
            ):
                if name in query:
                    return op
            if query.get("list-type") == "2":
                return "ListObjectsV2"
            if any(k in OSS_SUBRESOURCES for k in query):
                return "NotImplemented"
            return "ListObjects"
        if method == "HEAD":
            return "HeadBucket"
        if method == "DELETE":
            return "DeleteBucket" if not query else "NotImplemented"
        if method == "POST":
            return "DeleteMultipleObjects" if "delete" in query else "NotImplemented"
        return "MethodNotAllowed"
    copy = "x-oss-copy-source" in headers
    if method == "PUT":
        if "uploadId" in query and "partNumber" in query:
            return "UploadPartCopy" if copy else "UploadPart"
        if "acl" in query:
            return "PutObjectAcl"
        if any(k in OSS_SUBRESOURCES for k in query):
            return "NotImplemented"
        return "CopyObject" if copy else "PutObject"
    if method == "GET":
        if "uploadId" in query:
            return "ListParts"
        if "x-oss-process" in query:
            return "GetObjectWithProcess"
        if "acl" in query:
            return "GetObjectAcl"
        return "GetObject"
    if method == "HEAD":
        return "GetObjectMeta" if "objectMeta" in query else "HeadObject"
    if method == "DELETE":
        return "AbortMultipartUpload" if "uploadId" in query else "DeleteObject"
    if method == "POST":
        if "uploads" in query:
            return "InitiateMultipartUpload"
        if "uploadId" in query:
            return "CompleteMultipartUpload"
        if "x-oss-async-process" in query:
            return "AsyncProcessObject"
        if "x-oss-process" in query:
            return "ProcessObject"
        return "NotImplemented"
    return "MethodNotAllowed"


# --------------------------------------------------------------------------------------------
# formatting helpers


def iso8601(ts: float) -> str:
    """OSS times have whole seconds and always print ``.000Z`` (oss2's parser requires exactly that)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(int(ts)))


def http_date(ts: float) -> str:
    return formatdate(ts, usegmt=True)


def _x(tag: str, value: object) -> str:
    return f"<{tag}>{escape(str(value))}</{tag}>"


def _xml(root: str, inner: list[str]) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}>' + "".join(inner) + f"</{root}>\n").encode("utf-8")


def _enc(value: str, url: bool) -> str:
    return quote(value, safe="/") if url else value


def _quoted(etag: str) -> str:
    return f'"{etag}"'


def _int_param(query: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = query.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise OssError("InvalidArgument", f"{name} must be an integer.") from None
    if not lo <= value <= hi:
        raise OssError("InvalidArgument", f"{name} must be between {lo} and {hi}.")
    return value


def _user_meta(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower()[len("x-oss-meta-") :]: v for k, v in headers.items() if k.lower().startswith("x-oss-meta-")}


def _object_headers(meta: ObjectMeta) -> dict[str, str]:
    h = {
        "Content-Type": meta.content_type,
        "ETag": _quoted(meta.etag),
        "Last-Modified": http_date(meta.last_modified),
        "x-oss-object-type": meta.object_type,
        "x-oss-storage-class": meta.storage_class,
        "x-oss-hash-crc64ecma": str(meta.crc64),
        "Accept-Ranges": "bytes",
    }
    for name in STORED_HEADERS:
        if name in meta.headers:
            h["-".join(p.capitalize() for p in name.split("-"))] = meta.headers[name]
    for k, v in meta.user_meta.items():
        h[f"x-oss-meta-{k}"] = v
    return h


def parse_range(value: str, size: int, standard: bool) -> tuple[int, int] | None:
    """(start, end) inclusive, or None for "serve the whole object"; raises 416 when standard."""
    invalid = OssError("InvalidRange", "The requested range cannot be satisfied")
    spec = value.strip()
    if not spec.startswith("bytes="):
        return None
    first = spec[len("bytes=") :].split(",")[0].strip()  # OSS serves only the first range
    a, sep, b = first.partition("-")
    if not sep or (not a and not b) or (a and not a.isdigit()) or (b and not b.isdigit()):
        return None
    if not a:  # suffix: the last n bytes
        n = int(b)
        if n == 0:
            if standard:
                raise invalid
            return None
        if n > size:
            if not standard:
                return None
            n = size
        return (size - n, size - 1) if size else None
    start = int(a)
    end = int(b) if b else size - 1
    if start >= size:
        if standard:
            raise invalid
        return None
    if end < start:
        return None
    if end >= size:
        if not standard:
            return None
        end = size - 1
    return start, end


def _reset_connection(request: web.Request) -> None:
    """Abort with a TCP reset (SO_LINGER 0), as a dropped connection looks to the client."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


# --------------------------------------------------------------------------------------------
# the front


class OssFront:
    def __init__(
        self,
        store: LocalStore,
        creds: Credentials,
        *,
        processor: Any = None,
        owner_id: str | None = None,
    ) -> None:
        self.store = store
        self.creds = creds
        self.processor = processor
        self.owner_id = owner_id or str(int(hashlib.sha256(creds.access_key_id.encode()).hexdigest(), 16))[:16]

    # -- entry ----------------------------------------------------------------------------------
    def classify(self, request: web.Request) -> tuple[str, Target]:
        target = parse_target(request.raw_path)
        return classify(request.method, target, request.query, request.headers), target

    async def handle(self, request: web.Request, ctx: Ctx, target: Target) -> web.StreamResponse:
        op = ctx.operation
        if op == "MethodNotAllowed":
            raise OssError("MethodNotAllowed", "The specified method is not allowed against this resource.")
        # Inline: an HMAC over a few hundred bytes is cheaper than a hop to a worker thread and back.
        verify_oss(request.method, target.bucket, target.key, list(request.query.items()), request.headers, self.creds)
        if op == "NotImplemented":
            raise OssError("NotImplemented", "A header you provided implies functionality that is not implemented.")
        handler: Callable[..., Any] = getattr(self, "op_" + op)
        return await handler(request, ctx, target)

    def error_response(self, request: web.Request, err: OssError, ctx: Ctx) -> web.Response:
        body = err.xml(ctx.request_id, ctx.host_id)
        headers = {"x-oss-request-id": ctx.request_id, "Server": "AliyunOSS", **err.headers}
        if ec := _ec_of(body):
            headers["x-oss-ec"] = ec
        if request.method == "HEAD":
            headers["x-oss-err"] = base64.b64encode(body).decode("ascii")
            return web.Response(status=err.status, headers=headers)
        return web.Response(status=err.status, body=body, headers=headers, content_type="application/xml")

    # -- helpers --------------------------------------------------------------------------------
    def _ok(
        self,
        ctx: Ctx,
        *,
        status: int = 200,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        content_type: str | None = None,
    ) -> web.Response:
        h = {"x-oss-request-id": ctx.request_id, "Server": "AliyunOSS", **(headers or {})}
        if body is None:
            return web.Response(status=status, headers=h)
        return web.Response(status=status, body=body, headers=h, content_type=content_type or "application/xml")

    async def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except MediaprocError as exc:
            raise oss_error_from(exc) from None

    def _bucket(self, target: Target) -> str:
        assert target.bucket is not None
        return target.bucket

    async def _body_chunks(self, request: web.Request, ctx: Ctx) -> AsyncIterator[bytes]:
        """The request body in batches of ~1 MiB, applying an upload reset fault."""
        reset_at = ctx.decision.reset_after
        received = 0
        batch = bytearray()
        async for chunk in request.content.iter_chunked(256 * 1024):
            if reset_at is not None and received + len(chunk) > reset_at:
                if ctx.faults.claim("reset"):
                    _reset_connection(request)
                    raise ConnectionDropped()
                reset_at = None
            received += len(chunk)
            batch += chunk
            if len(batch) >= WRITE_BATCH:
                yield bytes(batch)
                batch.clear()
        if batch:
            yield bytes(batch)

    async def _read_small(self, request: web.Request) -> bytes:
        if request.content_length is not None and request.content_length > MAX_XML_BODY:
            raise OssError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.")
        data = await request.content.read(MAX_XML_BODY + 1)
        if len(data) > MAX_XML_BODY:
            raise OssError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.")
        return data

    def _check_length(self, request: web.Request) -> None:
        chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
        if request.content_length is None and not chunked:
            raise OssError("MissingContentLength", "You must provide the Content-Length HTTP header.")
        if request.content_length is not None and request.content_length > MAX_PUT_SIZE:
            raise OssError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.")

    async def _stream_into(self, request: web.Request, ctx: Ctx, writer: Any) -> None:
        async for batch in self._body_chunks(request, ctx):
            await asyncio.to_thread(writer.write, batch)

    def _owner(self) -> str:
        return f"<Owner>{_x('ID', self.owner_id)}{_x('DisplayName', self.owner_id)}</Owner>"

    def _location(self) -> str:
        return f"oss-{self.creds.region}"

    # -- service and buckets --------------------------------------------------------------------
    async def op_ListBuckets(self, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
        buckets = await self._call(self.store.list_buckets)
        prefix = request.query.get("prefix", "")
        host = request.host
        items = []
        for b in buckets:
            if not b.name.startswith(prefix):
                continue
            items.append(
                "<Bucket>"
                + _x("CreationDate", iso8601(b.created))
                + _x("ExtranetEndpoint", host)
                + _x("IntranetEndpoint", host)
                + _x("Location", self._location())
                + _x("Name", b.name)
                + _x("Region", self.creds.region)
                + _x("StorageClass", "Standard")
                + "</Bucket>"
            )
        body = _xml("ListAllMyBucketsResult", [self._owner(), "<Buckets>", *items, "</Buckets>"])
        return self._ok(ctx, body=body)

    async def op_PutBucket(self, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
        await self._read_small(request)  # CreateBucketConfiguration: storage class is always Standard here
        await self._call(self.store.create_bucket, self._bucket(target))
        return self._ok(ctx, headers={"Location": f"/{target.bucket}"})

    async def op_PutBucketAcl(self, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
        await self._call(self.store.require_bucket, self._bucket(target))
        return self._ok(ctx)

    async def op_GetBucketAcl(self, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
        await self._call(self.store.require_bucket, self._bucket(target))
        body = _xml(
            "AccessControlPolicy",
            [self._owner(), "<AccessControlList>", _x("Grant", "private"), "</AccessControlList>"],
        )
        return self._ok(ctx, body=body)

    async def op_HeadBucket(self, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
        await self._call(self.store.require_bucket, self._bucket(target))
        return self._ok(ctx, headers={"x-oss-bucket-region": self.creds.region})

    async def op_GetBucketInfo(self, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
        info = await self._call(self.store.bucket_info, self._bucket(target))
        host = request.host
        inner = [
            "<Bucket>",
            _x("AccessMonitor", "Disabled"),
            _x("CreationDate", iso8601(info.created)),
            _x("CrossRegionReplication", "Disabled"),
            _x("DataRedundancyType", "LRS"),
            _x("ExtranetEndpoint", host),
            _x("IntranetEndpoint", host),
            _x("Location", self._location()),
            _x("Name", info.name),
            _x("ResourceGroupId", "rg-default"),
            _x("StorageClass", "Standard"),
            _x("TransferAcceleration", "Disabled"),
            self._owner(),
            "<AccessControlList>",
            _x("Grant", "private"),
            "</AccessControlList>",
            "<ServerSideEncryptionRule>",
            _x("SSEAlgorithm", "None"),
            "</ServerSideEncryptionRule>",
            "<BucketPolicy>",
            _x("LogBucket", ""),
            _x("LogPrefix", ""),
            "</BucketPolicy>",
            "</Bucket>",
        ]
        return self._ok(ctx, body=_xml("BucketInfo", inner))

    async def op_GetBucketLocation(self, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
        await self._call(self.store.require_bucket, self._bucket(target))
        body = f'<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint>{self._location()}</LocationConstraint>\n'
        return self._ok(ctx, body=body.encode("utf-8"))

    async def op_GetBucketStat(self, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
        bucket = self._bucket(target)
        size, count = await self._call(self.store.bucket_usage, bucket)
        uploads = await self._call(self.store.list_uploads, bucket, max_uploads=1000)
        inner = [
            _x("Storage", size),
            _x("ObjectCount", count),
            _x("MultipartUploadCount", len(uploads.uploads)),
            _x("LiveChannelCount", 0),
            _x("LastModifiedTime", int(time.time())),
            _x("StandardStorage", size),
            _x("StandardObjectCount", count),
        ]
        return self._ok(ctx, body=_xml("BucketStat", inner))

    async def op_DeleteBucket(self, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
        await self._call(self.store.delete_bucket, self._bucket(target))
        return self._ok(ctx, status=204)

    # -- listing --------------------------------------------------------------------------------
    def _contents(self, metas: tuple[ObjectMeta, ...], url: bool, owner: bool) -> list[str]:
        out = []
        for m in metas:
            out.append(
                "<Contents>"
                + _x("Key", _enc(m.key, url))
                + _x("LastModified", iso8601(m.last_modified))
                + _x("ETag", _quoted(m.etag))
                + _x("Type", m.object_type)
                + _x("Size", m.size)
                + _x("StorageClass", m.storage_class)
                + (self._owner() if owner else "")
                + "</Contents>"
            )
        return out

    def _list_args(self, query: Mapping[str, str]) -> tuple[str, str, int, bool]:
        prefix = query.get("prefix", "")
        delimiter = query.get("delimiter", "")
        max_keys = _int_param(query, "max-keys", 100, 1, 1000)
        encoding = query.get("encoding-type", "")
        if encoding not in ("", "url"):
            raise OssError("InvalidArgument", "The encoding-type must be url.")
        for name, value in (("prefix", prefix), ("delimiter", delimiter)):
            if len(value.encode("utf-8")) > 1024:
                raise OssError("InvalidArgument", f"The {name} is longer than 1024 bytes.")
        return prefix, delimiter, max_keys, encoding == "url"

    async def op_ListObjects(self, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
        q = request.query
        prefix, delimiter, max_keys, url = self._list_args(q)
        marker = q.get("marker", "")
        res = await self._call(
            self.store.list_objects,
            self._bucket(target),
            prefix=prefix,
            delimiter=delimiter,
            marker=marker,
            max_keys=max_keys,
        )
        inner = [
            _x("Name", target.bucket),
            _x("Prefix", _enc(prefix, url)),
            _x("Marker", _enc(marker, url)),
            _x("MaxKeys", max_keys),
            _x("Delimiter", _enc(delimiter, url)),
        ]
        if url:
            inner.append(_x("EncodingType", "url"))
        inner.append(_x("IsTruncated", "true" if res.is_truncated else "false"))
        if res.is_truncated and res.next_marker is not None:
            inner.append(_x("NextMarker", _enc(res.next_marker, url)))
        inner += self._contents(res.objects, url, owner=True)
        inner += [f"<CommonPrefixes>{_x('Prefix', _enc(p, url))}</CommonPrefixes>" for p in res.prefixes]
        return self._ok(ctx, body=_xml("ListBucketResult", inner))

    async def op_ListObjectsV2(self, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
        q = request.query
        prefix, delimiter, max_keys, url = self._list_args(q)
        token = q.get("continuation-token", "")
        start_after = q.get("start-after", "")
        marker = start_after
        if token:
            try:
                marker = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                raise OssError("InvalidArgument", "The continuation token provided is incorrect.") from None
        fetch_owner = q.get("fetch-owner", "false").lower() == "true"
        res = await self._call(
            self.store.list_objects,
            self._bucket(target),
            prefix=prefix,
            delimiter=delimiter,
            marker=marker,
            max_keys=max_keys,
        )
        inner = [_x("Name", target.bucket), _x("Prefix", _enc(prefix, url))]
        if start_after:
            inner.append(_x("StartAfter", _enc(start_after, url)))
        if token:
            inner.append(_x("ContinuationToken", token))
        inner += [_x("MaxKeys", max_keys), _x("Delimiter", _enc(delimiter, url))]
        if url:
            inner.append(_x("EncodingType", "url"))
        inner.append(_x("IsTruncated", "true" if res.is_truncated else "false"))
        if res.is_truncated and res.next_marker is not None:
            next_token = base64.urlsafe_b64encode(res.next_marker.encode("utf-8")).decode("ascii").rstrip("=")
            inner.append(_x("NextContinuationToken", next_token))
        inner.append(_x("KeyCount", len(res.objects) + len(res.prefixes)))
        inner += self._contents(res.objects, url, owner=fetch_owner)
        inner += [f"<CommonPrefixes>{_x('Prefix', _enc(p, url))}</CommonPrefixes>" for p in res.prefixes]
        return self._ok(ctx, body=_xml("ListBucketResult", inner))

    # -- objects: write -------------------------------------------------------------------------
    async def op_PutObject(self, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
        self._check_length(request)
        h = request.headers
        expected = await self._call(content_md5, h.get("Content-MD5"))
        writer = await self._call(
            self.store.writer,
            self._bucket(target),
            target.key,
            content_type=h.get("Content-Type") or None,
            user_meta=_user_meta(h),
            headers={k: v for k, v in h.items() if k.lower() in STORED_HEADERS},
            forbid_overwrite=h.get("x-oss-forbid-overwrite", "").lower() == "true",
        )
        with writer:
            await self._stream_into(request, ctx, writer)
            if request.content_length is not None and writer.size != request.content_length:
                raise OssError("IncompleteBody", "The body you sent is shorter than Content-Length.")
            meta = await self._call(writer.commit, expected_md5=expected)
        return self._ok(ctx, headers=self._write_headers(meta, with_md5=True))

    def _write_headers(self, meta: ObjectMeta, *, with_md5: bool = False) -> dict[str, str]:
        h = {"ETag": _quoted(meta.etag), "x-oss-hash-crc64ecma": str(meta.crc64)}
        if with_md5 and "-" not in meta.etag:
            h["Content-MD5"] = base64.b64encode(bytes.fromhex(meta.etag)).decode("ascii")
        return h

    def _copy_source(self, request: web.Request) -> tuple[str, str]:
        raw = request.headers.get("x-oss-copy-source", "")
        raw = raw.split("?", 1)[0]
        if raw.startswith("/"):
            raw = raw[1:]
        bucket, sep, key = raw.partition("/")
        if not sep or not bucket or not key:
            raise OssError("InvalidArgument", "The x-oss-copy-source header is invalid.")
        return unquote(bucket), unquote(key)

    async def op_CopyObject(self, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
        src_bucket, src_key = self._copy_source(request)
        h = request.headers
        directive = h.get("x-oss-metadata-directive", "COPY").upper()
        if directive not in ("COPY", "REPLACE"):
            raise OssError("InvalidArgument", "x-oss-metadata-directive must be COPY or REPLACE.")
        meta = await self._call(
            self.store.copy,
            src_bucket,
            src_key,
            self._bucket(target),
            target.key,
            content_type=h.get("Content-Type") or None,
            user_meta=_user_meta(h),
            headers={k: v for k, v in h.items() if k.lower() in STORED_HEADERS},
            replace_meta=directive == "REPLACE",
            forbid_overwrite=h.get("x-oss-forbid-overwrite", "").lower() == "true",
        )
        body = _xml(
            "CopyObjectResult", [_x("ETag", _quoted(meta.etag)), _x("LastModified", iso8601(meta.last_modified))]
        )
        return self._ok(ctx, body=body, headers=self._write_headers(meta))

    async def op_PutObjectAcl(self, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
        await self._call(self.store.head, self._bucket(target), target.key)
        return self._ok(ctx)

    async def op_GetObjectAcl(self, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
        await self._call(self.store.head, self._bucket(target), target.key)
        body = _xml(
            "AccessControlPolicy",
            [self._owner(), "<AccessControlList>", _x("Grant", "default"), "</AccessControlList>"],
        )
        return self._ok(ctx, body=body)

    async def op_DeleteObject(self, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
        await self._call(self.store.delete, self._bucket(target), target.key)
        return self._ok(ctx, status=204)

    async def op_DeleteMultipleObjects(self, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
        body = await self._read_small(request)
        md5 = request.headers.get("Content-MD5")
        if not md5:
            raise OssError("InvalidDigest", "The Content-MD5 you specified is not valid.")
        if (await self._call(content_md5, md5)) != hashlib.md5(body).digest():
            raise OssError("InvalidDigest", "The Content-MD5 you specified did not match what was received.")
        try:
            root = SafeET.fromstring(body)
        except Exception:
            raise OssError("MalformedXML", "The XML you provided was not well-formed.") from None
        if root.tag != "Delete":
            raise OssError("MalformedXML", "The XML you provided was not well-formed.")
        quiet = (root.findtext("Quiet") or "false").strip().lower() == "true"
        keys = [obj.findtext("Key") or "" for obj in root.findall("Object")]
        if not keys or len(keys) > 1000:
            raise OssError("MalformedXML", "The number of objects must be 1-1000.")
        url = request.query.get("encoding-type") == "url"
        inner = [_x("EncodingType", "url")] if url else []
        for key in keys:
            await self._call(self.store.delete, self._bucket(target), key)
            if not quiet:
                inner.append(f"<Deleted>{_x('Key', _enc(key, url))}</Deleted>")
        return self._ok(ctx, body=_xml("DeleteResult", inner))

    # -- objects: read --------------------------------------------------------------------------
    def _conditions(self, request: web.Request, meta: ObjectMeta) -> None:
        h = request.headers
        etag = meta.etag.upper()

        def tags(value: str) -> set[str]:  # quoted or not, W/ or not, comma-separated
            return {t.strip().removeprefix("W/").strip('"').upper() for t in value.split(",")}

        if (m := h.get("If-Match")) and not tags(m) & {etag, "*"}:
            raise OssError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold.")
        if (
            (s := h.get("If-Unmodified-Since"))
            and (t := parse_http_date(s)) is not None
            and int(meta.last_modified) > t
        ):
            raise OssError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold.")
        if (n := h.get("If-None-Match")) and tags(n) & {etag, "*"}:
            raise OssError("NotModified", "Not Modified", status=304)
        if (s := h.get("If-Modified-Since")) and (t := parse_http_date(s)) is not None and int(meta.last_modified) <= t:
            raise OssError("NotModified", "Not Modified", status=304)

    async def op_HeadObject(self, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
        meta = await self._call(self.store.head, self._bucket(target), target.key)
        self._conditions(request, meta)
        headers = _object_headers(meta)
        headers["Content-Length"] = str(meta.size)
        return self._ok(ctx, headers=headers)

    async def op_GetObjectMeta(self, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
        meta = await self._call(self.store.head, self._bucket(target), target.key)
        headers = {
            "ETag": _quoted(meta.etag),
            "Last-Modified": http_date(meta.last_modified),
            "Content-Length": str(meta.size),
            "x-oss-hash-crc64ecma": str(meta.crc64),
            "x-oss-last-access-time": http_date(meta.last_modified),
        }
        return self._ok(ctx, headers=headers)

    async def op_GetObject(self, request: web.Request, ctx: Ctx, target: Target) -> web.StreamResponse:
        bucket = self._bucket(target)
        meta, f = await self._call(self.store.open_with_meta, bucket, target.key)
        try:
            self._conditions(request, meta)
            headers = _object_headers(meta)
            for param, header in RESPONSE_OVERRIDES.items():
                if param in request.query:
                    headers[header] = request.query[param]
            status = 200
            start, length = 0, meta.size
            rng = request.headers.get("Range")
            if rng:
                standard = request.headers.get("x-oss-range-behavior", "").lower() == "standard"
                span = parse_range(rng, meta.size, standard)
                if span is not None:
                    start, end = span
                    length = end - start + 1
                    status = 206
                    headers["Content-Range"] = f"bytes {start}-{end}/{meta.size}"
            return await self.stream_file(request, ctx, f, start, length, status, headers)
        finally:
            f.close()

    async def stream_file(
        self,
        request: web.Request,
        ctx: Ctx,
        f: Any,
        start: int,
        length: int,
        status: int,
        headers: dict[str, str],
    ) -> web.StreamResponse:
        """Send ``length`` bytes of ``f`` from ``start``, applying reset/truncate faults."""
        resp = web.StreamResponse(
            status=status, headers={"x-oss-request-id": ctx.request_id, "Server": "AliyunOSS", **headers}
        )
        resp.content_length = length
        content_type = headers.get("Content-Type")
        if content_type:
            resp.content_type = content_type
        await resp.prepare(request)
        cut: int | None = None
        kind = ""
        if ctx.decision.reset_after is not None:
            cut, kind = ctx.decision.reset_after, "reset"
        elif ctx.decision.truncate_after is not None:
            cut, kind = ctx.decision.truncate_after, "truncate"
        if cut is not None and cut >= length:
            cut = None
        in_memory = isinstance(f, io.BytesIO)  # no thread hop for bytes already in memory
        if in_memory:
            f.seek(start)
        else:
            await asyncio.to_thread(f.seek, start)
        sent = 0
        remaining = length
        while remaining > 0:
            n = min(READ_CHUNK, remaining)
            chunk = f.read(n) if in_memory else await asyncio.to_thread(f.read, n)
            if not chunk:
                break
            if cut is not None and sent + len(chunk) > cut:
                if ctx.faults.claim(kind):
                    part = chunk[: cut - sent]
                    if part:
                        await resp.write(part)
                    if kind == "reset":
                        _reset_connection(request)
                    elif request.transport is not None:
                        request.transport.close()
                    raise ConnectionDropped()
                cut = None  # the fault's uses are spent: serve the rest
            await resp.write(chunk)
            sent += len(chunk)
            remaining -= len(chunk)
        await resp.write_eof()
        return resp

    # -- multipart ------------------------------------------------------------------------------
    async def op_InitiateMultipartUpload(self, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
        h = request.headers
        info = await self._call(
            self.store.initiate_multipart,
            self._bucket(target),
            target.key,
            content_type=h.get("Content-Type") or None,
            user_meta=_user_meta(h),
            headers={k: v for k, v in h.items() if k.lower() in STORED_HEADERS},
        )
        url = request.query.get("encoding-type") == "url"
        inner = [_x("Bucket", target.bucket), _x("Key", _enc(target.key, url)), _x("UploadId", info.upload_id)]
        if url:
            inner.insert(0, _x("EncodingType", "url"))
        return self._ok(ctx, body=_xml("InitiateMultipartUploadResult", inner))

    def _part_number(self, request: web.Request) -> int:
        return _int_param(request.query, "partNumber", 0, 1, 10000)

    async def op_UploadPart(self, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
        self._check_length(request)
        number = self._part_number(request)
        expected = await self._call(content_md5, request.headers.get("Content-MD5"))
        writer = await self._call(
            self.store.part_writer,
            request.query["uploadId"],
            number,
            bucket=self._bucket(target),
            key=target.key,
        )
        with writer:
            await self._stream_into(request, ctx, writer)
            if request.content_length is not None and writer.size != request.content_length:
                raise OssError("IncompleteBody", "The body you sent is shorter than Content-Length.")
            part = await self._call(writer.commit, expected_md5=expected)
        return self._ok(ctx, headers={"ETag": _quoted(part.etag), "x-oss-hash-crc64ecma": str(part.crc64)})

    async def op_UploadPartCopy(self, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
        number = self._part_number(request)
        src_bucket, src_key = self._copy_source(request)
        meta, f = await self._call(self.store.open_with_meta, src_bucket, src_key)
        try:
            start, length = 0, meta.size
            rng = request.headers.get("x-oss-copy-source-range")
            if rng:
                span = parse_range(rng, meta.size, standard=True)
                if span is not None:
                    start, length = span[0], span[1] - span[0] + 1
            writer = await self._call(
                self.store.part_writer, request.query["uploadId"], number, bucket=self._bucket(target), key=target.key
            )
            with writer:
                await asyncio.to_thread(f.seek, start)
                remaining = length
                while remaining > 0:
                    chunk = await asyncio.to_thread(f.read, min(WRITE_BATCH, remaining))
                    if not chunk:
                        break
                    await asyncio.to_thread(writer.write, chunk)
                    remaining -= len(chunk)
                part = await self._call(writer.commit)
        finally:
            f.close()
        body = _xml("CopyPartResult", [_x("LastModified", iso8601(part.last_modified)), _x("ETag", _quoted(part.etag))])
        return self._ok(ctx, body=body, headers={"x-oss-hash-crc64ecma": str(part.crc64)})

    async def op_CompleteMultipartUpload(self, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
        upload_id = request.query["uploadId"]
        body = await self._read_small(request)
        parts: list[tuple[int, str]] | None
        if request.headers.get("x-oss-complete-all", "").lower() == "yes":
            if body.strip():
                raise OssError("InvalidArgument", "With x-oss-complete-all the body must be empty.")
            parts = None
        else:
            try:
                root = SafeET.fromstring(body)
                parts = [
                    (int(p.findtext("PartNumber") or ""), (p.findtext("ETag") or "").strip())
                    for p in root.findall("Part")
                ]
            except Exception:
                raise OssError("MalformedXML", "The XML you provided was not well-formed.") from None
            if root.tag != "CompleteMultipartUpload" or not parts:
                raise OssError("MalformedXML", "The XML you provided was not well-formed.")
        meta = await self._call(
            self.store.complete_multipart,
            upload_id,
            parts,
            bucket=self._bucket(target),
            key=target.key,
            forbid_overwrite=request.headers.get("x-oss-forbid-overwrite", "").lower() == "true",
        )
        url = request.query.get("encoding-type") == "url"
        inner = [_x("EncodingType", "url")] if url else []
        inner += [
            _x("Location", f"http://{request.host}/{target.bucket}/{quote(target.key)}"),
            _x("Bucket", target.bucket),
            _x("Key", _enc(target.key, url)),
            _x("ETag", _quoted(meta.etag)),
        ]
        return self._ok(ctx, body=_xml("CompleteMultipartUploadResult", inner), headers=self._write_headers(meta))

    async def op_AbortMultipartUpload(self, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
        await self._call(
            self.store.abort_multipart, request.query["uploadId"], bucket=self._bucket(target), key=target.key
        )
        return self._ok(ctx, status=204)

    async def op_ListParts(self, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
        q = request.query
        upload_id = q["uploadId"]
        marker = _int_param(q, "part-number-marker", 0, 0, 10000)
        max_parts = _int_param(q, "max-parts", 1000, 1, 1000)
        parts = await self._call(self.store.list_parts, upload_id, bucket=self._bucket(target), key=target.key)
        after = [p for p in parts if p.part_number > marker]
        page = after[:max_parts]
        truncated = len(after) > max_parts
        next_marker = page[-1].part_number if page else marker
        url = q.get("encoding-type") == "url"
        inner = [_x("EncodingType", "url")] if url else []
        inner += [
            _x("Bucket", target.bucket),
            _x("Key", _enc(target.key, url)),
            _x("UploadId", upload_id),
            _x("StorageClass", "Standard"),
            _x("PartNumberMarker", marker),
            _x("NextPartNumberMarker", next_marker),
            _x("MaxParts", max_parts),
            _x("IsTruncated", "true" if truncated else "false"),
        ]
        for p in page:
            inner.append(
                "<Part>"
                + _x("PartNumber", p.part_number)
                + _x("LastModified", iso8601(p.last_modified))
                + _x("ETag", _quoted(p.etag))
                + _x("HashCrc64ecma", p.crc64)
                + _x("Size", p.size)
                + "</Part>"
            )
        return self._ok(ctx, body=_xml("ListPartsResult", inner))

    async def op_ListMultipartUploads(self, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
        q = request.query
        url = q.get("encoding-type") == "url"
        prefix, delimiter = q.get("prefix", ""), q.get("delimiter", "")
        key_marker, id_marker = q.get("key-marker", ""), q.get("upload-id-marker", "")
        max_uploads = _int_param(q, "max-uploads", 1000, 1, 1000)
        res = await self._call(
            self.store.list_uploads,
            self._bucket(target),
            prefix=prefix,
            delimiter=delimiter,
            key_marker=key_marker,
            upload_id_marker=id_marker,
            max_uploads=max_uploads,
        )
        inner = [_x("EncodingType", "url")] if url else []
        inner += [
            _x("Bucket", target.bucket),
            _x("KeyMarker", _enc(key_marker, url)),
            _x("UploadIdMarker", id_marker),
            _x("NextKeyMarker", _enc(res.next_key_marker, url)),
            _x("NextUploadIdMarker", res.next_upload_id_marker),
            _x("Delimiter", _enc(delimiter, url)),
            _x("Prefix", _enc(prefix, url)),
            _x("MaxUploads", max_uploads),
            _x("IsTruncated", "true" if res.is_truncated else "false"),
        ]
        for u in res.uploads:
            inner.append(
                "<Upload>"
                + _x("Key", _enc(u.key, url))
                + _x("UploadId", u.upload_id)
                + _x("StorageClass", "Standard")
                + _x("Initiated", iso8601(u.initiated))
                + "</Upload>"
            )
        inner += [f"<CommonPrefixes>{_x('Prefix', _enc(p, url))}</CommonPrefixes>" for p in res.prefixes]
        return self._ok(ctx, body=_xml("ListMultipartUploadsResult", inner))

    # -- processing -----------------------------------------------------------------------------
    def _processor(self) -> Any:
        if self.processor is None:
            raise OssError("NotImplemented", "Data processing is not available on this server.")
        return self.processor

    async def op_GetObjectWithProcess(self, request: web.Request, ctx: Ctx, target: Target) -> web.StreamResponse:
        proc = self._processor()
        out = await self._call(proc.run_get, self._bucket(target), target.key, request.query["x-oss-process"])
        try:
            headers = {"Content-Type": out.content_type}
            if out.path is None:  # small results come from memory, still through the body faults
                data = out.data or b""
                return await self.stream_file(request, ctx, io.BytesIO(data), 0, len(data), 200, headers)
            size = await asyncio.to_thread(os.path.getsize, out.path)
            f = await asyncio.to_thread(open, out.path, "rb")
            try:
                return await self.stream_file(request, ctx, f, 0, size, 200, headers)
            finally:
                f.close()
        finally:
            out.cleanup()

    async def op_ProcessObject(self, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
        proc = self._processor()
        body = (await self._read_small(request)).decode("utf-8", errors="replace")
        result = await self._call(proc.run_save, self._bucket(target), target.key, body)
        return self._ok(ctx, body=_json(result), content_type="application/json")

    async def op_AsyncProcessObject(self, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
        proc = self._processor()
        body = (await self._read_small(request)).decode("utf-8", errors="replace")
        result = await self._call(proc.submit_async, self._bucket(target), target.key, body, ctx.request_id)
        return self._ok(ctx, body=_json(result), content_type="application/json")


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def _ec_of(body: bytes) -> str | None:
    start = body.find(b"<EC>")
    if start < 0:
        return None
    end = body.find(b"</EC>", start)
    return body[start + 4 : end].decode("ascii", errors="ignore") if end > 0 else None


__all__ = ["ConnectionDropped", "Ctx", "OssFront", "parse_range", "parse_target"]
