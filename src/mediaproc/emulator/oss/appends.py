"""AppendObject (``POST /<key>?append&position=N``), as the OSS API reference defines it
(help.aliyun.com/zh/oss/developer-reference/appendobject).

- The first append (position 0, no object) creates an ``Appendable`` object and takes its metadata,
  ACL, storage class and tags from that request; a later append keeps them (its ``x-oss-tagging``
  is ignored, as oss2's tests observe).
- ``position`` must be the object's length; otherwise ``409 PositionNotEqualToLength`` with the
  length in ``x-oss-next-append-position``, so a client can resume. Appending to an object that
  was not created by an append is ``409 ObjectNotAppendable``.
- The answer carries ``x-oss-next-append-position`` and ``x-oss-hash-crc64ecma``, the CRC-64 of the
  whole object, which a client chains with the CRC of what it sent to check the append.
"""

from __future__ import annotations

import hashlib

from aiohttp import web

from mediaproc.emulator.errors import OssError
from mediaproc.emulator.oss.attributes import upload_attrs
from mediaproc.emulator.oss.routing import Target
from mediaproc.emulator.oss.wire import (
    Ctx,
    Operation,
    OssService,
    check_length,
    int_param,
    ok,
    quoted,
    stored_headers,
    stream_into,
    user_meta,
)
from mediaproc.providers.local.appends import appender
from mediaproc.providers.local.writers import ObjectWriter, content_md5

MAX_APPENDABLE = 5 * 1024**3  # an appendable object grows to 5 GB at most


class _BodyHash:
    """Passes the request body to the writer and hashes it on the way (the writer's own MD5
    covers the whole object)."""

    def __init__(self, writer: ObjectWriter) -> None:
        self.writer = writer
        self.md5 = hashlib.md5()

    def write(self, data: bytes) -> None:
        self.md5.update(data)
        self.writer.write(data)


async def append_object(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    check_length(request)
    h = request.headers
    position = int_param(request.query, "position", -1, 0, MAX_APPENDABLE)
    if position < 0:
        raise OssError("InvalidArgument", "AppendObject needs the position parameter.")
    expected = await oss.call(content_md5, h.get("Content-MD5"))
    attrs = upload_attrs(h) if position == 0 else None
    try:
        writer = await oss.call(
            appender,
            oss.store,
            target.bucket_name,
            target.key,
            position,
            content_type=h.get("Content-Type") or None,
            user_meta=user_meta(h),
            headers=stored_headers(h),
            attrs=attrs,
        )
    except OssError as exc:
        if exc.code == "PositionNotEqualToLength":
            meta = await oss.call(oss.store.head, target.bucket_name, target.key)
            raise OssError(
                exc.code,
                "Position is not equal to file length.",
                status=409,
                headers={"x-oss-next-append-position": str(meta.size)},
            ) from None
        raise
    with writer:
        body = _BodyHash(writer)
        await stream_into(request, ctx, body)
        if request.content_length is not None and writer.size - position != request.content_length:
            raise OssError("IncompleteBody", "The body you sent is shorter than Content-Length.")
        if expected is not None and expected != body.md5.digest():
            # Content-MD5 covers this request's body, not the object: checked on what was sent
            raise OssError("InvalidDigest", "The Content-MD5 you specified did not match what was received.")
        meta = await oss.call(writer.commit)
    headers = {
        "ETag": quoted(meta.etag),
        "x-oss-hash-crc64ecma": str(meta.crc64),
        "x-oss-next-append-position": str(meta.size),
    }
    return ok(ctx, headers=headers)


OPERATIONS: dict[str, Operation] = {"AppendObject": append_object}
