"""The OSS REST front: path-style ``/<bucket>/<key>`` requests over :class:`LocalStore`.

What oss2 (and any client following the OSS API reference) needs: buckets, objects, listing v1 and
v2, multipart, and data processing (``x-oss-process`` GET/POST, ``x-oss-async-process``). One
request's life is decided here, in one place, so that every operation gets the same treatment in
the same order: name the operation (:mod:`.routing`), draw the faults for it, check the signature,
run its handler (:mod:`.buckets`, :mod:`.objects`, :mod:`.multipart`; an object's ACL, tags, storage
class, restores and symlinks in :mod:`.attributes`, appends in :mod:`.appends`, upload callbacks in
:mod:`.callback`, the live-channel listing in :mod:`.live`), and turn whatever it raised into the
service's error answer (:mod:`.wire`). An unsigned request is served only where an ACL makes the
object or bucket public.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from aiohttp import web

from mediaproc.emulator.errors import OssError, new_oss_request_id, oss_error_from
from mediaproc.emulator.events import ObjectEvents
from mediaproc.emulator.faults import FAULT_MESSAGES, Faults
from mediaproc.emulator.oss import appends, attributes, buckets, live, multipart, objects, styles
from mediaproc.emulator.oss.auth import is_signed, verify_oss
from mediaproc.emulator.oss.routing import Target, bad_key_encoding, classify, parse_target
from mediaproc.emulator.oss.wire import ConnectionDropped, Ctx, Operation, OssService, error_response
from mediaproc.errors import MediaprocError

if TYPE_CHECKING:
    from mediaproc.emulator.server import Emulator

log = logging.getLogger("mediaproc.emulator")

MAX_DRAIN = 64 * 1024 * 1024
HANDLERS: dict[str, Operation] = {
    **buckets.OPERATIONS,
    **objects.OPERATIONS,
    **multipart.OPERATIONS,
    **attributes.OPERATIONS,
    **appends.OPERATIONS,
    **live.OPERATIONS,
    **styles.OPERATIONS,
}
# The writes that create an object, announced to IMM triggers (emulator/events.py); OSS's event
# notifications name the same four (PutObject, CopyObject, CompleteMultipartUpload, AppendObject).
CREATES = frozenset({"PutObject", "CopyObject", "CompleteMultipartUpload", "AppendObject"})


class OssFront:
    """Answers OSS requests: an aiohttp handler (:meth:`handle`) over an :class:`OssService`."""

    def __init__(self, service: OssService, faults: Faults, events: ObjectEvents | None = None) -> None:
        self.service = service
        self.faults = faults
        self.events = events

    async def handle(self, request: web.Request) -> web.StreamResponse:
        target = parse_target(request.raw_path, request.headers.get("Host", ""))
        operation = classify(request.method, target, request.query, request.headers)
        decision = self.faults.decide(operation)
        ctx = Ctx(new_oss_request_id(), request.host, operation, decision, self.faults)
        try:
            if decision.latency_s:
                await asyncio.sleep(decision.latency_s)
            if decision.error_status is not None:
                await _drain(request)
                code = decision.error_code
                raise OssError(code, FAULT_MESSAGES.get(code, code), status=decision.error_status)
            response = await self._run(request, ctx, target)
            if self.events is not None and ctx.operation in CREATES and response.status == 200 and target.key:
                self.events.created("oss", target.bucket_name, target.key)
            return response
        except ConnectionDropped:
            return web.Response(status=499)  # the connection is gone; nothing is sent
        except OssError as exc:
            await _drain(request)
            return error_response(request, exc, ctx)
        except MediaprocError as exc:
            await _drain(request)
            return error_response(request, oss_error_from(exc), ctx)
        except (ConnectionError, asyncio.CancelledError):
            raise
        except Exception as exc:
            log.exception("internal error in %s", operation)
            return error_response(request, OssError("InternalError", f"{type(exc).__name__}"), ctx)

    async def _run(self, request: web.Request, ctx: Ctx, target: Target) -> web.StreamResponse:
        op = ctx.operation
        if bad_key_encoding(target):  # before the signature, whose canonical resource is UTF-8
            raise OssError("InvalidObjectName", "The specified object is not valid: the name is not UTF-8.")
        if op == "MethodNotAllowed":
            raise OssError("MethodNotAllowed", "The specified method is not allowed against this resource.")
        query = list(request.query.items())
        if is_signed(query, request.headers):
            # Inline: an HMAC over a few hundred bytes is cheaper than a hop to a worker thread and back.
            verify_oss(request.method, target.bucket, target.key, query, request.headers, self.service.creds)
        else:
            await attributes.check_anonymous(self.service, op, target)
        if op == "NotImplemented":
            raise OssError("NotImplemented", "A header you provided implies functionality that is not implemented.")
        return await HANDLERS[op](self.service, request, ctx, target)


async def _drain(request: web.Request) -> None:
    """Read what is left of the body so the client sees our answer, not a broken pipe."""
    with contextlib.suppress(Exception):
        left = MAX_DRAIN
        while left > 0:
            chunk = await request.content.read(min(left, 256 * 1024))
            if not chunk:
                break
            left -= len(chunk)


def install(emulator: Emulator) -> None:
    """Join ``mediaproc serve`` as the fallback: every request no other front claims is OSS. The
    front is kept as ``emulator.fronts["oss"]``."""
    service = OssService(
        emulator.store,
        emulator.creds,
        processor=emulator.processor,
        allow_callbacks=emulator.config.allow_callbacks,
        admission=emulator.admission,
    )
    front = OssFront(service, emulator.faults, emulator.events)
    emulator.fronts["oss"] = front
    emulator.add_front(None, front.handle)
