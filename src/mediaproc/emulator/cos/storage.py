"""The COS object storage API: buckets, objects and multipart uploads over the shared folder store.

What coscmd and qcloud_cos's object calls need (PutBucket, HeadBucket, ListObjects, Put, Get,
Head, Delete, multipart), answered in COS's documents (``ListBucketResult``, the multipart
results, lower-case quoted ETags). A request that is Cloud Infinite work riding on an object call
(``Pic-Operations`` on a PUT, ``?image_process``, ``ci-process=`` or a rule on a GET) is handed to
:class:`~mediaproc.emulator.cos.ci.CiProcessing`; the choice of which stays here, in the order the
object API checks its parameters.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote
from xml.sax.saxutils import escape

from aiohttp import web

from mediaproc import limits, xmlbody
from mediaproc.emulator.cos import attributes, checks
from mediaproc.emulator.cos.ci import CiProcessing
from mediaproc.emulator.cos.errors import CosError
from mediaproc.emulator.cos.wire import (
    CHUNK,
    HOST_RE,
    Gate,
    etag,
    headers,
    http_date,
    in_thread,
    iso,
    malformed_xml,
    parse_xml,
    read_xml_body,
    xml_response,
)
from mediaproc.errors import MediaprocError
from mediaproc.providers.base import MAX_DELETE_KEYS, MAX_LIST_KEYS
from mediaproc.providers.local.multipart import COS_MIN_PART_SIZE
from mediaproc.providers.local.records import PROPERTIES, STORED_HEADERS, ObjectMeta
from mediaproc.providers.local.store import LocalStore
from mediaproc.providers.local.writers import content_md5

OWNER = "qcs::cam::uin/1250000000:uin/1250000000"  # the account the emulator's buckets belong to


def _meta_headers(meta: ObjectMeta) -> dict[str, str]:
    """What GET and HEAD return about an object: its standard headers as uploaded, ``x-cos-meta-*``
    and its storage class (COS returns ``x-cos-storage-class`` only for a class other than STANDARD,
    cloud.tencent.com/document/product/436/7745; sending it always is what clients tolerate)."""
    h = {
        "Content-Length": str(meta.size),
        "Content-Type": meta.content_type,
        "ETag": etag(meta),
        "Last-Modified": http_date(meta.last_modified),
        "x-cos-storage-class": meta.storage_class or "STANDARD",
        "x-cos-hash-crc64ecma": str(meta.crc64),
        "Accept-Ranges": "bytes",
    }
    for name in STORED_HEADERS:
        if name in meta.headers:
            h["-".join(p.capitalize() for p in name.split("-"))] = meta.headers[name]
    for k, v in meta.user_meta.items():
        h[f"x-cos-meta-{k}"] = v
    if meta.attrs.tags:
        h["x-cos-tagging-count"] = str(len(meta.attrs.tags))
    return h


SIGNATURE_PARAMS = frozenset(
    {"x-cos-security-token", "q-sign-algorithm", "q-ak", "q-sign-time", "q-key-time", "q-header-list",
     "q-url-param-list", "q-signature"}
)  # fmt: skip
LIST_PARAMS = SIGNATURE_PARAMS | {"prefix", "delimiter", "marker", "max-keys", "encoding-type"}  # GET Bucket
# GetObject's own parameters (cloud.tencent.com/document/product/436/7753) and the signature's: a GET
# carrying anything else asks for processing serve does not know (a rule such as
# ``nosuchprocessor/1``) and is refused, never answered with the unprocessed object.
GET_PARAMS = SIGNATURE_PARAMS | {
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "versionId",
    "x-cos-traffic-limit",
}
RESPONSE_OVERRIDES = {
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
    "response-content-language": "Content-Language",
    "response-content-type": "Content-Type",
    "response-expires": "Expires",
}


def _copy_source(raw: str) -> tuple[str, str, str]:
    """``<bucket>-<appid>.cos.<region>.myqcloud.com/<key>`` (the key URL-encoded) -> (bucket, key, region)."""
    text = raw.split("?", 1)[0]
    if "://" in text:
        text = text.split("://", 1)[1]
    host, sep, key = text.partition("/")
    m = HOST_RE.match(host.lower())
    if not sep or not key or not m:
        raise CosError("InvalidArgument", "x-cos-copy-source must be <bucket>.cos.<region>.myqcloud.com/<key>.")
    return m.group("bucket"), unquote(key), m.group("region")


def _check_copy_size(request: web.Request, source: ObjectMeta, src_region: str) -> None:
    """PUT Object - Copy takes a source of at most 5 GB unless the copy stays in its region and keeps its
    storage class (:func:`mediaproc.limits.copy_object_limit`, where the pages are cited); the destination's
    class is ``x-cos-storage-class`` or STANDARD, as the API page says. The refusal's message is not
    documented: it states the limit, as S3's does (COS answers S3 clients)."""
    host = HOST_RE.match(request.headers.get("Host", "").lower())
    same_region = host is None or host.group("region") == src_region
    wanted = (request.headers.get("x-cos-storage-class") or "STANDARD").upper()
    limit = limits.copy_object_limit("cos", same_place=same_region,
                                     changes_storage=wanted != (source.storage_class or "STANDARD").upper())
    if limit is not None and source.size > limit.value:
        raise CosError(limit.code, "The specified copy source is larger than the maximum allowable size for a "
                                   f"copy source: {limit.value}")


