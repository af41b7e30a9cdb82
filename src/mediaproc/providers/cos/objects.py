"""Objects on COS: upload, download, head, list, delete, signed URLs, and signed playlists.

Downloads (and every processed result fetched as a file) stream through
:func:`mediaproc.atomic.atomic_file`: nothing appears under the destination's name until complete.
Every processing layer uploads, downloads and deletes through these, which is why they sit directly
on the clients.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from qcloud_cos.cos_auth import CosS3Auth
from qcloud_cos.cos_exception import CosClientError, CosServiceError

from mediaproc import limits
from mediaproc.atomic import atomic_file
from mediaproc.errors import MediaprocError, NotFound, ServiceError, UsageError
from mediaproc.hygiene import redact
from mediaproc.i18n import _
from mediaproc.location import Location
from mediaproc.objectopts import ObjectOptions, acl_for, standard_headers, storage_class_for
from mediaproc.ops import cos as enc
from mediaproc.progress import ProgressCallback, ProgressEvent
from mediaproc.providers.base import MAX_DELETE_KEYS, MAX_LIST_KEYS, copy_ranges
from mediaproc.providers.cos.clients import CosClients
from mediaproc.providers.cos.errors import translate
from mediaproc.providers.staging import local_source_file
from mediaproc.results import ObjectInfo

CHUNK = 1024 * 1024
# PUT Object - Copy copies objects up to 5 GB (limits.COS["copy_object_bytes"], which serve's COS front
# applies too); larger ones are copied part by part with Upload Part - Copy
# (cloud.tencent.com/document/product/436/8287, at most 5 GB a part).
COPY_OBJECT_MAX = limits.COS["copy_object_bytes"].value
COPY_PART_SIZE = 128 * 1024 * 1024  # every part but the last at least 1 MB (Complete Multipart Upload)


def _mtime(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


def _iso_ts(value: Any) -> float | None:
    if not value:
        return None
    from datetime import datetime

    try:
        return datetime.strptime(str(value).replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
    except ValueError:
        try:
            return datetime.strptime(str(value).replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S%z").timestamp()
        except ValueError:
            return None


def cos_kwargs(options: ObjectOptions) -> dict[str, Any]:
    """The qcloud_cos keyword arguments of the object options, named as the COS seed's ``ci_put_object``
    names them (ACL, GrantRead, StorageClass, Metadata, CacheControl, ..., EnableMD5, TrafficLimit);
    ``put_object``, ``upload_file`` and ``ci_put_object`` all take them."""
    out: dict[str, Any] = {}
    if options.acl is not None:
        out["ACL"] = acl_for("cos", options.acl)
    if options.grant_read is not None:
        out["GrantRead"] = options.grant_read
    if options.grant_full_control is not None:
        out["GrantFullControl"] = options.grant_full_control
    if options.storage_class is not None:
        out["StorageClass"] = storage_class_for("cos", options.storage_class)
    if options.meta:
        out["Metadata"] = {f"x-cos-meta-{name}": value for name, value in options.meta}
    for name, value in standard_headers(options).items():
        out[name.replace("-", "")] = value  # Content-Type -> ContentType, Cache-Control -> CacheControl
    if options.traffic_limit is not None:
        out["TrafficLimit"] = str(options.traffic_limit)
    if options.content_md5:
        out["EnableMD5"] = True
    return out


class CosObjects(CosClients):
    """The object operations of :class:`~mediaproc.providers.cos.provider.CosProvider`."""

    PART_SIZE_MB = 8  # upload_file switches to multipart above this size (tests lower it)
    COPY_OBJECT_MAX = COPY_OBJECT_MAX  # tests lower these to take the multipart path with small objects
    COPY_PART_SIZE = COPY_PART_SIZE
    THREADS = 4

    def put_file(
        self, bucket: str, key: str, local: Path, progress: ProgressCallback | None,
        options: ObjectOptions | None = None,
    ) -> dict[str, Any]:
        size = local.stat().st_size
        cb = None
        if progress is not None:

            def cb(consumed: int, total: int) -> None:
                progress(ProgressEvent(completed=consumed, total=total or size, unit="bytes", label="upload"))

        result = self._call(
            "upload",
            self.client.upload_file,
            Bucket=bucket,
            Key=key,
            LocalFilePath=str(local),
            PartSize=self.PART_SIZE_MB,
            MAXThread=self.THREADS,
            progress_callback=cb,
            target=f"cos://{bucket}/{key}",
            **cos_kwargs(options or ObjectOptions()),
        )
        if progress is not None:
            progress(ProgressEvent(completed=size, total=size, unit="bytes", label="upload"))
        return dict(result or {})

    def upload(
        self, local: Path, dest: Location, progress: ProgressCallback | None = None,
        options: ObjectOptions | None = None,
    ) -> ObjectInfo:
        bucket, key = self._bucket_of(dest)
        local = Path(local)
        if not local.is_file():
            raise NotFound(_("{path} does not exist").format(path=local), hint=_("check the path"))
        key = dest.joined(local.name).key or key  # a folder destination keeps the file's name
        result = self.put_file(bucket, key, local, progress, (options or ObjectOptions()).check("cos"))
        etag = str(result.get("ETag", "")).strip('"') or None
        return ObjectInfo(key=key, size=local.stat().st_size, etag=etag, request_id=result.get("x-cos-request-id"))

    def _stream_to(
        self, rt_body: Any, dest: Path, total: int | None, progress: ProgressCallback | None, durable: bool
    ) -> int:
        done = 0
        with atomic_file(dest, "wb", durable=durable) as out:
            for chunk in rt_body:
                if chunk:
                    out.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(ProgressEvent(completed=done, total=total, unit="bytes", label="download"))
            if total is not None and done != total:
                raise ServiceError(
                    _("the download of {path} stopped after {done} of {total} bytes").format(
                        path=dest.name, done=done, total=total
                    ),
                    hint=_("run the command again"),
                )
        return dest.stat().st_size

    def _get_stream(self, bucket: str, key: str, params: dict[str, str] | None = None) -> Any:
        """A streamed GET, with processing parameters as signed query keys (``ci_get_object``'s
        request, but read here so the file is written atomically)."""
        conf = self.client.get_conf()
        url = conf.uri(bucket=bucket, path=key)
        params = dict(params or {})
        try:
            return self.client.send_request(
                method="GET",
                url=url,
                bucket=bucket,
                stream=True,
                auth=CosS3Auth(conf, key, params=params),
                params=params,
                headers={},
            )
        except (CosServiceError, CosClientError) as exc:
            action = "process the image" if params else "download"
            raise translate(exc, action=action, target=f"cos://{bucket}/{key}") from None

    def _download_to(
        self, bucket: str, key: str, dest: Path, progress: ProgressCallback | None,
        params: dict[str, str] | None = None, *, durable: bool = False,
    ) -> tuple[int, Any]:
        """Stream an object (``params``: processed) into ``dest``; ``durable`` for plain downloads
        (see mediaproc.atomic on which files are fsynced)."""
        rt = self._get_stream(bucket, key, params)
        try:
            length = rt.headers.get("Content-Length")
            total = int(length) if length and not rt.headers.get("Content-Encoding") else None
            size = self._stream_to(rt.iter_content(CHUNK), dest, total, progress, durable)
        except MediaprocError:
            raise
        except (OSError, CosClientError) as exc:
            raise ServiceError(
                _("the download of cos://{bucket}/{key} failed: {reason}").format(
                    bucket=bucket, key=key, reason=redact(str(exc))[:200]
                ),
                hint=_("run the command again"),
            ) from None
        finally:
            rt.close()
        return size, rt.headers

    def download(self, src: Location, local: Path, progress: ProgressCallback | None = None) -> ObjectInfo:
        bucket, key = self._bucket_of(src)
        local = Location(scheme="file", path=Path(local)).joined(key).path or Path(local)
        size, headers = self._download_to(bucket, key, local, progress, durable=True)
        return ObjectInfo(
            key=str(local),
            size=size,
            etag=str(headers.get("ETag", "")).strip('"') or None,
            last_modified=_mtime(headers.get("Last-Modified")),
            content_type=headers.get("Content-Type"),
            request_id=headers.get("x-cos-request-id"),
        )

    def head_bucket(self, bucket: str) -> None:
        """HeadBucket: raises (mapped) unless the bucket exists and these credentials may reach it."""
        self._call("reach the bucket", self.client.head_bucket, Bucket=bucket, target=f"cos://{bucket}")

    def head(self, loc: Location) -> ObjectInfo:
        bucket, key = self._bucket_of(loc)
        h = self._call("read the object", self.client.head_object, Bucket=bucket, Key=key, target=str(loc))
        return ObjectInfo(
            key=key,
            size=int(h.get("Content-Length", 0) or 0),
            etag=str(h.get("ETag", "")).strip('"') or None,
            last_modified=_mtime(h.get("Last-Modified")),
            content_type=h.get("Content-Type"),
            request_id=h.get("x-cos-request-id"),
        )

    def list_objects(self, prefix: Location, *, recursive: bool = True) -> Iterator[ObjectInfo]:
        bucket, key = self._bucket_of(prefix)
        marker = ""
        while True:
            data = self._call(
                "list objects",
                self.client.list_objects,
                Bucket=bucket,
                Prefix=key,
                Delimiter="" if recursive else "/",
                Marker=marker,
                MaxKeys=MAX_LIST_KEYS,
                target=str(prefix),
            )
            page = [
                ObjectInfo(
                    key=item["Key"],
                    size=int(item.get("Size", 0) or 0),
                    etag=str(item.get("ETag", "")).strip('"') or None,
                    last_modified=_iso_ts(item.get("LastModified")),
                )
                for item in data.get("Contents") or []
            ]
            page += [ObjectInfo(key=p["Prefix"], is_prefix=True) for p in data.get("CommonPrefixes") or []]
            # a page answers its objects, then its folders; one listing is in key order (as OSS and a
            # folder list), and pages are consecutive ranges of keys, so ordering each page suffices
            # (code point order is UTF-8 byte order, the service's)
            yield from sorted(page, key=lambda info: info.key)
            if str(data.get("IsTruncated", "false")).lower() != "true":
                return
            marker = data.get("NextMarker") or ""
            if not marker:
                return

    def delete(self, loc: Location) -> None:
        bucket, key = self._bucket_of(loc)
        self._call("delete", self.client.delete_object, Bucket=bucket, Key=key, target=str(loc))

    def delete_many(self, prefix: Location, keys: Sequence[str]) -> dict[str, MediaprocError]:
        """DELETE Multiple Objects in quiet mode, 1,000 keys a request: COS names each key it could
        not delete, with its error code; a refused request fails every key it carried."""
        bucket, _key = self._bucket_of(prefix)
        failed: dict[str, MediaprocError] = {}
        for start in range(0, len(keys), MAX_DELETE_KEYS):
            chunk = list(keys[start:start + MAX_DELETE_KEYS])
            body = {"Quiet": "true", "Object": [{"Key": k} for k in chunk]}
            try:
                data = self._call("delete", self.client.delete_objects, Bucket=bucket, Delete=body,
                                  target=str(prefix))
            except MediaprocError as exc:
                failed.update((k, exc) for k in chunk)
                continue
            for err in data.get("Error") or []:
                key = str(err.get("Key", ""))
                failed[key] = ServiceError(
                    _("COS did not delete cos://{bucket}/{key}: {code} {message}").format(
                        bucket=bucket, key=key, code=err.get("Code", ""), message=err.get("Message", "")),
                    hint=_("list the prefix and run the command again"), code=str(err.get("Code") or "Error"))
        return failed

    def copy(self, src: Location, dst: Location) -> ObjectInfo:
        """PUT Object - Copy up to 5 GB, above it Upload Part - Copy per range (the upload is aborted
        on any failure or Ctrl-C, so no parts are left behind)."""
        sb, sk = self._bucket_of(src)
        db, dk = self._bucket_of(dst)
        head = self.head(src)
        size = head.size or 0
        source = {"Bucket": sb, "Key": sk, "Region": self.region}
        where = f"cos://{db}/{dk}"
        if size <= self.COPY_OBJECT_MAX:
            res = self._call("copy", self.client.copy_object, Bucket=db, Key=dk, CopySource=source, target=where)
            return ObjectInfo(key=dk, size=size, etag=str(res.get("ETag", "")).strip('"') or None,
                              request_id=res.get("x-cos-request-id"))
        kwargs = {"ContentType": head.content_type} if head.content_type else {}
        init = self._call("copy", self.client.create_multipart_upload, Bucket=db, Key=dk, target=where, **kwargs)
        upload_id = init["UploadId"]
        try:
            parts = []
            for number, (first, last) in enumerate(copy_ranges(size, self.COPY_PART_SIZE), start=1):
                part = self._call("copy", self.client.upload_part_copy, Bucket=db, Key=dk, PartNumber=number,
                                  UploadId=upload_id, CopySource=source, CopySourceRange=f"bytes={first}-{last}",
                                  target=where)
                parts.append({"PartNumber": number, "ETag": part["ETag"]})
            res = self._call("copy", self.client.complete_multipart_upload, Bucket=db, Key=dk, UploadId=upload_id,
                             MultipartUpload={"Part": parts}, target=where)
        except BaseException:
            with contextlib.suppress(Exception):
                self.client.abort_multipart_upload(Bucket=db, Key=dk, UploadId=upload_id)
            raise
        return ObjectInfo(key=dk, size=size, etag=str(res.get("ETag", "")).strip('"') or None,
                          request_id=res.get("x-cos-request-id"))

    def _delete_temporary(self, bucket: str, key: str) -> None:
        self.delete(Location(scheme="cos", bucket=bucket, key=key))

    def delete_quietly(self, bucket: str, key: str) -> None:
        with contextlib.suppress(Exception):
            self.client.delete_object(Bucket=bucket, Key=key)

    def sign(self, loc: Location, *, expires: int = 3600, process: str | None = None) -> str:
        """A pre-signed GET URL, checked to exist first (as on OSS), so a typo is exit 4, not a dead link."""
        bucket, key = self._bucket_of(loc)
        if not key or key.endswith("/"):
            raise UsageError(_("{loc} names no object").format(loc=loc), hint=_("write cos://BUCKET-APPID/KEY"))
        self.head(loc)
        params = enc.rule_params(process) if process else {}
        return self._presign(bucket, key, expires, params)

    def _presign(self, bucket: str, key: str, expires: int, params: dict[str, str]) -> str:
        params = dict(params)
        if self._token is None:
            self._setup()
        if self._token:
            params["x-cos-security-token"] = self._token
        headers: dict[str, str] = {}
        if self._ip_mode:
            # An IP endpoint (mediaproc serve): the URL's host cannot name the bucket, so sign the
            # bucket's virtual host, which the fetch sends as Host (as the SDK does for requests).
            headers["Host"] = self.client.get_conf().get_host(Bucket=bucket)
        return str(
            self._call(
                "sign a URL",
                self.client.get_presigned_url,
                Bucket=bucket,
                Key=key,
                Method="GET",
                Expired=expires,
                Params=params,
                Headers=headers,
            )
        )

    @staticmethod
    def _local_source(src: Location) -> Path:
        return local_source_file(src.path or Path())

    # private playlists ------------------------------------------------------------------------------
    def private_m3u8(self, src: Location, *, expires: int = 3600) -> tuple[str, str | None]:
        """``ci-process=pm3u8``: the playlist with every segment URL signed for ``expires`` s."""
        bucket, key = self._bucket_of(src)
        response = self._call(
            "sign the playlist", self.client.get_pm3u8, Bucket=bucket, Key=key, Expires=str(expires), target=str(src)
        )
        body = response["Body"]
        chunks = list(body.get_stream(CHUNK))
        text = b"".join(c for c in chunks if c).decode("utf-8", errors="replace")
        return text, response.get("x-cos-request-id") or response.get("x-ci-request-id")
