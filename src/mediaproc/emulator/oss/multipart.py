"""The OSS multipart upload operations, what oss2's resumable upload drives.

Initiate, UploadPart, UploadPartCopy (with ``x-oss-copy-source-range``), Complete (a part list, or
``x-oss-complete-all: yes`` with an empty body), Abort, ListParts and ListMultipartUploads. The
parts and the assembly are the local store's; this module speaks the wire documents around them.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote

import defusedxml.ElementTree as SafeET
from aiohttp import web

from mediaproc.emulator.errors import OssError
from mediaproc.emulator.oss import attributes, callback
from mediaproc.emulator.oss.routing import Target
from mediaproc.emulator.oss.wire import (
    WRITE_BATCH,
    Ctx,
    Operation,
    OssService,
    check_length,
    copy_source,
    document,
    encoded,
    int_param,
    iso8601,
    ok,
    parse_range,
    quoted,
    read_small,
    stored_headers,
    stream_into,
    tag,
    user_meta,
    write_headers,
)
from mediaproc.providers.local.writers import content_md5


def _part_number(request: web.Request) -> int:
    return int_param(request.query, "partNumber", 0, 1, 10000)


async def initiate_multipart_upload(
    oss: OssService, request: web.Request, ctx: Ctx, target: Target
) -> web.Response:
    h = request.headers
    attrs = await oss.call(attributes.upload_attrs, oss, target.bucket_name, h)
    info = await oss.call(
        oss.store.initiate_multipart,
        target.bucket_name,
        target.key,
        content_type=h.get("Content-Type") or None,
        user_meta=user_meta(h),
        headers=stored_headers(h),
        attrs=attrs,
    )
    url = request.query.get("encoding-type") == "url"
    inner = [tag("Bucket", target.bucket), tag("Key", encoded(target.key, url)), tag("UploadId", info.upload_id)]
    if url:
        inner.insert(0, tag("EncodingType", "url"))
    return ok(ctx, body=document("InitiateMultipartUploadResult", inner))


async def upload_part(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    check_length(request)
    number = _part_number(request)
    expected = await oss.call(content_md5, request.headers.get("Content-MD5"))
    writer = await oss.call(
        oss.store.part_writer,
        request.query["uploadId"],
        number,
        bucket=target.bucket_name,
        key=target.key,
    )
    with writer:
        await stream_into(request, ctx, writer)
        if request.content_length is not None and writer.size != request.content_length:
            raise OssError("IncompleteBody", "The body you sent is shorter than Content-Length.")
        part = await oss.call(writer.commit, expected_md5=expected)
    return ok(ctx, headers={"ETag": quoted(part.etag), "x-oss-hash-crc64ecma": str(part.crc64)})


async def upload_part_copy(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    number = _part_number(request)
    src_bucket, src_key = copy_source(request)
    meta, f = await oss.call(oss.store.open_with_meta, src_bucket, src_key)
    try:
        start, length = 0, meta.size
        rng = request.headers.get("x-oss-copy-source-range")
        if rng:
            span = parse_range(rng, meta.size, standard=True)
            if span is not None:
                start, length = span[0], span[1] - span[0] + 1
        writer = await oss.call(
            oss.store.part_writer, request.query["uploadId"], number, bucket=target.bucket_name, key=target.key
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
            part = await oss.call(writer.commit)
    finally:
        f.close()
    body = document(
        "CopyPartResult", [tag("LastModified", iso8601(part.last_modified)), tag("ETag", quoted(part.etag))]
    )
    return ok(ctx, body=body, headers={"ETag": quoted(part.etag), "x-oss-hash-crc64ecma": str(part.crc64)})


async def complete_multipart_upload(
    oss: OssService, request: web.Request, ctx: Ctx, target: Target
) -> web.Response:
    upload_id = request.query["uploadId"]
    hook = callback.requested(request)
    body = await read_small(request)
    parts: list[tuple[int, str]] | None
    if request.headers.get("x-oss-complete-all", "").lower() == "yes":
        if body.strip():
            raise OssError("InvalidArgument", "With x-oss-complete-all the body must be empty.")
        parts = None
    else:
        try:
            root = SafeET.fromstring(body)
            parts = [
                (int(p.findtext("PartNumber") or ""), (p.findtext("ETag") or "").strip()) for p in root.findall("Part")
            ]
        except Exception:
            raise OssError("MalformedXML", "The XML you provided was not well-formed.") from None
        if root.tag != "CompleteMultipartUpload" or not parts:
            raise OssError("MalformedXML", "The XML you provided was not well-formed.")
    meta = await oss.call(
        oss.store.complete_multipart,
        upload_id,
        parts,
        bucket=target.bucket_name,
        key=target.key,
        forbid_overwrite=request.headers.get("x-oss-forbid-overwrite", "").lower() == "true",
    )
    url = request.query.get("encoding-type") == "url"
    inner = [tag("EncodingType", "url")] if url else []
    inner += [
        tag("Location", f"http://{request.host}/{target.bucket}/{quote(target.key)}"),
        tag("Bucket", target.bucket),
        tag("Key", encoded(target.key, url)),
        tag("ETag", quoted(meta.etag)),
    ]
    if hook is not None:
        return await callback.answer(oss, request, ctx, hook, meta, write_headers(meta))
    return ok(ctx, body=document("CompleteMultipartUploadResult", inner), headers=write_headers(meta))


async def abort_multipart_upload(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    await oss.call(oss.store.abort_multipart, request.query["uploadId"], bucket=target.bucket_name, key=target.key)
    return ok(ctx, status=204)


async def list_parts(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    q = request.query
    upload_id = q["uploadId"]
    marker = int_param(q, "part-number-marker", 0, 0, 10000)
    max_parts = int_param(q, "max-parts", 1000, 1, 1000)
    parts = await oss.call(oss.store.list_parts, upload_id, bucket=target.bucket_name, key=target.key)
    after = [p for p in parts if p.part_number > marker]
    page = after[:max_parts]
    truncated = len(after) > max_parts
    next_marker = page[-1].part_number if page else marker
    url = q.get("encoding-type") == "url"
    inner = [tag("EncodingType", "url")] if url else []
    inner += [
        tag("Bucket", target.bucket),
        tag("Key", encoded(target.key, url)),
        tag("UploadId", upload_id),
        tag("StorageClass", "Standard"),
        tag("PartNumberMarker", marker),
        tag("NextPartNumberMarker", next_marker),
        tag("MaxParts", max_parts),
        tag("IsTruncated", "true" if truncated else "false"),
    ]
    for p in page:
        inner.append(
            "<Part>"
            + tag("PartNumber", p.part_number)
            + tag("LastModified", iso8601(p.last_modified))
            + tag("ETag", quoted(p.etag))
            + tag("HashCrc64ecma", p.crc64)
            + tag("Size", p.size)
            + "</Part>"
        )
    return ok(ctx, body=document("ListPartsResult", inner))


async def list_multipart_uploads(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    q = request.query
    url = q.get("encoding-type") == "url"
    prefix, delimiter = q.get("prefix", ""), q.get("delimiter", "")
    key_marker, id_marker = q.get("key-marker", ""), q.get("upload-id-marker", "")
    max_uploads = int_param(q, "max-uploads", 1000, 1, 1000)
    res = await oss.call(
        oss.store.list_uploads,
        target.bucket_name,
        prefix=prefix,
        delimiter=delimiter,
        key_marker=key_marker,
        upload_id_marker=id_marker,
        max_uploads=max_uploads,
    )
    inner = [tag("EncodingType", "url")] if url else []
    inner += [
        tag("Bucket", target.bucket),
        tag("KeyMarker", encoded(key_marker, url)),
        tag("UploadIdMarker", id_marker),
        tag("NextKeyMarker", encoded(res.next_key_marker, url)),
        tag("NextUploadIdMarker", res.next_upload_id_marker),
        tag("Delimiter", encoded(delimiter, url)),
        tag("Prefix", encoded(prefix, url)),
        tag("MaxUploads", max_uploads),
        tag("IsTruncated", "true" if res.is_truncated else "false"),
    ]
    for u in res.uploads:
        inner.append(
            "<Upload>"
            + tag("Key", encoded(u.key, url))
            + tag("UploadId", u.upload_id)
            + tag("StorageClass", "Standard")
            + tag("Initiated", iso8601(u.initiated))
            + "</Upload>"
        )
    inner += [f"<CommonPrefixes>{tag('Prefix', encoded(p, url))}</CommonPrefixes>" for p in res.prefixes]
    return ok(ctx, body=document("ListMultipartUploadsResult", inner))


OPERATIONS: dict[str, Operation] = {
    "InitiateMultipartUpload": initiate_multipart_upload,
    "UploadPart": upload_part,
    "UploadPartCopy": upload_part_copy,
    "CompleteMultipartUpload": complete_multipart_upload,
    "AbortMultipartUpload": abort_multipart_upload,
    "ListParts": list_parts,
    "ListMultipartUploads": list_multipart_uploads,
}
