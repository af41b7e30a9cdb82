"""The OSS service and bucket operations, listings included.

These answer from the bucket, never from one object: ListBuckets, PutBucket, GetBucketInfo,
GetBucketLocation, GetBucketStat, DeleteBucket (the ACL calls are :mod:`.attributes`'), and
ListObjects v1 and v2 (v2's continuation token is the next marker, base64url-encoded without
padding, so a client cannot tell it from the service's opaque token).
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from mediaproc import xmlbody
from mediaproc.emulator.errors import OssError
from mediaproc.emulator.oss import attributes
from mediaproc.emulator.oss.routing import Target
from mediaproc.emulator.oss.wire import (
    Ctx,
    Operation,
    OssService,
    answer,
    common_prefixes,
    encoded,
    flag,
    int_param,
    iso8601,
    ok,
    parse_body,
    quoted,
    read_small,
    url_encoding,
)
from mediaproc.providers.local.records import ListResult, ObjectMeta


async def list_buckets(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    """ListBuckets (GetService) as help.aliyun.com/zh/oss/developer-reference/listbuckets has it:
    ``prefix``, ``marker`` (names after it) and ``max-keys`` (1-1000, default 100; else InvalidArgument),
    answered in name order with ``IsTruncated`` and ``NextMarker`` when more remain."""
    q = request.query
    prefix = q.get("prefix", "")
    marker = q.get("marker", "")
    max_keys = int_param(q, "max-keys", 100, 1, 1000)
    found = await oss.call(oss.store.list_buckets)
    chosen = sorted((b for b in found if b.name.startswith(prefix) and b.name > marker), key=lambda b: b.name)
    truncated = len(chosen) > max_keys
    buckets = chosen[:max_keys]
    host = request.host
    items = [
        {
            "CreationDate": iso8601(b.created),
            "ExtranetEndpoint": host,
            "IntranetEndpoint": host,
            "Location": oss.location(),
            "Name": b.name,
            "Region": oss.creds.region,
            "StorageClass": "Standard",
        }
        for b in buckets
    ]
    doc: dict[str, Any] = {"Prefix": prefix, "Marker": marker, "MaxKeys": str(max_keys)}
    doc["IsTruncated"] = "true" if truncated else "false"
    if truncated:
        doc["NextMarker"] = buckets[-1].name
    doc.update(Owner=oss.owner(), Buckets={"Bucket": items})
    body = answer(xmlbody.OSS_LIST_BUCKETS, doc)
    return ok(ctx, body=body)


async def put_bucket(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    body = await read_small(request)
    storage = None
    if body.strip():  # CreateBucketConfiguration: the default storage class of the bucket's objects
        config = parse_body(xmlbody.OSS_CREATE_BUCKET, body)
        storage = attributes.storage_class(xmlbody.text(config.get("StorageClass")).strip() or None)
    acl = attributes.bucket_acl(request.headers.get("x-oss-acl"))
    await oss.call(oss.store.create_bucket, target.bucket_name, acl=acl, storage_class=storage)
    return ok(ctx, headers={"Location": f"/{target.bucket}"})


async def head_bucket(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    await oss.call(oss.store.require_bucket, target.bucket_name)
    return ok(ctx, headers={"x-oss-bucket-region": oss.creds.region})


async def get_bucket_info(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    info = await oss.call(oss.store.bucket_info, target.bucket_name)
    host = request.host
    bucket = {
        "AccessMonitor": "Disabled",
        "CreationDate": iso8601(info.created),
        "CrossRegionReplication": "Disabled",
        "DataRedundancyType": "LRS",
        "ExtranetEndpoint": host,
        "IntranetEndpoint": host,
        "Location": oss.location(),
        "Name": info.name,
        "ResourceGroupId": "rg-default",
        "StorageClass": info.storage_class,
        "TransferAcceleration": "Disabled",
        "Owner": oss.owner(),
        "AccessControlList": {"Grant": info.acl},
        "ServerSideEncryptionRule": {"SSEAlgorithm": "None"},
        "BucketPolicy": {"LogBucket": "", "LogPrefix": ""},
    }
    return ok(ctx, body=answer(xmlbody.OSS_BUCKET_INFO, {"Bucket": bucket}))


async def get_bucket_location(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    await oss.call(oss.store.require_bucket, target.bucket_name)
    return ok(ctx, body=answer(xmlbody.OSS_LOCATION, {"#text": oss.location()}))


async def get_bucket_stat(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    bucket = target.bucket_name
    size, count = await oss.call(oss.store.bucket_usage, bucket)
    uploads = await oss.call(oss.store.list_uploads, bucket, max_uploads=1000)
    stat = {
        "Storage": size,
        "ObjectCount": count,
        "MultipartUploadCount": len(uploads.uploads),
        "LiveChannelCount": 0,
        "LastModifiedTime": int(time.time()),
        "StandardStorage": size,
        "StandardObjectCount": count,
    }
    return ok(ctx, body=answer(xmlbody.OSS_BUCKET_STAT, stat))


async def delete_bucket(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    await oss.call(oss.store.delete_bucket, target.bucket_name)
    return ok(ctx, status=204)


# --------------------------------------------------------------------------------------------
# listing


def _contents(oss: OssService, metas: tuple[ObjectMeta, ...], url: bool, owner: bool) -> list[dict[str, Any]]:
    out = []
    for m in metas:
        item: dict[str, Any] = {
            "Key": encoded(m.key, url),
            "LastModified": iso8601(m.last_modified),
            "ETag": quoted(m.etag),
            "Type": m.object_type,
            "Size": m.size,
            "StorageClass": m.storage_class or "Standard",
        }
        if owner:
            item["Owner"] = oss.owner()
        restore = attributes.restore_header(m.attrs.restore)
        if restore is not None:  # ListObjects reference: RestoreInfo while a restore runs or lasts
            item["RestoreInfo"] = restore
        out.append(item)
    return out


def _list_args(query: Mapping[str, str]) -> tuple[str, str, int, bool]:
    prefix = query.get("prefix", "")
    delimiter = query.get("delimiter", "")
    max_keys = int_param(query, "max-keys", 100, 1, 1000)
    url = url_encoding(query)
    for name, value in (("prefix", prefix), ("delimiter", delimiter)):
        if len(value.encode("utf-8")) > 1024:
            raise OssError("InvalidArgument", f"The {name} is longer than 1024 bytes.")
    return prefix, delimiter, max_keys, url


async def _list(oss: OssService, target: Target, prefix: str, delimiter: str, marker: str, max_keys: int) -> ListResult:
    return await oss.call(
        oss.store.list_objects,
        target.bucket_name,
        prefix=prefix,
        delimiter=delimiter,
        marker=marker,
        max_keys=max_keys,
    )


async def list_objects(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    q = request.query
    prefix, delimiter, max_keys, url = _list_args(q)
    marker = q.get("marker", "")
    # ListObjects' own rules (help.aliyun.com/en/oss/user-guide/0015-00000406 and 0015-00000405): a
    # delimiter of one character, a marker under 1,024 bytes. ListObjectsV2's pages name no such rule.
    if len(delimiter) > 1:
        raise OssError("InvalidArgument", "The delimiter must be one character.", ec="0015-00000406")
    if len(marker.encode("utf-8")) >= 1024:
        raise OssError("InvalidArgument", "The marker must be shorter than 1024 bytes.", ec="0015-00000405")
    res = await _list(oss, target, prefix, delimiter, marker, max_keys)
    data: dict[str, Any] = {
        "Name": target.bucket,
        "Prefix": encoded(prefix, url),
        "Marker": encoded(marker, url),
        "MaxKeys": max_keys,
        "Delimiter": encoded(delimiter, url),
    }
    if url:
        data["EncodingType"] = "url"
    data["IsTruncated"] = flag(res.is_truncated)
    if res.is_truncated and res.next_marker is not None:
        data["NextMarker"] = encoded(res.next_marker, url)
    data["Contents"] = _contents(oss, res.objects, url, owner=True)
    data["CommonPrefixes"] = common_prefixes(res.prefixes, url)
    return ok(ctx, body=answer(xmlbody.OSS_STORAGE.list_objects, data))


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
    res = await _list(oss, target, prefix, delimiter, marker, max_keys)
    data: dict[str, Any] = {"Name": target.bucket, "Prefix": encoded(prefix, url)}
    if start_after:
        data["StartAfter"] = encoded(start_after, url)
    if token:
        data["ContinuationToken"] = token
    data["MaxKeys"] = max_keys
    data["Delimiter"] = encoded(delimiter, url)
    if url:
        data["EncodingType"] = "url"
    data["IsTruncated"] = flag(res.is_truncated)
    if res.is_truncated and res.next_marker is not None:
        next_token = base64.urlsafe_b64encode(res.next_marker.encode("utf-8")).decode("ascii").rstrip("=")
        data["NextContinuationToken"] = next_token
    data["KeyCount"] = len(res.objects) + len(res.prefixes)
    data["Contents"] = _contents(oss, res.objects, url, owner=fetch_owner)
    data["CommonPrefixes"] = common_prefixes(res.prefixes, url)
    return ok(ctx, body=answer(xmlbody.OSS_STORAGE.list_objects, data))


OPERATIONS: dict[str, Operation] = {
    "ListBuckets": list_buckets,
    "PutBucket": put_bucket,
    "HeadBucket": head_bucket,
    "GetBucketInfo": get_bucket_info,
    "GetBucketLocation": get_bucket_location,
    "GetBucketStat": get_bucket_stat,
    "DeleteBucket": delete_bucket,
    "ListObjects": list_objects,
    "ListObjectsV2": list_objects_v2,
}
