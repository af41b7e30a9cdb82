"""The OSS object operations: write, copy, delete, read, and data processing on a read or a POST.

Kept together because they share the rules of one object's life that the OSS API reference sets
and clients rely on:

- ``Content-MD5`` on upload is verified before anything is stored; ``x-oss-forbid-overwrite``
  refuses to replace an object.
- Deleting a missing object is 204, not 404.
- CopyObject refuses a source past its single-copy limit (``400 EntityTooLarge``): clients copy such
  objects part by part with UploadPartCopy, as on the service.
- An invalid Range is ignored (200 with the whole object) unless ``x-oss-range-behavior:
  standard`` is sent, then an end past the object is clamped and a start past it is 416.
- ``x-oss-process`` (GET, POST) and ``x-oss-async-process`` hand the object to
  :mod:`mediaproc.emulator.processing`; a GET result streams through the same body faults as a
  plain download.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from mediaproc import limits, xmlbody
from mediaproc.emulator.conditions import PRECONDITION_FAILED, copy_source_condition, failed_condition
from mediaproc.emulator.errors import OssError
from mediaproc.emulator.oss import attributes, callback, styles
from mediaproc.emulator.oss.routing import Target
from mediaproc.emulator.oss.wire import (
    Ctx,
    Operation,
    OssService,
    answer,
    check_length,
    copy_source,
    encoded,
    http_date,
    iso8601,
    json_body,
    object_headers,
    ok,
    parse_body,
    parse_range,
    quoted,
    read_small,
    stored_headers,
    stream_file,
    stream_into,
    user_meta,
    write_headers,
)
from mediaproc.providers.base import MAX_DELETE_KEYS
from mediaproc.providers.local.records import ObjectMeta
from mediaproc.providers.local.writers import content_md5

RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}


# --------------------------------------------------------------------------------------------
# write


async def put_object(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    check_length(request)
    h = request.headers
    expected = await oss.call(content_md5, h.get("Content-MD5"))
    hook = callback.requested(request)
    writer = await oss.call(
        oss.store.writer,
        target.bucket_name,
        target.key,
        forbid_overwrite=h.get("x-oss-forbid-overwrite", "").lower() == "true",
        **attributes.new_object(h),
    )
    with writer:
        await stream_into(request, ctx, writer)
        if request.content_length is not None and writer.size != request.content_length:
            raise OssError("IncompleteBody", "The body you sent is shorter than Content-Length.")
        meta = await oss.call(writer.commit, expected_md5=expected)
    headers = write_headers(meta, with_md5=True)
    if hook is not None:
        return await callback.answer(oss, request, ctx, hook, meta, headers)
    return ok(ctx, headers=headers)


async def copy_object(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    src_bucket, src_key = copy_source(request)
    h = request.headers
    directive = h.get("x-oss-metadata-directive", "COPY").upper()
    if directive not in ("COPY", "REPLACE"):
        raise OssError("InvalidArgument", "x-oss-metadata-directive must be COPY or REPLACE.")
    source = await oss.call(oss.store.head, src_bucket, src_key)
    check_copy_source(request, source)
    _check_copy_size(h, source, same_bucket=src_bucket == target.bucket_name)
    attrs = attributes.copy_attrs(h, source)
    meta = await oss.call(
        oss.store.copy,
        src_bucket,
        src_key,
        target.bucket_name,
        target.key,
        content_type=h.get("Content-Type") or None,
        user_meta=user_meta(h),
        headers=stored_headers(h),
        replace_meta=directive == "REPLACE",
        forbid_overwrite=h.get("x-oss-forbid-overwrite", "").lower() == "true",
        attrs=attrs,
    )
    body = answer(xmlbody.OSS_COPY_RESULT, {"ETag": quoted(meta.etag), "LastModified": iso8601(meta.last_modified)})
    return ok(ctx, body=body, headers=write_headers(meta))


def _check_copy_size(h: Mapping[str, str], source: ObjectMeta, *, same_bucket: bool) -> None:
    """CopyObject takes a source of at most 1 GB when it changes the storage class or the encryption
    (exactly 1 GiB passes), 5 GB to another bucket keeping them, any size within one bucket keeping
    them; past its tier ``400 EntityTooLarge`` with the service's message
    (:func:`mediaproc.limits.copy_object_limit`, where the pages are cited)."""
    wanted = h.get("x-oss-storage-class")
    changes = "x-oss-server-side-encryption" in h or (
        wanted is not None and wanted.lower() != (source.storage_class or "Standard").lower())
    limit = limits.copy_object_limit("oss", same_place=same_bucket, changes_storage=changes)
    if limit is not None and source.size > limit.value:
        raise OssError(limit.code, "Source object Length exceeds the maximum allowed size.")


async def put_object_acl(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    """PutObjectAcl: ``x-oss-object-acl`` is stored, read back by GetObjectAcl, and decides which
    unsigned requests are served (:func:`.attributes.check_anonymous`)."""
    acl = request.headers.get("x-oss-object-acl")
    if acl is None:
        raise OssError("InvalidArgument", "x-oss-object-acl is required.")
    props = stored_headers({"x-oss-object-acl": acl})
    await oss.call(oss.store.set_properties, target.bucket_name, target.key, props)
    return ok(ctx)


async def get_object_acl(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    meta = await oss.call(oss.store.head, target.bucket_name, target.key)
    body = answer(xmlbody.OSS_ACL, {"Owner": oss.owner(), "AccessControlList": {"Grant": meta.acl or "default"}})
    return ok(ctx, body=body)


async def delete_object(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    await oss.call(oss.store.delete, target.bucket_name, target.key)
    return ok(ctx, status=204)


async def delete_multiple_objects(
    oss: OssService, request: web.Request, ctx: Ctx, target: Target
) -> web.Response:
    body = await read_small(request)
    md5 = request.headers.get("Content-MD5")
    if not md5:
        raise OssError("InvalidDigest", "The Content-MD5 you specified is not valid.")
    if (await oss.call(content_md5, md5)) != hashlib.md5(body).digest():
        raise OssError("InvalidDigest", "The Content-MD5 you specified did not match what was received.")
    clean, restore = control_chars_escaped(body)
    doc = parse_body(xmlbody.OSS_DELETE, clean)
    quiet = xmlbody.text(doc.get("Quiet")).strip().lower() == "true"
    keys = [restore(xmlbody.text(obj.get("Key"))) if isinstance(obj, dict) else "" for obj in doc.get("Object", [])]
    if not keys or len(keys) > MAX_DELETE_KEYS:
        raise OssError("MalformedXML", f"The number of objects must be 1-{MAX_DELETE_KEYS}.")
    url = request.query.get("encoding-type") == "url"
    result: dict[str, Any] = {"EncodingType": "url"} if url else {}
    deleted = []
    for key in keys:
        await oss.call(oss.store.delete, target.bucket_name, key)
        deleted.append({"Key": encoded(key, url)})
    if not quiet:
        result["Deleted"] = deleted
    return ok(ctx, body=answer(xmlbody.OSS_DELETE_RESULT, result))


def control_chars_escaped(body: bytes) -> tuple[bytes, Callable[[str], str]]:
    """The body with C0 control characters (not allowed in XML 1.0) swapped for private-use
    characters, and the function that swaps them back in a parsed key.

    Observed from oss2's tests (the reference is silent): oss2 writes a key such as
    ``"a\x0cb"`` into the Delete body unescaped and the service deletes it, so the service reads
    such bodies; a conforming XML parser would refuse them."""
    controls = {c for c in body if c < 0x20 and c not in (0x09, 0x0A, 0x0D)}
    if not controls:
        return body, lambda text: text
    table = {c: chr(PRIVATE_USE + c) for c in controls}
    out = body.decode("utf-8", errors="replace").translate(table).encode("utf-8")
    back = {PRIVATE_USE + c: chr(c) for c in controls}
    return out, lambda text: text.translate(back)


PRIVATE_USE = 0xF0000  # plane 15: no client key is expected to hold these


# --------------------------------------------------------------------------------------------
# read


def _check_conditions(request: web.Request, meta: ObjectMeta) -> None:
    _answer_condition(failed_condition(request.headers, meta.etag, meta.last_modified))


def check_copy_source(request: web.Request, source: ObjectMeta) -> None:
    """CopyObject's and UploadPartCopy's ``x-oss-copy-source-if-*`` (:mod:`mediaproc.emulator.conditions`)."""
    _answer_condition(copy_source_condition(request.headers, "x-oss-copy-source-", source.etag, source.last_modified))


def _answer_condition(failed: int | None) -> None:
    if failed == PRECONDITION_FAILED:
        raise OssError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold.")
    if failed is not None:
        raise OssError("NotModified", "Not Modified", status=304)


def _read_headers(link: ObjectMeta, meta: ObjectMeta) -> dict[str, str]:
    """Headers of a read: the object's, or for a symlink the target's bytes with the link's own
    type, user metadata and attributes."""
    headers = object_headers(meta)
    if link is not meta:
        for k in [k for k in headers if k.startswith("x-oss-meta-")]:
            del headers[k]
        headers.update({f"x-oss-meta-{k}": v for k, v in link.user_meta.items()})
        headers["x-oss-object-type"] = "Symlink"
        headers["Last-Modified"] = http_date(max(link.last_modified, meta.last_modified))
    headers.update(attributes.attribute_headers(link))
    return headers


# help.aliyun.com/knowledge_detail/39645.html: with ``Accept-Encoding: gzip`` OSS compresses an
# object of at least 1 KB whose Content-Type is one of these, and then sends no ETag,
# Content-Length or Accept-Ranges.
GZIP_TYPES = frozenset(
    {
        "text/cache-manifest",
        "text/xml",
        "text/css",
        "text/html",
        "text/plain",
        "application/javascript",
        "application/x-javascript",
        "application/rss+xml",
        "application/json",
        "text/json",
    }
)
GZIP_MIN_SIZE = 1024


def _gzip_wanted(request: web.Request, meta: ObjectMeta, headers: Mapping[str, str]) -> bool:
    accepted = {p.split(";")[0].strip().lower() for p in request.headers.get("Accept-Encoding", "").split(",")}
    ctype = headers.get("Content-Type", "").split(";")[0].strip().lower()
    big = meta.size >= GZIP_MIN_SIZE
    return "gzip" in accepted and big and ctype in GZIP_TYPES and "Content-Encoding" not in headers


async def head_object(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    link = await oss.call(oss.store.head, target.bucket_name, target.key)
    meta = await attributes.resolve(oss, link)
    _check_conditions(request, meta)
    headers = _read_headers(link, meta)
    headers["Content-Length"] = str(meta.size)
    return ok(ctx, headers=headers)


async def get_object_meta(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    meta = await oss.call(oss.store.head, target.bucket_name, target.key)
    headers = {
        "ETag": quoted(meta.etag),
        "Last-Modified": http_date(meta.last_modified),
        "Content-Length": str(meta.size),
        "x-oss-hash-crc64ecma": str(meta.crc64),
        "x-oss-last-access-time": http_date(meta.last_modified),
    }
    return ok(ctx, headers=headers)


async def get_object(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.StreamResponse:
    link = await oss.call(oss.store.head, target.bucket_name, target.key)
    resolved = await attributes.resolve(oss, link)
    attributes.check_readable(resolved)
    meta, f = await oss.call(oss.store.open_with_meta, resolved.bucket, resolved.key)
    if link.object_type != "Symlink":
        link = meta
    try:
        _check_conditions(request, meta)
        headers = _read_headers(link, meta)
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
        gzip = status == 200 and _gzip_wanted(request, meta, headers)
        return await stream_file(request, ctx, f, start, length, status, headers, gzip=gzip)
    finally:
        f.close()


# --------------------------------------------------------------------------------------------
# processing


async def get_object_with_process(
    oss: OssService, request: web.Request, ctx: Ctx, target: Target
) -> web.StreamResponse:
    proc = oss.processing()
    process = await styles.expand(oss, target.bucket_name, request.query["x-oss-process"])
    if process.strip().lower().startswith("hls/"):
        return await _signed_playlist(oss, request, ctx, target, process)
    out = await oss.process(proc.run_get, target.bucket_name, target.key, process)
    try:
        headers = {"Content-Type": out.content_type}
        if out.path is None:  # small results come from memory, still through the body faults
            data = out.data or b""
            return await stream_file(request, ctx, io.BytesIO(data), 0, len(data), 200, headers)
        size = await asyncio.to_thread(os.path.getsize, out.path)
        f = await asyncio.to_thread(out.path.open, "rb")
        try:
            return await stream_file(request, ctx, f, 0, size, 200, headers)
        finally:
            f.close()
    finally:
        out.cleanup()


async def _signed_playlist(
    oss: OssService, request: web.Request, ctx: Ctx, target: Target, process: str
) -> web.StreamResponse:
    """The hls/m3u8 playlist with every segment line signed (a V1 signed URL, relative to the
    playlist's folder), valid as long as the URL that asked for it (an hour for a header-signed
    request), so a player given one signed URL can fetch every segment of a private object."""
    import calendar
    import time

    from mediaproc.emulator.oss.auth import v1_signature, v1_string_to_sign

    bucket, key = target.bucket_name, target.key
    text, folder = await oss.call(oss.processing().run_hls, bucket, key, process)
    q = request.query
    if q.get("Expires", "").isdigit():
        expires = int(q["Expires"])
    elif q.get("x-oss-expires", "").isdigit() and q.get("x-oss-date"):
        start = calendar.timegm(time.strptime(q["x-oss-date"], "%Y%m%dT%H%M%SZ"))
        expires = start + int(q["x-oss-expires"])
    else:
        expires = int(time.time()) + 3600
    parent = key.rsplit("/", 1)[0] + "/" if "/" in key else ""
    ak, secret = oss.creds.access_key_id, oss.creds.access_key_secret
    lines = []
    for line in text.splitlines():
        item = line.strip()
        if item and not item.startswith("#") and "://" not in item:
            seg_key = folder + item
            sts = v1_string_to_sign("GET", bucket, seg_key, (), {}, str(expires))
            query = urlencode({"OSSAccessKeyId": ak, "Expires": str(expires), "Signature": v1_signature(secret, sts)})
            line = f"{seg_key[len(parent):]}?{query}"
        lines.append(line)
    data = ("\n".join(lines) + "\n").encode("utf-8")
    headers = {"Content-Type": "application/vnd.apple.mpegurl"}
    return await stream_file(request, ctx, io.BytesIO(data), 0, len(data), 200, headers)


async def process_object(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    proc = oss.processing()
    body = (await read_small(request)).decode("utf-8", errors="replace")
    body = await styles.expand(oss, target.bucket_name, body)
    result = await oss.process(proc.run_save, target.bucket_name, target.key, body)
    return ok(ctx, body=json_body(result), content_type="application/json")


async def async_process_object(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    proc = oss.processing()
    body = (await read_small(request)).decode("utf-8", errors="replace")
    body = await styles.expand(oss, target.bucket_name, body)
    result = await oss.process(proc.submit_async, target.bucket_name, target.key, body, ctx.request_id)
    return ok(ctx, body=json_body(result), content_type="application/json")


OPERATIONS: dict[str, Operation] = {
    "PutObject": put_object,
    "CopyObject": copy_object,
    "PutObjectAcl": put_object_acl,
    "GetObjectAcl": get_object_acl,
    "DeleteObject": delete_object,
    "DeleteMultipleObjects": delete_multiple_objects,
    "HeadObject": head_object,
    "GetObjectMeta": get_object_meta,
    "GetObject": get_object,
    "GetObjectWithProcess": get_object_with_process,
    "ProcessObject": process_object,
    "AsyncProcessObject": async_process_object,
}
