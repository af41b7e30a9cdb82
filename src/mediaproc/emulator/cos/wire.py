"""What the COS object and Cloud Infinite handlers share: hosts, framing, and the per-operation gate.

qcloud_cos addresses a bucket by Host (``<bucket>.cos.<region>.myqcloud.com``), and COS and CI
answers differ only in a header (``x-ci-request-id``) and the error's ``ci`` flag; keeping that
framing here means an object answer and a CI answer cannot drift apart. Every operation passes
through :class:`Gate` first, which counts it and applies the server's fault settings by its name.
"""

from __future__ import annotations

import asyncio
import functools
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from email.utils import formatdate
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from aiohttp import web

from mediaproc import xmlbody
from mediaproc.emulator.bodies import read_limited
from mediaproc.emulator.cos.errors import CosError
from mediaproc.emulator.faults import Faults
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
CI_OPERATIONS = frozenset({"CreateMediaJobs", "DescribeMediaJobs", "DescribeMediaJob", "CancelMediaJob"})

P = ParamSpec("P")
T = TypeVar("T")


def is_cos_host(host: str | None) -> bool:
    """Whether a Host header names a COS/CI virtual host (``*.cos.<region>.myqcloud.com``)."""
    return bool(host and HOST_RE.match(host.lower()))


def etag(meta: ObjectMeta) -> str:
    return f'"{meta.etag.lower()}"'


def http_date(ts: float) -> str:
    return formatdate(ts, usegmt=True)


def iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(ts))


def first_values(query: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in query.items():
        out.setdefault(k, v)
    return out


def tmp_path(store: LocalStore, suffix: str) -> Path:
    """A fresh path in the store's temp folder (same file system: results move into place)."""
    store.tmp_dir.mkdir(parents=True, exist_ok=True)
    return store.tmp_dir / f"cos-{uuid.uuid4().hex}{suffix}"


async def in_thread(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(fn, *args, **kwargs))


def headers(rid: str, ci: bool) -> dict[str, str]:
    h = {"x-cos-request-id": rid, "Server": "tencent-cos", "Date": http_date(time.time())}
    if ci:
        h["x-ci-request-id"] = rid
    return h


def xml_response(
    rid: str, doc: xmlbody.Doc, data: Mapping[str, Any], *, ci: bool = False, status: int = 200
) -> web.Response:
    body = xmlbody.unparse(doc, data)
    return web.Response(
        body=body.encode("utf-8"), status=status, content_type="application/xml", headers=headers(rid, ci)
    )


async def read_xml_body(request: web.Request) -> bytes:
    """A request's XML body, read no further than the parser takes: an over-size body is cut one
    byte past the limit (for :func:`parse_xml` to refuse) and the rest is left for the front's drain."""
    return await read_limited(request, xmlbody.MAX_BYTES)


def malformed_xml(*, ci: bool = False) -> CosError:
    """How COS refuses a request document it cannot take: not well-formed, hostile, too large (a
    CompleteMultipartUpload of too many parts), or not the document it expects."""
    return CosError(
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema.",
        ci=ci,
    )


def parse_xml(doc: xmlbody.Doc, body: bytes, *, ci: bool = False) -> dict[str, Any]:
    """A request's XML body, parsed; whatever the parser refuses is :func:`malformed_xml`."""
    try:
        return xmlbody.parse(doc, body)
    except xmlbody.MalformedXml:
        raise malformed_xml(ci=ci) from None


def error_response(err: CosError, rid: str, resource: str, method: str) -> web.Response:
    h = {**headers(rid, err.ci), **err.headers}
    if method == "HEAD" or err.status == 304:  # neither carries a body
        return web.Response(status=err.status, headers=h)
    return web.Response(body=err.xml(rid, resource), status=err.status, content_type="application/xml", headers=h)


async def drain(request: web.Request) -> None:
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


class Gate:
    """Counts each operation (``requests``, and the server's counters when shared) and applies the
    server's fault settings to it: latency, or an error answer instead of the operation."""

    def __init__(self, faults: Faults | None) -> None:
        self.faults = faults
        self.requests: dict[str, int] = {}
        self._lock = threading.Lock()

    async def enter(self, name: str) -> None:
        with self._lock:
            self.requests[name] = self.requests.get(name, 0) + 1
        if self.faults is None:
            return
        decision = self.faults.decide(name)
        if decision.latency_s:
            await asyncio.sleep(decision.latency_s)
        if decision.error_status is not None:
            code = decision.error_code
            raise CosError(code, f"fault injected: {code}", status=decision.error_status, ci=name in CI_OPERATIONS)
