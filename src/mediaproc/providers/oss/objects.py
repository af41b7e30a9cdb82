"""Objects on OSS: upload, download, head, list, delete, sign, and the bucket check of ``doctor``.

Transfers are built to survive bad networks without using much memory: uploads are resumable
multipart uploads whose parts stream from disk (the checkpoint lives in the user cache dir, so a
reset connection costs one part, not the file); downloads stream into a temporary file beside the
destination, resume from the byte they reached, check the whole file's CRC-64 and are renamed into
place only when complete. Processing results are fetched with the same streaming writer, which is
why the processing layers build on this one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from functools import partial
from pathlib import Path
from typing import Any

import oss2

from mediaproc import limits
from mediaproc.atomic import atomic_file
from mediaproc.errors import MediaprocError, NotFound, ServiceError, UsageError, missing_folder
from mediaproc.hygiene import human_size
from mediaproc.i18n import _
from mediaproc.location import Location
from mediaproc.objectopts import ObjectOptions, acl_for, file_md5, standard_headers, storage_class_for
from mediaproc.progress import ProgressCallback, ProgressEvent
from mediaproc.providers.base import MAX_DELETE_KEYS, MAX_LIST_KEYS, MAX_PUT_BYTES, copy_ranges
from mediaproc.providers.oss.clients import OssClients
from mediaproc.providers.oss.errors import TruncatedBody, map_oss_error
from mediaproc.results import ObjectInfo

PART_SIZE = 8 * 1024 * 1024  # multipart part size: memory stays bounded (parts stream from disk)
MULTIPART_THRESHOLD = 16 * 1024 * 1024
CHUNK = 1024 * 1024  # download read size
MAX_PUT = MAX_PUT_BYTES  # the largest object one PutObject takes (providers.base)
# CopyObject copies objects up to 1 GB; larger ones are copied part by part with UploadPartCopy
# (limits.OSS["copy_object_bytes"], which serve's OSS front applies too: the pages are cited there).
COPY_OBJECT_MAX = limits.OSS["copy_object_bytes"].value
COPY_PART_SIZE = 128 * 1024 * 1024  # every part but the last must be over 100 KB (same page)


class _RecordingStore(oss2.ResumableStore):
    """oss2's checkpoint store (resume after a failed upload), remembering the upload id so a
    temporary upload can be aborted instead of leaving parts behind."""

    def __init__(self, root: str) -> None:
        super().__init__(root=root, dir="oss-upload")
        self.upload_id: str | None = None
        self.record_key: str | None = None

    def put(self, key: str, value: Any) -> None:
        if isinstance(value, dict) and value.get("upload_id"):
            self.upload_id = value["upload_id"]
            self.record_key = key
        super().put(key, value)


def _cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("mediaproc", appauthor=False))


def oss_headers(options: ObjectOptions) -> dict[str, str]:
    """The PutObject headers of the object options (help.aliyun.com/zh/oss/developer-reference/putobject);
    Content-MD5 is computed from the file where it is sent (:meth:`OssObjects._put_checked`)."""
    headers = standard_headers(options)
    if options.acl is not None:
        headers["x-oss-object-acl"] = acl_for("oss", options.acl)
    if options.storage_class is not None:
        headers["x-oss-storage-class"] = storage_class_for("oss", options.storage_class)
    for name, value in options.meta:
        headers[f"x-oss-meta-{name}"] = value
    if options.traffic_limit is not None:
        headers["x-oss-traffic-limit"] = str(options.traffic_limit)
    return headers


class OssObjects(OssClients):
    """The object operations of :class:`~mediaproc.providers.oss.provider.OssProvider`."""

    COPY_OBJECT_MAX = COPY_OBJECT_MAX  # tests lower these to take the multipart path with small objects
    COPY_PART_SIZE = COPY_PART_SIZE

    def upload(
        self, local: Path, dest: Location, progress: ProgressCallback | None = None,
        options: ObjectOptions | None = None,
    ) -> ObjectInfo:
        path = Path(local).expanduser()
        if not path.is_file():
            raise NotFound(
                _("{path} does not exist or is not a file").format(path=path), hint=_("check the path")
            )
        key = dest.joined(path.name).key or ""  # a folder destination keeps the file's name
        opts = (options or ObjectOptions()).check("oss")
        if opts.content_md5:
            return self._put_checked(str(dest.bucket), key, path, progress, oss_headers(opts))
        return self._upload_file(str(dest.bucket), key, path, progress, label=_("upload"),
                                 headers=oss_headers(opts))

    def _put_checked(
        self, bucket: str, key: str, path: Path, progress: ProgressCallback | None, headers: dict[str, str]
    ) -> ObjectInfo:
        """One PutObject with ``Content-MD5``, so that OSS checks the whole body it received
        (InvalidDigest on a mismatch). A multipart upload has no whole-object Content-MD5, hence
        one request, which OSS takes up to 5 GB."""
        size = path.stat().st_size
        if size > MAX_PUT:
            raise UsageError(
                _("--content-md5 sends the file in one request, which OSS takes up to 5 GB ({path} is {size})")
                .format(path=path, size=human_size(size)),
                hint=_("drop --content-md5: multipart uploads are checked part by part with CRC-64"),
            )
        headers = {**headers, "Content-MD5": file_md5(path)}
        bkt = self.bucket(bucket)

        def report(done: int, total: int | None) -> None:
            if progress is not None:
                progress(ProgressEvent(float(done), float(total or size), "bytes", _("upload")))

        res = self._call(lambda: bkt.put_object_from_file(key, str(path), headers=headers,
                                                          progress_callback=report),
                         bucket=bucket, key=key, action="upload")
        return ObjectInfo(key=key, size=size, etag=getattr(res, "etag", None), request_id=res.request_id)

    def _upload_file(
        self, bucket: str, key: str, path: Path, progress: ProgressCallback | None, *, label: str,
        temporary: bool = False, headers: dict[str, str] | None = None,
    ) -> ObjectInfo:
        """Resumable multipart upload (parts stream from disk; a failed attempt resumes from the
        checkpoint oss2 keeps in the cache dir, so a reset connection costs one part, not the file).
        ``headers`` go to PutObject or InitiateMultipartUpload (oss2 hands the traffic limit to
        every part and the ACL to CompleteMultipartUpload as well)."""
        bkt = self.bucket(bucket)
        size = path.stat().st_size
        store = _RecordingStore(str(_cache_dir()))
        lock = threading.Lock()

        def report(done: int, total: int | None) -> None:
            if progress is not None:
                with lock:
                    progress(ProgressEvent(float(done), float(total or size), "bytes", label))

        def attempt() -> Any:
            return oss2.resumable_upload(
                bkt, key, str(path), store=store, headers=dict(headers or {}), multipart_threshold=MULTIPART_THRESHOLD,
                part_size=PART_SIZE, progress_callback=report if progress is not None else None,
                num_threads=self._threads(),
            )

        try:
            res = self._call(attempt, bucket=bucket, key=key, action="upload")
        except BaseException:
            if temporary and store.upload_id:  # nobody will resume a temporary upload
                with suppress(Exception):
                    bkt.abort_multipart_upload(key, store.upload_id)
                with suppress(Exception):
                    if store.record_key:
                        store.delete(store.record_key)
            raise
        return ObjectInfo(key=key, size=size, etag=getattr(res, "etag", None), request_id=res.request_id)

    def download(self, src: Location, local: Path, progress: ProgressCallback | None = None) -> ObjectInfo:
        bucket, key = str(src.bucket), src.key or ""
        if not key or key.endswith("/"):
            raise UsageError(_("{src} names no object").format(src=src), hint=_("write oss://BUCKET/KEY"))
        raw = self._head_raw(bucket, key)
        head = self._info(key, raw)
        path = Location(scheme="file", path=Path(local).expanduser()).joined(key).path or Path(local)
        if not path.parent.is_dir():
            raise missing_folder(path.parent)
        bkt = self.bucket(bucket)
        etag = head.etag

        def open_at(offset: int) -> Any:
            if offset > 0:
                headers = {"If-Match": f'"{etag}"'} if etag else None
                return bkt.get_object(key, byte_range=(offset, None), headers=headers)
            return bkt.get_object(key)

        crc = getattr(raw, "server_crc", None)  # x-oss-hash-crc64ecma: checked over the whole file
        size, request_id = self._stream_to_file(
            open_at, path, bucket=bucket, key=key, total=head.size, progress=progress, label=_("download"),
            resumable=True, expected_crc=crc,
        )
        return ObjectInfo(key=str(path.resolve()), size=size, etag=etag, last_modified=head.last_modified,
                          content_type=head.content_type, request_id=request_id)

    def _stream_to_file(
        self, open_at: Callable[[int], Any], dest: Path, *, bucket: str, key: str, total: int | None,
        progress: ProgressCallback | None, label: str, resumable: bool, expected_crc: int | None = None,
        action: str = "GetObject",
    ) -> tuple[int, str | None]:
        """Stream a GET into ``dest`` through :func:`~mediaproc.atomic.atomic_file` (nothing under
        its name until complete; a plain object's download is durable, a processed result is not).
        A plain object resumes from the byte it reached (Range) after a transient error; a processed
        result starts over (its bytes are not addressable)."""
        from oss2.utils import Crc64

        state: dict[str, Any] = {"written": 0, "crc": Crc64(0), "rid": None, "total": total}

        def attempt(fh: Any) -> None:
            offset = state["written"] if resumable else 0
            res = open_at(offset)
            try:
                if offset and res.status != 206:  # Range ignored: start over
                    offset = 0
                if offset == 0:
                    fh.seek(0)
                    fh.truncate()
                    state["written"], state["crc"] = 0, Crc64(0)
                state["rid"] = res.request_id
                length = res.content_length
                expect = offset + length if length is not None else None
                if state["total"] is None:
                    state["total"] = expect
                # oss2 has already read an empty body (Content-Length: 0) to free the connection:
                # iterating it again raises StreamConsumedError
                chunks = res.resp.response.iter_content(CHUNK) if length != 0 else ()
                for chunk in chunks:
                    fh.write(chunk)
                    state["crc"].update(chunk)
                    state["written"] += len(chunk)
                    if progress is not None:
                        progress(ProgressEvent(float(state["written"]), state["total"], "bytes", label))
                if expect is not None and state["written"] != expect:
                    raise TruncatedBody(f"received {state['written']} of {expect} bytes")
            finally:
                with suppress(Exception):
                    res.close()

        with atomic_file(dest, "wb", durable=resumable) as fh:
            self._call(lambda: attempt(fh), bucket=bucket, key=key, action=action)
            if expected_crc is not None and state["crc"].crc != expected_crc:
                raise ServiceError(
                    _("the data received from oss://{bucket}/{key} is corrupt (CRC mismatch)").format(
                        bucket=bucket, key=key
                    ),
                    hint=_("try again; if it persists, check proxies between this machine and OSS"),
                    code="InconsistentData", request_id=state["rid"],
                )
        return int(state["written"]), state["rid"]

    def _head_raw(self, bucket: str, key: str) -> Any:
        bkt = self.bucket(bucket)
        return self._call(lambda: bkt.head_object(key), bucket=bucket, key=key, action="HeadObject")

    @staticmethod
    def _info(key: str, res: Any) -> ObjectInfo:
        return ObjectInfo(
            key=key, size=res.content_length, etag=res.etag, last_modified=res.last_modified,
            content_type=res.content_type, request_id=res.request_id,
        )

    def head(self, loc: Location) -> ObjectInfo:
        key = loc.key or ""
        return self._info(key, self._head_raw(str(loc.bucket), key))

    def list_objects(self, prefix: Location, *, recursive: bool = True) -> Iterator[ObjectInfo]:
        bucket = str(prefix.bucket)
        bkt = self.bucket(bucket)
        self.credentials.get()
        it = oss2.ObjectIteratorV2(
            bkt, prefix=prefix.key or "", delimiter="" if recursive else "/", max_keys=MAX_LIST_KEYS
        )
        try:
            for obj in it:
                if obj.is_prefix():
                    yield ObjectInfo(key=obj.key, is_prefix=True)
                else:
                    yield ObjectInfo(key=obj.key, size=obj.size, etag=obj.etag, last_modified=obj.last_modified)
        except MediaprocError:
            raise
        except Exception as exc:
            raise map_oss_error(exc, bucket=bucket, action="ListObjectsV2", endpoint=self.endpoints.oss) from None

    def delete(self, loc: Location) -> None:
        """Delete one object; a missing object is NotFound (OSS itself would answer 204)."""
        bucket, key = str(loc.bucket), loc.key or ""
        if not key:
            raise UsageError(_("{loc} names no object").format(loc=loc), hint=_("write oss://BUCKET/KEY"))
        self.head(loc)
        bkt = self.bucket(bucket)
        self._call(lambda: bkt.delete_object(key), bucket=bucket, key=key, action="DeleteObject")

    def delete_many(self, prefix: Location, keys: Sequence[str]) -> dict[str, MediaprocError]:
        """DeleteMultipleObjects, 1,000 keys a request. OSS names the keys it deleted (non-quiet
        mode) and no per-key error, so a key missing from the answer is reported as not deleted; a
        refused request fails every key it carried."""
        bucket = str(prefix.bucket)
        bkt = self.bucket(bucket)
        failed: dict[str, MediaprocError] = {}
        for start in range(0, len(keys), MAX_DELETE_KEYS):
            chunk = list(keys[start:start + MAX_DELETE_KEYS])
            try:
                res = self._call(partial(bkt.batch_delete_objects, chunk), bucket=bucket, key=None,
                                 action="DeleteMultipleObjects")
            except MediaprocError as exc:
                failed.update((k, exc) for k in chunk)
                continue
            gone = set(res.deleted_keys)
            for k in chunk:
                if k not in gone:
                    failed[k] = ServiceError(_("OSS did not report oss://{bucket}/{key} as deleted").format(
                        bucket=bucket, key=k), hint=_("list the prefix and run the command again"),
                        request_id=res.request_id)
        return failed

    def copy(self, src: Location, dst: Location) -> ObjectInfo:
        """CopyObject up to 1 GB, above it a multipart copy (InitiateMultipartUpload, UploadPartCopy per
        range, CompleteMultipartUpload; aborted on any failure or Ctrl-C, so no parts are left)."""
        sb, sk, db, dk = str(src.bucket), src.key or "", str(dst.bucket), dst.key or ""
        head = self.head(src)
        size = head.size or 0
        bkt = self.bucket(db)
        if size <= self.COPY_OBJECT_MAX:
            res = self._call(lambda: bkt.copy_object(sb, sk, dk), bucket=db, key=dk, action="CopyObject")
            return ObjectInfo(key=dk, size=size, etag=res.etag, request_id=res.request_id)
        headers = {"Content-Type": head.content_type} if head.content_type else None
        init = self._call(lambda: bkt.init_multipart_upload(dk, headers=headers), bucket=db, key=dk,
                          action="InitiateMultipartUpload")
        upload_id = init.upload_id
        try:
            parts = []
            for number, span in enumerate(copy_ranges(size, self.COPY_PART_SIZE), start=1):
                part = self._call(partial(bkt.upload_part_copy, sb, sk, span, dk, upload_id, number),
                                  bucket=db, key=dk, action="UploadPartCopy")
                parts.append(oss2.models.PartInfo(number, part.etag))
            res = self._call(lambda: bkt.complete_multipart_upload(dk, upload_id, parts), bucket=db, key=dk,
                             action="CompleteMultipartUpload")
        except BaseException:
            with suppress(Exception):
                bkt.abort_multipart_upload(dk, upload_id)
            raise
        return ObjectInfo(key=dk, size=size, etag=res.etag, request_id=res.request_id)

    def sign(self, loc: Location, *, expires: int = 3600, process: str | None = None) -> str:
        """A V4 pre-signed GET URL (checked to exist first, so a typo is exit 4, not a dead link)."""
        bucket, key = str(loc.bucket), loc.key or ""
        if not key:
            raise UsageError(_("{loc} names no object").format(loc=loc), hint=_("write oss://BUCKET/KEY"))
        self.head(loc)
        bkt = self.bucket(bucket)
        params = {"x-oss-process": process} if process else None
        return self._call(
            lambda: bkt.sign_url("GET", key, int(expires), params=params, slash_safe=True),
            bucket=bucket, key=key, action="sign", retry=False,
        )

    def _refuse_existing(self, bucket: str, key: str) -> None:
        """Refuse to let a result replace ``oss://bucket/key`` (when the request does not allow overwriting)."""
        try:
            self.head(Location("oss", bucket=bucket, key=key))
        except NotFound:
            return
        raise UsageError(
            _("oss://{bucket}/{key} already exists").format(bucket=bucket, key=key),
            hint=_("choose another key, or allow overwriting"),
        )

    # -- checks (doctor) --------------------------------------------------------------------
    def bucket_info(self, bucket: str) -> dict[str, Any]:
        bkt = self.bucket(bucket)
        res = self._call(lambda: bkt.get_bucket_info(), bucket=bucket, key=None, action="GetBucketInfo")
        return {
            "name": getattr(res, "name", bucket),
            "location": getattr(res, "location", None),
            "storage_class": getattr(res, "storage_class", None),
            "request_id": res.request_id,
        }