async def _commit(writer: Any, headers: Mapping[str, str]) -> Any:
    """Publish an upload, checking ``Content-MD5`` first: a value that is not base64 of 16 bytes is
    ``InvalidDigest``, a digest of other bytes ``BadDigest`` (COS error codes, 436/7730)."""
    try:
        expected = content_md5(headers.get("Content-MD5"))
    except MediaprocError:
        raise CosError("InvalidDigest", "The Content-MD5 you specified is not valid.") from None
    try:
        return await in_thread(writer.commit, expected_md5=expected)
    except MediaprocError as exc:
        if exc.code == "InvalidDigest":
            raise CosError("BadDigest", "The Content-MD5 you specified did not match what was received.") from None
        raise


ALL_USERS = "http://cam.qcloud.com/groups/global/AllUsers"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


def _acl_document(meta: ObjectMeta, owner: str) -> str:
    """GET ?acl (cloud.tencent.com/document/product/436/7744): the owner's FULL_CONTROL, AllUsers
    READ for public-read, and the stored grants."""

    def ids(value: str | None) -> list[str]:
        return re.findall(r'id="([^"]+)"', value or "")

    def user(uin: str, permission: str) -> str:
        return (f'<Grant><Grantee xmlns:xsi="{XSI}" xsi:type="CanonicalUser"><ID>{escape(uin)}</ID>'
                f"<DisplayName>{escape(uin)}</DisplayName></Grantee><Permission>{permission}</Permission></Grant>")

    grants = [user(owner, "FULL_CONTROL")]
    if meta.acl == "public-read":
        grants.append(f'<Grant><Grantee xmlns:xsi="{XSI}" xsi:type="Group"><URI>{ALL_USERS}</URI></Grantee>'
                      "<Permission>READ</Permission></Grant>")
    grants += [user(i, "READ") for i in ids(meta.headers.get("grant-read"))]
    grants += [user(i, "FULL_CONTROL") for i in ids(meta.headers.get("grant-full-control"))]
    return ("<?xml version='1.0' encoding='utf-8' ?><AccessControlPolicy>"
            f"<Owner><ID>{escape(owner)}</ID><DisplayName>{escape(owner)}</DisplayName></Owner>"
            f"<AccessControlList>{''.join(grants)}</AccessControlList></AccessControlPolicy>")


