"""What every OSS handler shares: how bodies are read and answers written, and what they act on.

The service's framing rules live here once, so no handler can answer differently from another:
every answer carries ``x-oss-request-id`` and ``Server: AliyunOSS``; errors on HEAD have no body
(the error XML travels base64-encoded in ``x-oss-err``); ETags are quoted upper-case hex with
``x-oss-hash-crc64ecma`` beside them; times print whole seconds as ``.000Z`` (oss2's parser needs
exactly that); ``encoding-type=url`` URL-encodes keys, prefixes and markers.

Bodies stream in both directions: an upload goes to disk chunk by chunk (hashing as it goes) and a
download is read from disk chunk by chunk, so memory stays flat whatever the object size. The
fault settings that act mid-body (a connection reset, a truncated answer) are applied here, where
the bytes flow.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import io
import json
import socket
import struct
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from email.utils import formatdate
from typing import TYPE_CHECKING, Any, BinaryIO, ParamSpec, Protocol, TypeVar
from urllib.parse import quote, unquote

from aiohttp import web

from mediaproc import xmlbody
from mediaproc.emulator.admission import Admission, Busy
from mediaproc.emulator.auth import Credentials
from mediaproc.emulator.bodies import read_limited
from mediaproc.emulator.errors import OssError, oss_error_from
from mediaproc.emulator.faults import Decision, Faults
from mediaproc.emulator.oss.routing import Target
from mediaproc.errors import MediaprocError
from mediaproc.objectopts import check_header_values, check_user_meta
from mediaproc.providers.base import MAX_PUT_BYTES
from mediaproc.providers.local.records import STORED_HEADERS, ObjectMeta
from mediaproc.providers.local.store import LocalStore

if TYPE_CHECKING:
    from mediaproc.emulator.processing import Processor

READ_CHUNK = 512 * 1024
WRITE_BATCH = 1024 * 1024
MAX_PUT_SIZE = MAX_PUT_BYTES  # PutObject's limit, the one the providers read (providers.base)

P = ParamSpec("P")
T = TypeVar("T")


class ConnectionDropped(Exception):
    """A fault closed the connection; the handler must stop without answering."""


@dataclass
class Ctx:
    request_id: str
    host_id: str
    operation: str
    decision: Decision
    faults: Faults


class Writable(Protocol):
    def write(self, data: bytes) -> None: ...


class OssService:
    """The store, keys and processor the handlers act on, and the thread hop that maps errors."""

    def __init__(
        self,
        store: LocalStore,
        creds: Credentials,
        *,
        processor: Processor | None = None,
        owner_id: str | None = None,
        allow_callbacks: bool = False,
        admission: Admission | None = None,
    ) -> None:
        self.store = store
        self.creds = creds
        self.processor = processor
        self.allow_callbacks = allow_callbacks  # POST upload callbacks to loopback URLs (oss.callback)
        self.admission = admission or Admission()
        self.owner_id = owner_id or str(int(hashlib.sha256(creds.access_key_id.encode()).hexdigest(), 16))[:16]

    async def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run blocking store or engine work in a thread; a mediaproc error becomes the OSS one."""
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except MediaprocError as exc:
            raise oss_error_from(exc) from None

    async def process(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run processing work in the server's processing pool under OSS's limits; a full pool and
        queue is ``503 SlowDown`` with ``Retry-After`` (:mod:`mediaproc.emulator.admission`)."""
        try:
            return await self.admission.run("oss", fn, *args, **kwargs)
        except Busy as busy:
            raise OssError(
                "SlowDown", "Please reduce your request rate.", headers={"Retry-After": str(busy.retry_after)}
            ) from None
        except MediaprocError as exc:
            raise oss_error_from(exc) from None

    def owner(self) -> dict[str, str]:
        """The ``Owner`` element of listings and ACLs: every bucket here belongs to the one key."""
        return {"ID": self.owner_id, "DisplayName": self.owner_id}

    def location(self) -> str:
        return f"oss-{self.creds.region}"

    def processing(self) -> Processor:
        if self.processor is None:
            raise OssError("NotImplemented", "Data processing is not available on this server.")
        return self.processor


# One handler per OSS operation (see routing.classify for the names).
Operation = Callable[[OssService, web.Request, Ctx, Target], Awaitable[web.StreamResponse]]


# --------------------------------------------------------------------------------------------
# formatting


def iso8601(ts: float) -> str:
    """OSS times have whole seconds and always print ``.000Z`` (oss2's parser requires exactly that)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(int(ts)))


def http_date(ts: float) -> str:
    return formatdate(ts, usegmt=True)


def answer(doc: xmlbody.Doc, data: Mapping[str, Any]) -> bytes:
    """An XML answer body, as OSS writes it."""
    return xmlbody.unparse(doc, data).encode("utf-8")


def malformed_xml() -> OssError:
    """How OSS refuses a request document it cannot read or that is not the one it expects."""
    return OssError("MalformedXML", "The XML you provided was not well-formed.")


def parse_body(doc: xmlbody.Doc, body: bytes) -> dict[str, Any]:
    """A request's XML body; anything the parser refuses is OSS's ``MalformedXML``."""
    try:
        return xmlbody.parse(doc, body)
    except xmlbody.MalformedXml:
        raise malformed_xml() from None


def flag(value: bool) -> str:
    return "true" if value else "false"


def encoded(value: str, url: bool) -> str:
    """``value`` as a listing prints it: URL-encoded when the request asked ``encoding-type=url``."""
    return quote(value, safe="/") if url else value


def quoted(etag: str) -> str:
    return f'"{etag}"'


def common_prefixes(prefixes: tuple[str, ...], url: bool) -> list[dict[str, str]]:
    """The ``CommonPrefixes`` of a listing (objects and multipart uploads alike)."""
    return [{"Prefix": encoded(p, url)} for p in prefixes]


def json_body(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def url_encoding(query: Mapping[str, str]) -> bool:
    """Whether a listing asks for ``encoding-type=url``; the listings' references (ListObjects, ListParts,
    ListMultipartUploads) name ``url`` as the one value, so any other is InvalidArgument."""
    encoding = query.get("encoding-type", "")
    if encoding not in ("", "url"):
        raise OssError("InvalidArgument", "The encoding-type must be url.")
    return encoding == "url"


def int_param(query: Mapping[str, str], name: str, default: int, lo: int, hi: int) -> int:
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


# help.aliyun.com/en/oss/user-guide/0011-00000002 (8 KB or more) and 0011-00000004 (a name outside
# letters, digits and '-'): the pages give the EC, not the Code; InvalidArgument is what OSS answers
# other header values it does not take. The rule itself is objectopts' (the CLI checks it too).
EC_USER_META_TOO_LARGE = "0011-00000002"
EC_USER_META_NAME = "0011-00000004"


def user_meta(headers: Mapping[str, str]) -> dict[str, str]:
    """The request's ``x-oss-meta-*`` headers by lower-cased name, refused as OSS refuses them (above)."""
    meta = {k.lower()[len("x-oss-meta-") :]: v for k, v in headers.items() if k.lower().startswith("x-oss-meta-")}
    problem = check_user_meta("oss", meta)
    if problem is not None:
        kind, message = problem
        raise OssError("InvalidArgument", message, ec=EC_USER_META_NAME if kind == "name" else EC_USER_META_TOO_LARGE)
    return meta


def stored_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """What an object keeps of an upload's headers: the standard ones (Cache-Control,
    Content-Disposition, ...) and its storage class and ACL (``x-oss-storage-class``,
    ``x-oss-object-acl``), checked against the values OSS takes (PutObject: InvalidArgument)."""
    problem = check_header_values("oss", headers)
    if problem is not None:
        raise OssError("InvalidArgument", problem)
    kept = {k: v for k, v in headers.items() if k.lower() in STORED_HEADERS}
    for header, prop in (("x-oss-storage-class", "storage-class"), ("x-oss-object-acl", "acl")):
        if header in headers:
            kept[prop] = headers[header]
    return kept


def object_headers(meta: ObjectMeta) -> dict[str, str]:
    h = {
        "Content-Type": meta.content_type,
        "ETag": quoted(meta.etag),
        "Last-Modified": http_date(meta.last_modified),
        "x-oss-object-type": meta.object_type,
        "x-oss-storage-class": meta.storage_class or "Standard",
        "x-oss-hash-crc64ecma": str(meta.crc64),
        "Accept-Ranges": "bytes",
    }
    for name in STORED_HEADERS:
        if name in meta.headers:
            h["-".join(p.capitalize() for p in name.split("-"))] = meta.headers[name]
    for k, v in meta.user_meta.items():
        h[f"x-oss-meta-{k}"] = v
    return h


def write_headers(meta: ObjectMeta, *, with_md5: bool = False) -> dict[str, str]:
    h = {"ETag": quoted(meta.etag), "x-oss-hash-crc64ecma": str(meta.crc64)}
    if with_md5 and "-" not in meta.etag:
        h["Content-MD5"] = base64.b64encode(bytes.fromhex(meta.etag)).decode("ascii")
    return h


# --------------------------------------------------------------------------------------------
# request headers


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


def copy_source(request: web.Request) -> tuple[str, str]:
    raw = request.headers.get("x-oss-copy-source", "")
    raw = raw.split("?", 1)[0]
    if raw.startswith("/"):
        raw = raw[1:]
    bucket, sep, key = raw.partition("/")
    if not sep or not bucket or not key:
        raise OssError("InvalidArgument", "The x-oss-copy-source header is invalid.")
    return unquote(bucket), unquote(key)


# --------------------------------------------------------------------------------------------
# answers


def ok(
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


def error_response(request: web.Request, err: OssError, ctx: Ctx) -> web.Response:
    body = err.xml(ctx.request_id, ctx.host_id)
    headers = {"x-oss-request-id": ctx.request_id, "Server": "AliyunOSS", **err.headers}
    if err.ec:
        headers["x-oss-ec"] = err.ec
    if request.method == "HEAD":
        headers["x-oss-err"] = base64.b64encode(body).decode("ascii")
        return web.Response(status=err.status, headers=headers)
    return web.Response(status=err.status, body=body, headers=headers, content_type="application/xml")


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


async def stream_file(
    request: web.Request,
    ctx: Ctx,
    f: BinaryIO,
    start: int,
    length: int,
    status: int,
    headers: dict[str, str],
    *,
    gzip: bool = False,
) -> web.StreamResponse:
    """Send ``length`` bytes of ``f`` from ``start``, applying reset/truncate faults; ``gzip``
    compresses them on the way (chunked, without Content-Length, ETag or Accept-Ranges)."""
    resp = web.StreamResponse(
        status=status, headers={"x-oss-request-id": ctx.request_id, "Server": "AliyunOSS", **headers}
    )
    if gzip:
        for name in ("ETag", "Accept-Ranges", "Content-Length"):
            resp.headers.pop(name, None)
        resp.headers["Vary"] = "Accept-Encoding"
        resp.enable_compression(web.ContentCoding.gzip)
    else:
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
        try:
            await resp.write(chunk)
        except ConnectionError:
            # The client went away mid-answer (its own choice, not an error of ours): stop sending and
            # hand back the response, which aiohttp logs once in the access log with what was sent.
            return resp
        sent += len(chunk)
        remaining -= len(chunk)
    await resp.write_eof()
    return resp


# --------------------------------------------------------------------------------------------
# request bodies


async def body_chunks(request: web.Request, ctx: Ctx) -> AsyncIterator[bytes]:
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


async def stream_into(request: web.Request, ctx: Ctx, writer: Writable) -> None:
    async for batch in body_chunks(request, ctx):
        await asyncio.to_thread(writer.write, batch)


async def read_small(request: web.Request) -> bytes:
    """A body that is read whole (XML documents, processing requests), up to the XML parser's limit."""
    too_large = OssError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.")
    if request.content_length is not None and request.content_length > xmlbody.MAX_BYTES:
        raise too_large
    data = await read_limited(request, xmlbody.MAX_BYTES)
    if len(data) > xmlbody.MAX_BYTES:
        raise too_large
    return data


def check_length(request: web.Request) -> None:
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if request.content_length is None and not chunked:
        raise OssError("MissingContentLength", "You must provide the Content-Length HTTP header.")
    if request.content_length is not None and request.content_length > MAX_PUT_SIZE:
        raise OssError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.")
