"""The COS object storage API: buckets, objects and multipart uploads over the shared folder store.

What coscmd and qcloud_cos's object calls need (PutBucket, HeadBucket, ListObjects, Put, Get,
Head, Delete, multipart), answered in COS's documents (``ListBucketResult``, the multipart
results, lower-case quoted ETags). A request that is Cloud Infinite work riding on an object call
(``Pic-Operations`` on a PUT, ``?image_process``, ``ci-process=`` or a rule on a GET) is handed to
:class:`~mediaproc.emulator.cos.ci.CiProcessing`; the choice of which stays here, in the order the
object API checks its parameters.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from aiohttp import web

from mediaproc import xmlbody
from mediaproc.emulator.cos.ci import CiProcessing
from mediaproc.emulator.cos.errors import CosError
from mediaproc.emulator.cos.wire import (
    CHUNK,
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
from mediaproc.providers.local.records import ObjectMeta
from mediaproc.providers.local.store import LocalStore


def _meta_headers(meta: ObjectMeta) -> dict[str, str]:
    return {
        "Content-Length": str(meta.size),
        "Content-Type": meta.content_type,
        "ETag": etag(meta),
        "Last-Modified": http_date(meta.last_modified),
        "x-cos-storage-class": "STANDARD",
    }


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
            created = await in_thread(self.store.create_bucket, bucket)
            if not created:
                raise CosError("BucketAlreadyExists", "The requested bucket name is not available.", status=409)
            return web.Response(status=200, headers=headers(rid, False))
        if method == "HEAD":
            await self.gate.enter("HeadBucket")
            await in_thread(self.store.require_bucket, bucket)
            return web.Response(status=200, headers=headers(rid, False))
        if method == "GET" and "uploads" in query:
            await self.gate.enter("ListMultipartUploads")
            return await self._list_uploads(rid, bucket, query)
        if method == "GET":
            await self.gate.enter("ListObjects")
            return await self._list(rid, bucket, query)
        raise CosError("MethodNotAllowed", "The specified method is not allowed against this resource.")

    async def _list(self, rid: str, bucket: str, query: dict[str, str]) -> web.Response:
        prefix = query.get("prefix", "")
        delimiter = query.get("delimiter", "")
        marker = query.get("marker", "")
        try:
            max_keys = max(0, min(1000, int(query.get("max-keys", "1000") or 1000)))
        except ValueError:
            raise CosError("InvalidArgument", "max-keys is not a number") from None
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
                "StorageClass": "STANDARD",
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
        if method == "PUT":
            if "partNumber" in query and "uploadId" in query:
                await self.gate.enter("UploadPart")
                return await self._upload_part(request, rid, bucket, key, query)
            await self.gate.enter("PutObject")
            return await self._put(request, rid, bucket, key)
        if method == "POST":
            if "image_process" in query:
                await self.gate.enter("ImageProcess")
                return await self.ci.image_process(request, rid, bucket, key)
            if "uploads" in query:
                await self.gate.enter("InitiateMultipartUpload")
                info = await in_thread(
                    self.store.initiate_multipart, bucket, key, content_type=request.headers.get("Content-Type")
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
            await self.gate.enter("DeleteObject")
            await in_thread(self.store.delete, bucket, key)
            return web.Response(status=204, headers=headers(rid, False))
        if method == "HEAD":
            await self.gate.enter("HeadObject")
            meta = await in_thread(self.store.head, bucket, key)
            return web.Response(status=200, headers={**headers(rid, False), **_meta_headers(meta)})
        if method == "GET":
            return await self._get(request, rid, bucket, key, query, ak)
        raise CosError("MethodNotAllowed", "The specified method is not allowed against this resource.")

    async def _put(self, request: web.Request, rid: str, bucket: str, key: str) -> web.Response:
        writer = await in_thread(self.store.writer, bucket, key, content_type=request.headers.get("Content-Type"))
        with writer:
            async for chunk in request.content.iter_chunked(CHUNK):
                writer.write(chunk)
            meta = writer.commit()
        pic = request.headers.get("Pic-Operations")
        if pic:
            result = await in_thread(self.ci.process_rules, bucket, key, pic)
            return xml_response(rid, xmlbody.CI_UPLOAD_RESULT, result, ci=True)
        return web.Response(status=200, headers={**headers(rid, False), "ETag": etag(meta)})

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
            part = writer.commit()
        return web.Response(status=200, headers={**headers(rid, False), "ETag": f'"{part.etag.lower()}"'})

    async def _complete(self, request: web.Request, rid: str, bucket: str, key: str, upload_id: str) -> web.Response:
        body = await read_xml_body(request)
        parts: list[tuple[int, str]] | None = None
        if body.strip():
            data = parse_xml(xmlbody.COS_STORAGE.complete, body)
            try:
                parts = [(int(p["PartNumber"]), xmlbody.text(p["ETag"])) for p in data.get("Part", [])]
            except (KeyError, ValueError, TypeError):
                raise malformed_xml() from None
        meta = await in_thread(self.store.complete_multipart, upload_id, parts, bucket=bucket, key=key)
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
        processed = await self.ci.answer_rule(rid, bucket, key, query)
        if processed is not None:
            return processed
        await self.gate.enter("GetObject")
        meta = await in_thread(self.store.head, bucket, key)
        path = await in_thread(self.store.path, bucket, key)
        h = {**headers(rid, False), **_meta_headers(meta)}
        h.pop("Content-Length", None)
        return web.FileResponse(path, headers=h)