class ObjectStorage:
    """Bucket and object requests of one COS front (``region`` names the hosts in its answers)."""

    def __init__(self, store: LocalStore, region: str, gate: Gate, ci: CiProcessing) -> None:
        self.store = store
        self.region = region
        self.gate = gate
        self.ci = ci

    # -- buckets ----------------------------------------------------------------------------------------
    async def bucket_route(
        self, request: web.Request, rid: str, bucket: str, query: dict[str, str]
    ) -> web.StreamResponse:
        method = request.method
        if method == "PUT" and not query:
            await self.gate.enter("PutBucket")
            checks.bucket_name(bucket)
            created = await in_thread(self.store.create_bucket, bucket)
            if not created:
                raise CosError("BucketAlreadyExists", "The requested bucket name is not available.", status=409)
            return web.Response(status=200, headers=headers(rid, False))
        if method == "HEAD":
            await self.gate.enter("HeadBucket")
            await in_thread(self.store.require_bucket, bucket)
            return web.Response(status=200, headers=headers(rid, False))
        if method == "POST" and "delete" in query:
            await self.gate.enter("DeleteMultipleObjects")
            return await self._delete_many(request, rid, bucket)
        if method == "GET" and "uploads" in query:
            await self.gate.enter("ListMultipartUploads")
            return await self._list_uploads(rid, bucket, query)
        if method == "GET":
            unknown = sorted(k for k in query if k not in LIST_PARAMS)
            if unknown:  # a bucket API serve does not implement (?lifecycle, ?cors, ...): never a listing
                raise CosError("NotImplemented", f"The bucket API ?{unknown[0]} is not implemented by this server.")
            await self.gate.enter("ListObjects")
            return await self._list(rid, bucket, query)
        raise CosError("MethodNotAllowed", "The specified method is not allowed against this resource.")

    async def _delete_many(self, request: web.Request, rid: str, bucket: str) -> web.Response:
        """DELETE Multiple Objects (cloud.tencent.com/document/product/436/8289): at most 1,000 keys,
        ``Content-MD5`` required; each key answered under ``Deleted`` (unless ``Quiet``) or ``Error``
        with its own code, so one key that cannot be deleted does not fail the others."""
        body = await read_xml_body(request)
        try:
            expected = content_md5(request.headers.get("Content-MD5"))
        except MediaprocError:
            raise CosError("InvalidDigest", "The Content-MD5 you specified is not valid.") from None
        if expected is None:
            raise CosError("InvalidRequest", "Missing required header for this request: Content-MD5.")
        if hashlib.md5(body).digest() != expected:
            raise CosError("BadDigest", "The Content-MD5 you specified did not match what was received.")
        doc = parse_xml(xmlbody.COS_DELETE, body)
        quiet = xmlbody.text(doc.get("Quiet")).strip().lower() == "true"
        keys = [xmlbody.text(o.get("Key")) if isinstance(o, dict) else "" for o in doc.get("Object", [])]
        if not keys or len(keys) > MAX_DELETE_KEYS:
            raise malformed_xml()
        await in_thread(self.store.require_bucket, bucket)
        deleted: list[dict[str, str]] = []
        errors: list[dict[str, str]] = []
        for key in keys:
            try:
                await in_thread(self.store.delete, bucket, key)
            except (MediaprocError, OSError):
                errors.append({"Key": key, "Code": "InternalError", "Message": "The object could not be deleted."})
                continue
            deleted.append({"Key": key})
        result: dict[str, Any] = {} if quiet else {"Deleted": deleted}
        if errors:
            result["Error"] = errors
        return xml_response(rid, xmlbody.COS_DELETE_RESULT, result)

    async def _list(self, rid: str, bucket: str, query: dict[str, str]) -> web.Response:
        prefix = query.get("prefix", "")
        delimiter = query.get("delimiter", "")
        marker = query.get("marker", "")
        try:
            max_keys = max(0, min(MAX_LIST_KEYS, int(query.get("max-keys") or MAX_LIST_KEYS)))
        except ValueError:
            raise CosError("InvalidArgument", "max-keys is not a number") from None
        if len(delimiter) > 1:  # 7730: InvalidDelimiter, "分隔符只能为一个字符"
            raise CosError("InvalidDelimiter", "The delimiter must be one character.")
        url_enc = query.get("encoding-type") == "url"

        def e(text: str) -> str:
            return quote(text, safe="/") if url_enc else text

        res = await in_thread(
            self.store.list_objects, bucket, prefix=prefix, delimiter=delimiter, marker=marker, max_keys=max_keys
        )
        data: dict[str, Any] = {
            "Name": bucket,
            "EncodingType": "url" if url_enc else None,
            "Prefix": e(prefix),
            "Marker": e(marker),
            "MaxKeys": str(max_keys),
            "Delimiter": e(delimiter),
            "IsTruncated": "true" if res.is_truncated else "false",
        }
        if res.is_truncated and res.next_marker:
            data["NextMarker"] = e(res.next_marker)
        data["Contents"] = [
            {
                "Key": e(o.key),
                "LastModified": iso(o.last_modified),
                "ETag": etag(o),
                "Size": str(o.size),
                "Owner": {"ID": "1250000000", "DisplayName": "1250000000"},
                "StorageClass": o.storage_class or "STANDARD",
            }
            for o in res.objects
        ]
        data["CommonPrefixes"] = [{"Prefix": e(p)} for p in res.prefixes]
        data = {k: v for k, v in data.items() if v is not None}
        return xml_response(rid, xmlbody.COS_STORAGE.list_objects, data)

    async def _list_uploads(self, rid: str, bucket: str, query: dict[str, str]) -> web.Response:
        res = await in_thread(self.store.list_uploads, bucket, prefix=query.get("prefix", ""))
        url_enc = query.get("encoding-type") == "url"
        data = {
            "Bucket": bucket,
            "Prefix": query.get("prefix", ""),
            "IsTruncated": "true" if res.is_truncated else "false",
            "Upload": [
                {
                    "Key": quote(u.key, safe="/") if url_enc else u.key,
                    "UploadId": u.upload_id,
                    "StorageClass": "STANDARD",
                    "Initiated": iso(u.initiated),
                }
                for u in res.uploads
            ],
        }
        return xml_response(rid, xmlbody.COS_STORAGE.list_uploads, data)

    # -- objects ------------------------------------------------------------------------------------------
    async def object_route(
        self, request: web.Request, rid: str, bucket: str, key: str, query: dict[str, str], ak: str
    ) -> web.StreamResponse:
        method = request.method
        if "acl" in query and method in ("GET", "PUT"):
            return await self._acl(request, rid, bucket, key)
        if method == "PUT":
            copy_from = request.headers.get("x-cos-copy-source")
            if "partNumber" in query and "uploadId" in query:
                if copy_from:
                    await self.gate.enter("UploadPartCopy")
                    return await self._upload_part_copy(request, rid, bucket, key, query, copy_from)
                await self.gate.enter("UploadPart")
                return await self._upload_part(request, rid, bucket, key, query)
            if "tagging" in query:
                await self.gate.enter("PutObjectTagging")
                return await attributes.put_object_tagging(request, rid, self.store, bucket, key)
            if copy_from:
                await self.gate.enter("PutObjectCopy")
                return await self._copy(request, rid, bucket, key, copy_from)
            await self.gate.enter("PutObject")
            return await self._put(request, rid, bucket, key)
        if method == "POST":
            if "image_process" in query:
                await self.gate.enter("ImageProcess")
                return await self.ci.image_process(request, rid, bucket, key)
            if "uploads" in query:
                await self.gate.enter("InitiateMultipartUpload")
                h = request.headers
                info = await in_thread(
                    self.store.initiate_multipart, bucket, key, content_type=h.get("Content-Type"),
                    user_meta=checks.user_meta(h), headers=checks.kept_headers(h), attrs=attributes.upload_attrs(h),
                )
                return xml_response(
                    rid, xmlbody.COS_STORAGE.initiate_result, {"Bucket": bucket, "Key": key, "UploadId": info.upload_id}
                )
            if "uploadId" in query:
                await self.gate.enter("CompleteMultipartUpload")
                return await self._complete(request, rid, bucket, key, query["uploadId"])
            raise CosError("InvalidRequest", "unsupported POST on an object")
        if method == "DELETE":
            if "uploadId" in query:
                await self.gate.enter("AbortMultipartUpload")
                await in_thread(self.store.abort_multipart, query["uploadId"], bucket=bucket, key=key)
                return web.Response(status=204, headers=headers(rid, False))
            if "tagging" in query:
                await self.gate.enter("DeleteObjectTagging")
                return await attributes.delete_object_tagging(rid, self.store, bucket, key)
            await self.gate.enter("DeleteObject")
            await in_thread(self.store.delete, bucket, key)
            return web.Response(status=204, headers=headers(rid, False))
        if method == "HEAD":
            await self.gate.enter("HeadObject")
            meta = await in_thread(self.store.head, bucket, key)
            checks.conditions(request, meta)
            return web.Response(status=200, headers={**headers(rid, False), **_meta_headers(meta)})
        if method == "GET":
            return await self._get(request, rid, bucket, key, query, ak)
        raise CosError("MethodNotAllowed", "The specified method is not allowed against this resource.")

    async def _put(self, request: web.Request, rid: str, bucket: str, key: str) -> web.Response:
        h = request.headers
        writer = await in_thread(
            self.store.writer, bucket, key, content_type=h.get("Content-Type"), user_meta=checks.user_meta(h),
            headers=checks.kept_headers(h), attrs=attributes.upload_attrs(h),
        )
        with writer:
            async for chunk in request.content.iter_chunked(CHUNK):
                writer.write(chunk)
            meta = await _commit(writer, h)
        pic = request.headers.get("Pic-Operations")
        if pic:
            pic = await self.ci.expand_pic_operations(bucket, pic)
            result = await self.ci.run(self.ci.process_rules, bucket, key, pic)
            return xml_response(rid, xmlbody.CI_UPLOAD_RESULT, result, ci=True)
        return web.Response(status=200, headers={**headers(rid, False), "ETag": etag(meta)})

    async def _acl(self, request: web.Request, rid: str, bucket: str, key: str) -> web.Response:
        """GetObjectACL / PutObjectACL (``x-cos-acl``, ``x-cos-grant-*`` or an ``AccessControlPolicy``
        body); stored, not enforced."""
        if request.method == "PUT":
            await self.gate.enter("PutObjectACL")
            policy = await read_xml_body(request)
            props = {k: v for k, v in checks.kept_headers(request.headers).items() if k in PROPERTIES}
            if policy.strip():  # an AccessControlPolicy body (what coscmd sends) replaces the grants
                props.update(attributes.body_grants(policy, OWNER))
            await in_thread(self.store.set_properties, bucket, key, props)
            return web.Response(status=200, headers=headers(rid, False))
        await self.gate.enter("GetObjectACL")
        meta = await in_thread(self.store.head, bucket, key)
        h = headers(rid, False)
        if (meta.acl or "default") == "default":
            h["x-cos-acl"] = "default"
        body = _acl_document(meta, OWNER)
        return web.Response(body=body.encode("utf-8"), content_type="application/xml", headers=h)

    async def _copy(self, request: web.Request, rid: str, bucket: str, key: str, raw: str) -> web.Response:
        """PUT Object - Copy (cloud.tencent.com/document/product/436/10881): answered with the
        documented ``CopyObjectResult`` (ETag, CRC64, LastModified); a source past the single-copy limit
        is ``400 EntityTooLarge`` (:func:`_check_copy_size`)."""
        src_bucket, src_key, src_region = _copy_source(raw)
        h = request.headers
        directive = h.get("x-cos-metadata-directive", "Copy")
        if directive not in ("Copy", "Replaced"):
            raise CosError("InvalidArgument", "x-cos-metadata-directive must be Copy or Replaced.")
        source = await in_thread(self.store.head, src_bucket, src_key)
        checks.copy_source(request, source)
        _check_copy_size(request, source, src_region)
        attrs = attributes.upload_attrs(h)
        if "x-cos-tagging" not in h:
            attrs = attrs.but(tags=dict(source.attrs.tags))
        meta = await in_thread(
            self.store.copy,
            src_bucket,
            src_key,
            bucket,
            key,
            content_type=h.get("Content-Type") or None,
            user_meta=checks.user_meta(h),
            headers=checks.kept_headers(h),
            replace_meta=directive == "Replaced",
            attrs=attrs,
        )
        body = {"ETag": etag(meta), "CRC64": str(meta.crc64), "LastModified": iso(meta.last_modified)}
        return xml_response(rid, xmlbody.COS_COPY_RESULT, body)

    async def _upload_part_copy(
        self, request: web.Request, rid: str, bucket: str, key: str, query: dict[str, str], raw: str
    ) -> web.Response:
        """Upload Part - Copy (.../7750): a part from a byte range of another object."""
        src_bucket, src_key, _region = _copy_source(raw)
        try:
            number = int(query["partNumber"])
        except ValueError:
            raise CosError("InvalidArgument", "partNumber is not a number") from None
        meta = await in_thread(self.store.head, src_bucket, src_key)
        checks.copy_source(request, meta)
        span = checks.byte_range(request.headers.get("x-cos-copy-source-range"), meta.size)
        start, end = span if span is not None else (0, meta.size - 1)
        writer = await in_thread(self.store.part_writer, query["uploadId"], number, bucket=bucket, key=key)
        with writer:
            for chunk in await in_thread(lambda: list(self.store.iter_range(src_bucket, src_key, start, end))):
                writer.write(chunk)
            part = await in_thread(writer.commit)
        body = {"ETag": f'"{part.etag.lower()}"', "LastModified": iso(part.last_modified)}
        return xml_response(rid, xmlbody.COS_COPY_PART_RESULT, body)

    async def _upload_part(
        self, request: web.Request, rid: str, bucket: str, key: str, query: dict[str, str]
    ) -> web.Response:
        try:
            number = int(query["partNumber"])
        except ValueError:
            raise CosError("InvalidArgument", "partNumber is not a number") from None
        writer = await in_thread(self.store.part_writer, query["uploadId"], number, bucket=bucket, key=key)
        with writer:
            async for chunk in request.content.iter_chunked(CHUNK):
                writer.write(chunk)
            part = await _commit(writer, request.headers)
        return web.Response(status=200, headers={**headers(rid, False), "ETag": f'"{part.etag.lower()}"'})

    async def _complete(self, request: web.Request, rid: str, bucket: str, key: str, upload_id: str) -> web.Response:
        # cloud.tencent.com/document/product/436/7742: the body must list every part (PartNumber and
        # ETag); COS has no "complete what was uploaded" (OSS's x-oss-complete-all), so a body without
        # parts does not validate against the schema: MalformedXML.
        body = await read_xml_body(request)
        if not body.strip():
            raise malformed_xml()
        data = parse_xml(xmlbody.COS_STORAGE.complete, body)
        try:
            parts = [(int(p["PartNumber"]), xmlbody.text(p["ETag"])) for p in data.get("Part", [])]
        except (KeyError, ValueError, TypeError):
            raise malformed_xml() from None
        if not parts:
            raise malformed_xml()
        meta = await in_thread(
            self.store.complete_multipart, upload_id, parts, bucket=bucket, key=key, min_part_size=COS_MIN_PART_SIZE
        )
        return xml_response(
            rid,
            xmlbody.COS_STORAGE.complete_result,
            {
                "Location": f"{bucket}.cos.{self.region}.myqcloud.com/{key}",
                "Bucket": bucket,
                "Key": key,
                "ETag": etag(meta),
            },
        )

    async def _get(
        self, request: web.Request, rid: str, bucket: str, key: str, query: dict[str, str], ak: str
    ) -> web.StreamResponse:
        processed = await self.ci.answer_get(rid, bucket, key, query, ak)
        if processed is not None:
            return processed
        if "uploadId" in query:
            await self.gate.enter("ListParts")
            parts = await in_thread(self.store.list_parts, query["uploadId"], bucket=bucket, key=key)
            return xml_response(
                rid,
                xmlbody.COS_STORAGE.list_parts,
                {
                    "Bucket": bucket,
                    "Key": key,
                    "UploadId": query["uploadId"],
                    "IsTruncated": "false",
                    "Part": [
                        {
                            "PartNumber": str(p.part_number),
                            "ETag": f'"{p.etag.lower()}"',
                            "Size": str(p.size),
                            "LastModified": iso(p.last_modified),
                        }
                        for p in parts
                    ],
                },
            )
        if "tagging" in query:
            await self.gate.enter("GetObjectTagging")
            return await attributes.get_object_tagging(rid, self.store, bucket, key)
        processed = await self.ci.answer_rule(rid, bucket, key, query)
        if processed is not None:
            return processed
        unknown = sorted(k for k in query if k not in GET_PARAMS)
        if unknown:
            raise CosError(
                "InvalidArgument", f"The parameter or processing rule {unknown[0]!r} is not supported.", ci=True
            )
        await self.gate.enter("GetObject")
        return await self._stream(request, rid, bucket, key, query)

    async def _stream(
        self, request: web.Request, rid: str, bucket: str, key: str, query: dict[str, str]
    ) -> web.StreamResponse:
        """The object's bytes (one Range honoured), with the same ETag a HEAD gives (aiohttp's
        FileResponse would send its own, made from the file's mtime and size)."""
        meta, f = await in_thread(self.store.open_with_meta, bucket, key)
        try:
            checks.conditions(request, meta)
            h = {**headers(rid, False), **_meta_headers(meta)}
            for param, name in RESPONSE_OVERRIDES.items():
                if param in query:
                    h[name] = query[param]
            span = checks.byte_range(request.headers.get("Range"), meta.size)
            start, end = span if span is not None else (0, meta.size - 1)
            status = 200
            if span is not None:
                status = 206
                h["Content-Range"] = f"bytes {start}-{end}/{meta.size}"
            length = max(0, end - start + 1)
            h["Content-Length"] = str(length)
            resp = web.StreamResponse(status=status, headers=h)
            await resp.prepare(request)
            await in_thread(f.seek, start)
            left = length
            while left > 0:
                chunk = await in_thread(f.read, min(CHUNK * 4, left))
                if not chunk:
                    break
                await resp.write(chunk)
                left -= len(chunk)
            await resp.write_eof()
            return resp
        finally:
            f.close()
