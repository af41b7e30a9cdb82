"""The OSS service and bucket operations, listings included.

These answer from the bucket, never from one object: ListBuckets, PutBucket, GetBucketInfo,
GetBucketLocation, GetBucketStat, DeleteBucket, the ACL calls (every bucket here is private), and
ListObjects v1 and v2 (v2's continuation token is the next marker, base64url-encoded without
padding, so a client cannot tell it from the service's opaque token).
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Mapping

from aiohttp import web

from mediaproc.emulator.errors import OssError
from mediaproc.emulator.oss.routing import Target
from mediaproc.emulator.oss.wire import (
    Ctx,
    Operation,
    OssService,
    document,
    encoded,
    int_param,
    iso8601,
    ok,
    quoted,
    read_small,
    tag,
)
from mediaproc.providers.local.records import ObjectMeta


async def list_buckets(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    buckets = await oss.call(oss.store.list_buckets)
    prefix = request.query.get("prefix", "")
    host = request.host
    items = []
    for b in buckets:
        if not b.name.startswith(prefix):
            continue
        items.append(
            "<Bucket>"
            + tag("CreationDate", iso8601(b.created))
            + tag("ExtranetEndpoint", host)
            + tag("IntranetEndpoint", host)
            + tag("Location", oss.location())
            + tag("Name", b.name)
            + tag("Region", oss.creds.region)
            + tag("StorageClass", "Standard")
            + "</Bucket>"
        )
    body = document("ListAllMyBucketsResult", [oss.owner_xml(), "<Buckets>", *items, "</Buckets>"])
    return ok(ctx, body=body)


async def put_bucket(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    await read_small(request)  # CreateBucketConfiguration: storage class is always Standard here
    await oss.call(oss.store.create_bucket, target.bucket_name)
    return ok(ctx, headers={"Location": f"/{target.bucket}"})


async def put_bucket_acl(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    await oss.call(oss.store.require_bucket, target.bucket_name)
    return ok(ctx)


async def get_bucket_acl(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    await oss.call(oss.store.require_bucket, target.bucket_name)
    body = document(
        "AccessControlPolicy",
        [oss.owner_xml(), "<AccessControlList>", tag("Grant", "private"), "</AccessControlList>"],
    )
    return ok(ctx, body=body)


async def head_bucket(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    await oss.call(oss.store.require_bucket, target.bucket_name)
    return ok(ctx, headers={"x-oss-bucket-region": oss.creds.region})


async def get_bucket_info(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    info = await oss.call(oss.store.bucket_info, target.bucket_name)
    host = request.host
    inner = [
        "<Bucket>",
        tag("AccessMonitor", "Disabled"),
        tag("CreationDate", iso8601(info.created)),
        tag("CrossRegionReplication", "Disabled"),
        tag("DataRedundancyType", "LRS"),
        tag("ExtranetEndpoint", host),
        tag("IntranetEndpoint", host),
        tag("Location", oss.location()),
        tag("Name", info.name),
        tag("ResourceGroupId", "rg-default"),
        tag("StorageClass", "Standard"),
        tag("TransferAcceleration", "Disabled"),
        oss.owner_xml(),
        "<AccessControlList>",
        tag("Grant", "private"),
        "</AccessControlList>",
        "<ServerSideEncryptionRule>",
        tag("SSEAlgorithm", "None"),
        "</ServerSideEncryptionRule>",
        "<BucketPolicy>",
        tag("LogBucket", ""),
        tag("LogPrefix", ""),
        "</BucketPolicy>",
        "</Bucket>",
    ]
    return ok(ctx, body=document("BucketInfo", inner))


async def get_bucket_location(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    await oss.call(oss.store.require_bucket, target.bucket_name)
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint>{oss.location()}</LocationConstraint>\n'
    return ok(ctx, body=body.encode("utf-8"))


async def get_bucket_stat(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    bucket = target.bucket_name
    size, count = await oss.call(oss.store.bucket_usage, bucket)
    uploads = await oss.call(oss.store.list_uploads, bucket, max_uploads=1000)
    inner = [
        tag("Storage", size),
        tag("ObjectCount", count),
        tag("MultipartUploadCount", len(uploads.uploads)),
        tag("LiveChannelCount", 0),
        tag("LastModifiedTime", int(time.time())),
        tag("StandardStorage", size),
        tag("StandardObjectCount", count),
    ]
    return ok(ctx, body=document("BucketStat", inner))


async def delete_bucket(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    await oss.call(oss.store.delete_bucket, target.bucket_name)
    return ok(ctx, status=204)


# --------------------------------------------------------------------------------------------
# listing


def _contents(oss: OssService, metas: tuple[ObjectMeta, ...], url: bool, owner: bool) -> list[str]:
    out = []
    for m in metas:
        out.append(
            "<Contents>"
            + tag("Key", encoded(m.key, url))
            + tag("LastModified", iso8601(m.last_modified))
            + tag("ETag", quoted(m.etag))
            + tag("Type", m.object_type)
            + tag("Size", m.size)
            + tag("StorageClass", m.storage_class or "Standard")
            + (oss.owner_xml() if owner else "")
            + "</Contents>"
        )
    return out


def _list_args(query: Mapping[str, str]) -> tuple[str, str, int, bool]:
    prefix = query.get("prefix", "")
    delimiter = query.get("delimiter", "")
    max_keys = int_param(query, "max-keys", 100, 1, 1000)
    encoding = query.get("encoding-type", "")
    if encoding not in ("", "url"):
        raise OssError("InvalidArgument", "The encoding-type must be url.")
    for name, value in (("prefix", prefix), ("delimiter", delimiter)):
        if len(value.encode("utf-8")) > 1024:
            raise OssError("InvalidArgument", f"The {name} is longer than 1024 bytes.")
    return prefix, delimiter, max_keys, encoding == "url"


async def list_objects(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    q = request.query
    prefix, delimiter, max_keys, url = _list_args(q)
    marker = q.get("marker", "")
    res = await oss.call(
        oss.store.list_objects,
        target.bucket_name,
        prefix=prefix,
        delimiter=delimiter,
        marker=marker,
        max_keys=max_keys,
    )
    inner = [
        tag("Name", target.bucket),
        tag("Prefix", encoded(prefix, url)),
        tag("Marker", encoded(marker, url)),
        tag("MaxKeys", max_keys),
        tag("Delimiter", encoded(delimiter, url)),
    ]
    if url:
        inner.append(tag("EncodingType", "url"))
    inner.append(tag("IsTruncated", "true" if res.is_truncated else "false"))
    if res.is_truncated and res.next_marker is not None:
        inner.append(tag("NextMarker", encoded(res.next_marker, url)))
    inner += _contents(oss, res.objects, url, owner=True)
    inner += [f"<CommonPrefixes>{tag('Prefix', encoded(p, url))}</CommonPrefixes>" for p in res.prefixes]
    return ok(ctx, body=document("ListBucketResult", inner))


async def list_objects_v2(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    q = request.query
    prefix, delimiter, max_keys, url = _list_args(q)
    token = q.get("continuation-token", "")
    start_after = q.get("start-after", "")
    marker = start_after
    if token:
        try:
            marker = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise OssError("InvalidArgument", "The continuation token provided is incorrect.") from None
    fetch_owner = q.get("fetch-owner", "false").lower() == "true"
    res = await oss.call(
        oss.store.list_objects,
        target.bucket_name,
        prefix=prefix,
        delimiter=delimiter,
        marker=marker,
        max_keys=max_keys,
    )
    inner = [tag("Name", target.bucket), tag("Prefix", encoded(prefix, url))]
    if start_after:
        inner.append(tag("StartAfter", encoded(start_after, url)))
    if token:
        inner.append(tag("ContinuationToken", token))
    inner += [tag("MaxKeys", max_keys), tag("Delimiter", encoded(delimiter, url))]
    if url:
        inner.append(tag("EncodingType", "url"))
    inner.append(tag("IsTruncated", "true" if res.is_truncated else "false"))
    if res.is_truncated and res.next_marker is not None:
        next_token = base64.urlsafe_b64encode(res.next_marker.encode("utf-8")).decode("ascii").rstrip("=")
        inner.append(tag("NextContinuationToken", next_token))
    inner.append(tag("KeyCount", len(res.objects) + len(res.prefixes)))
    inner += _contents(oss, res.objects, url, owner=fetch_owner)
    inner += [f"<CommonPrefixes>{tag('Prefix', encoded(p, url))}</CommonPrefixes>" for p in res.prefixes]
    return ok(ctx, body=document("ListBucketResult", inner))


OPERATIONS: dict[str, Operation] = {
    "ListBuckets": list_buckets,
    "PutBucket": put_bucket,
    "PutBucketAcl": put_bucket_acl,
    "GetBucketAcl": get_bucket_acl,
    "HeadBucket": head_bucket,
    "GetBucketInfo": get_bucket_info,
    "GetBucketLocation": get_bucket_location,
    "GetBucketStat": get_bucket_stat,
    "DeleteBucket": delete_bucket,
    "ListObjects": list_objects,
    "ListObjectsV2": list_objects_v2,
}
