"""The OSS multipart upload operations, what oss2's resumable upload drives.

Initiate, UploadPart, UploadPartCopy (with ``x-oss-copy-source-range``), Complete (a part list, or
``x-oss-complete-all: yes`` with an empty body), Abort, ListParts and ListMultipartUploads. The
parts and the assembly are the local store's; this module speaks the wire documents around them.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from aiohttp import web

from mediaproc import xmlbody
from mediaproc.emulator.errors import OssError
from mediaproc.emulator.oss import attributes, callback, objects
from mediaproc.emulator.oss.routing import Target
from mediaproc.emulator.oss.wire import (
    WRITE_BATCH,
    Ctx,
    Operation,
    OssService,
    answer,
    check_length,
    common_prefixes,
    copy_source,
    encoded,
    flag,
    int_param,
    iso8601,
    malformed_xml,
    ok,
    parse_body,
    parse_range,
    quoted,
    read_small,
    stream_into,
    url_encoding,
    write_headers,
)
from mediaproc.providers.base import MAX_PARTS
from mediaproc.providers.local.writers import content_md5


def _part_number(request: web.Request) -> int:
    return int_param(request.query, "partNumber", 0, 1, MAX_PARTS)


async def initiate_multipart_upload(
    oss: OssService, request: web.Request, ctx: Ctx, target: Target
) -> web.Response:
    info = await oss.call(
        oss.store.initiate_multipart, target.bucket_name, target.key, **attributes.new_object(request.headers)
    )
    url = request.query.get("encoding-type") == "url"
    result = _encoding_type(url)
    result.update(Bucket=target.bucket, Key=encoded(target.key, url), UploadId=info.upload_id)
    return ok(ctx, body=answer(xmlbody.OSS_STORAGE.initiate_result, result))


def _encoding_type(url: bool) -> dict[str, Any]:
    """Multipart answers open with ``EncodingType`` when the request asked for URL-encoded keys."""
    return {"EncodingType": "url"} if url else {}


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
        objects.check_copy_source(request, meta)
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
    body = answer(
        xmlbody.OSS_COPY_PART_RESULT, {"LastModified": iso8601(part.last_modified), "ETag": quoted(part.etag)}
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
        doc = parse_body(xmlbody.OSS_STORAGE.complete, body)
        try:
            parts = [
                (int(xmlbody.text(p.get("PartNumber"))), xmlbody.text(p.get("ETag")).strip())
                for p in doc.get("Part", [])
            ]
        except (AttributeError, ValueError):
            raise malformed_xml() from None
        if not parts:
            raise malformed_xml()
    meta = await oss.call(
        oss.store.complete_multipart,
        upload_id,
        parts,
        bucket=target.bucket_name,
        key=target.key,
        forbid_overwrite=request.headers.get("x-oss-forbid-overwrite", "").lower() == "true",
    )
    url = request.query.get("encoding-type") == "url"
    result = _encoding_type(url)
    result.update(
        Location=f"http://{request.host}/{target.bucket}/{quote(target.key)}",
        Bucket=target.bucket,
        Key=encoded(target.key, url),
        ETag=quoted(meta.etag),
    )
    if hook is not None:
        return await callback.answer(oss, request, ctx, hook, meta, write_headers(meta))
    return ok(ctx, body=answer(xmlbody.OSS_STORAGE.complete_result, result), headers=write_headers(meta))


async def abort_multipart_upload(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    await oss.call(oss.store.abort_multipart, request.query["uploadId"], bucket=target.bucket_name, key=target.key)
    return ok(ctx, status=204)


async def list_parts(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    q = request.query
    upload_id = q["uploadId"]
    marker = int_param(q, "part-number-marker", 0, 0, MAX_PARTS)
    max_parts = int_param(q, "max-parts", 1000, 1, 1000)
    parts = await oss.call(oss.store.list_parts, upload_id, bucket=target.bucket_name, key=target.key)
    after = [p for p in parts if p.part_number > marker]
    page = after[:max_parts]
    truncated = len(after) > max_parts
    next_marker = page[-1].part_number if page else marker
    url = url_encoding(q)
    result = _encoding_type(url)
    result.update(
        Bucket=target.bucket,
        Key=encoded(target.key, url),
        UploadId=upload_id,
        StorageClass="Standard",
        PartNumberMarker=marker,
        NextPartNumberMarker=next_marker,
        MaxParts=max_parts,
        IsTruncated=flag(truncated),
        Part=[
            {
                "PartNumber": p.part_number,
                "LastModified": iso8601(p.last_modified),
                "ETag": quoted(p.etag),
                "HashCrc64ecma": p.crc64,
                "Size": p.size,
            }
            for p in page
        ],
    )
    return ok(ctx, body=answer(xmlbody.OSS_STORAGE.list_parts, result))


async def list_multipart_uploads(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    q = request.query
    url = url_encoding(q)
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
    result = _encoding_type(url)
    result.update(
        Bucket=target.bucket,
        KeyMarker=encoded(key_marker, url),
        UploadIdMarker=id_marker,
        NextKeyMarker=encoded(res.next_key_marker, url),
        NextUploadIdMarker=res.next_upload_id_marker,
        Delimiter=encoded(delimiter, url),
        Prefix=encoded(prefix, url),
        MaxUploads=max_uploads,
        IsTruncated=flag(res.is_truncated),
        Upload=[
            {
                "Key": encoded(u.key, url),
                "UploadId": u.upload_id,
                "StorageClass": "Standard",
                "Initiated": iso8601(u.initiated),
            }
            for u in res.uploads
        ],
        CommonPrefixes=common_prefixes(res.prefixes, url),
    )
    return ok(ctx, body=answer(xmlbody.OSS_STORAGE.list_uploads, result))


OPERATIONS: dict[str, Operation] = {
    "InitiateMultipartUpload": initiate_multipart_upload,
    "UploadPart": upload_part,
    "UploadPartCopy": upload_part_copy,
    "CompleteMultipartUpload": complete_multipart_upload,
    "AbortMultipartUpload": abort_multipart_upload,
    "ListParts": list_parts,
    "ListMultipartUploads": list_multipart_uploads,
}
