"""The folder-as-bucket object store: ``root/<bucket>/<key>`` on the local disk.

Shared by the ``local`` provider and ``mediaproc serve``, so an object written through the OSS wire
protocol is an ordinary file a user can open, and a file dropped into the folder is an object.

Layout::

    root/<bucket>/<key...>            object data, one ordinary file per key ("a/b.jpg" -> a/b.jpg)
    root/.mediaproc/meta/<bucket>/..  sidecars: one JSON per key, named by sha256(key)   (sidecar)
                                      (+ <sha256>.data: the bytes of a key ending in "/", if any)
    root/.mediaproc/uploads/<id>/     multipart staging (upload.json, part-NNNNN.bin/.json) (multipart)
    root/.mediaproc/tmp/              temporary files of writes in progress            (writers)

:class:`LocalStore` is the one entry point and owns the lock; the rules it applies are in the
modules named above and in ``keys`` (which names may become paths), ``records`` (what it answers
with), ``listing`` (the walk in key order) and ``errors`` (the OSS error codes). What is decided here:

- A folder cannot hold both a file ``a`` and a folder ``a/``; OSS can (keys ``a`` and ``a/b``).
  Such a key is refused with ``InvalidObjectName`` instead of silently replacing data (``keys.check_placeable``).
- Keys ending in ``/`` (console "folders") are stored as a directory plus a sidecar marking it;
  OSS lets such a key hold bytes too, and those live beside the sidecar.

ETags follow OSS: upper-case MD5 hex for simple uploads, ``MD5(part MD5s)-N`` for multipart
objects, always quoted on the wire (the quotes are added by the HTTP layer, not stored here).

Every method is blocking and thread-safe; the HTTP server calls them from worker threads.
Errors are :mod:`mediaproc.errors` classes whose ``code`` is the OSS error code
(``NoSuchKey``, ``NoSuchBucket``, ``InvalidObjectName``, ...), so the server can answer with the
service's own code and the local provider can show the same one.

Why one file: every method here is the sequencing of one store operation under the store's lock
(check the names, write the temporary file, move it into place, write the sidecar); the rules those
steps apply already live in the modules named above, and the writes that build on these steps
without needing the lock (AppendObject: ``appends``) live beside it. Splitting the rest would hand
the lock and the layout's private paths to several modules.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO

from mediaproc.errors import MediaprocError, NotFound, ServiceError
from mediaproc.i18n import _
from mediaproc.providers.local.errors import no_such_bucket, no_such_key, store_error
from mediaproc.providers.local.keys import BUCKET_NAME, HIDDEN, check_placeable, key_path, validate_bucket, validate_key
from mediaproc.providers.local.listing import FolderIndex, Skip, list_page, walk_keys
from mediaproc.providers.local.multipart import MIN_PART_SIZE, Uploads, multipart_etag
from mediaproc.providers.local.records import (
    BucketInfo,
    ListResult,
    ListUploadsResult,
    ObjectAttrs,
    ObjectMeta,
    PartMeta,
    UploadInfo,
    guess_content_type,
    stored_headers,
)
from mediaproc.providers.local.sidecar import (
    bucket_record_path,
    is_current,
    meta_from_record,
    object_record,
    read_json,
    record_from_data,
    sidecar_path,
    stamp_of,
)
from mediaproc.providers.local.styles import StyleBook
from mediaproc.providers.local.writers import COPY_CHUNK, ObjectWriter, PartWriter, write_json


class LocalStore:
    """See the module docstring. ``root`` is created on first use."""

    def __init__(self, root: Path | str, *, min_part_size: int = MIN_PART_SIZE) -> None:
        self.root = Path(root).expanduser().resolve()
        self.min_part_size = min_part_size
        self._lock = threading.RLock()
        self._index = FolderIndex()  # sorted folder entries, so a listing page costs O(page)
        self._uploads = Uploads(self.uploads_dir, self.tmp_dir, self._lock)

    # -- paths ------------------------------------------------------------------------------
    @property
    def hidden_dir(self) -> Path:
        return self.root / HIDDEN

    @property
    def tmp_dir(self) -> Path:
        return self.hidden_dir / "tmp"

    @property
    def uploads_dir(self) -> Path:
        return self.hidden_dir / "uploads"

    def bucket_dir(self, bucket: str) -> Path:
        validate_bucket(bucket)
        return self.root / bucket

    def object_path(self, bucket: str, key: str) -> Path:
        """The data file of a key (or the folder of a ``.../`` marker). Validates both names."""
        validate_key(key)
        return key_path(self.bucket_dir(bucket), key)

    def _meta_path(self, bucket: str, key: str) -> Path:
        return sidecar_path(self.hidden_dir, bucket, key)

    def _with_bucket_class(self, bucket: str, headers: dict[str, str]) -> dict[str, str]:
        """``headers`` with the bucket's default storage class when the upload named none."""
        default = self.bucket_info(bucket).storage_class  # also: the bucket must exist
        if "storage-class" not in headers and default != "Standard":
            headers["storage-class"] = default
        return headers

    def _folder_data_path(self, bucket: str, key: str) -> Path:
        """Where the bytes of a key ending in ``/`` live: OSS lets such a key hold data, and its
        own path is the folder of the keys under it."""
        return self._meta_path(bucket, key).with_suffix(".data")

    # -- buckets ----------------------------------------------------------------------------
    def create_bucket(self, bucket: str, *, acl: str | None = None, storage_class: str | None = None) -> bool:
        """Create the bucket folder; False if it already existed (creating it again is fine, and then
        only an ``acl`` given changes it, as a PutBucket with ``x-oss-acl`` on an own bucket does)."""
        path = self.bucket_dir(bucket)
        with self._lock:
            if path.is_dir():
                if acl is not None:
                    self.set_bucket_acl(bucket, acl)
                return False
            path.mkdir(parents=True)
            rec = {"name": bucket, "created": time.time(), "acl": acl or "private"}
            rec["storage_class"] = storage_class or "Standard"
            write_json(bucket_record_path(self.hidden_dir, bucket), rec, self.tmp_dir)
            return True

    def set_bucket_acl(self, bucket: str, acl: str) -> None:
        self.require_bucket(bucket)
        path = bucket_record_path(self.hidden_dir, bucket)
        with self._lock:
            rec = read_json(path) or {"name": bucket, "created": time.time()}
            rec["acl"] = acl
            write_json(path, rec, self.tmp_dir)

    def bucket_exists(self, bucket: str) -> bool:
        try:
            return self.bucket_dir(bucket).is_dir()
        except MediaprocError:
            return False

    def require_bucket(self, bucket: str) -> Path:
        path = self.bucket_dir(bucket)
        if not path.is_dir():
            raise no_such_bucket(bucket)
        return path

    def bucket_info(self, bucket: str) -> BucketInfo:
        path = self.require_bucket(bucket)
        rec = read_json(bucket_record_path(self.hidden_dir, bucket))
        created = float(rec["created"]) if rec and "created" in rec else path.stat().st_mtime
        rec = rec or {}
        return BucketInfo(
            bucket, created, str(rec.get("acl") or "private"), str(rec.get("storage_class") or "Standard")
        )

    def list_buckets(self) -> list[BucketInfo]:
        if not self.root.is_dir():
            return []
        out = []
        for entry in sorted(os.scandir(self.root), key=lambda e: e.name):
            if entry.is_dir() and BUCKET_NAME.match(entry.name):
                out.append(self.bucket_info(entry.name))
        return out

    def delete_bucket(self, bucket: str) -> None:
        path = self.require_bucket(bucket)
        with self._lock:
            if any(self._walk(bucket, path, prefix="", after="")) or self._has_uploads(bucket):
                raise store_error(
                    ServiceError,
                    "BucketNotEmpty",
                    _("the bucket {bucket!r} is not empty").format(bucket=bucket),
                    _("delete its objects and multipart uploads first"),
                )
            shutil.rmtree(path)
            shutil.rmtree(self.hidden_dir / "meta" / bucket, ignore_errors=True)
            with contextlib.suppress(FileNotFoundError):
                bucket_record_path(self.hidden_dir, bucket).unlink()
            with contextlib.suppress(FileNotFoundError):  # a new bucket of the name starts without styles
                StyleBook.for_bucket(self.hidden_dir, bucket).path.unlink()

    def bucket_usage(self, bucket: str) -> tuple[int, int]:
        """(bytes stored, object count)."""
        path = self.require_bucket(bucket)
        size = count = 0
        for key in self._walk(bucket, path, prefix="", after=""):
            count += 1
            if not key.endswith("/"):
                with contextlib.suppress(OSError):
                    size += self.object_path(bucket, key).stat().st_size
        return size, count

    # -- objects: write -----------------------------------------------------------------------
    def writer(
        self,
        bucket: str,
        key: str,
        *,
        content_type: str | None = None,
        user_meta: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        forbid_overwrite: bool = False,
        attrs: ObjectAttrs | None = None,
        object_type: str = "Normal",
    ) -> ObjectWriter:
        """Start streaming a new object. Names are checked now, before any byte is read. Without a
        storage class of its own the object takes its bucket's default (PutBucket's)."""
        self._check_placeable(bucket, key)
        if forbid_overwrite:
            self._check_not_exists(bucket, key)
        ctype = content_type or guess_content_type(key)
        umeta = dict(user_meta or {})
        hdrs = self._with_bucket_class(bucket, stored_headers(headers))
        oattrs = attrs or ObjectAttrs()

        def publish(tmp: Path, etag: str, crc64: int) -> ObjectMeta:
            return self._publish(
                bucket,
                key,
                tmp,
                etag=etag,
                crc64=crc64,
                content_type=ctype,
                user_meta=umeta,
                headers=hdrs,
                object_type=object_type,
                forbid_overwrite=forbid_overwrite,
                attrs=oattrs,
            )

        return ObjectWriter(self.tmp_dir, key, publish)

    def set_attrs(self, bucket: str, key: str, attrs: ObjectAttrs) -> ObjectMeta:
        """Change an object's attributes (ACL, tags, restore state) in place; its bytes, ETag and
        Last-Modified stay as they are, as on OSS."""
        with self._lock:
            meta = self.head(bucket, key)
            meta_path = self._meta_path(bucket, key)
            rec = read_json(meta_path)
            if rec is None:
                raise no_such_key(bucket, key)
            rec["attrs"] = attrs.record()
            write_json(meta_path, rec, self.tmp_dir)
            return meta_from_record(bucket, meta.key, rec)

    def put_bytes(self, bucket: str, key: str, data: bytes, **kwargs: Any) -> ObjectMeta:
        with self.writer(bucket, key, **kwargs) as w:
            w.write(data)
            return w.commit()

    def put_file(self, bucket: str, key: str, src: Path, **kwargs: Any) -> ObjectMeta:
        """Copy a local file in (streamed; the source is never moved or changed)."""
        with self.writer(bucket, key, **kwargs) as w, open(src, "rb") as f:
            while chunk := f.read(COPY_CHUNK):
                w.write(chunk)
            return w.commit()

    def copy(
        self,
        src_bucket: str,
        src_key: str,
        dst_bucket: str,
        dst_key: str,
        *,
        content_type: str | None = None,
        user_meta: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        replace_meta: bool = False,
        forbid_overwrite: bool = False,
        attrs: ObjectAttrs | None = None,
    ) -> ObjectMeta:
        """Server-side copy. Metadata is the source's unless ``replace_meta`` (OSS's directive);
        ``attrs`` (tags) are the caller's decision, none without."""
        src = self.head(src_bucket, src_key)
        if replace_meta:
            ctype, umeta, hdrs = content_type or guess_content_type(dst_key), user_meta or {}, headers
        else:
            ctype, umeta, hdrs = src.content_type, src.user_meta, src.headers
        with self.writer(
            dst_bucket,
            dst_key,
            content_type=ctype,
            user_meta=umeta,
            headers=hdrs,
            forbid_overwrite=forbid_overwrite,
            attrs=attrs,
        ) as w:
            with self.open(src_bucket, src_key) as f:
                while chunk := f.read(COPY_CHUNK):
                    w.write(chunk)
            return w.commit()

    def delete(self, bucket: str, key: str) -> bool:
        """Delete a key; True if it existed. Deleting a missing key is not an error (as on OSS)."""
        self.require_bucket(bucket)
        path = self.object_path(bucket, key)
        with self._lock:
            existed = False
            if key.endswith("/"):
                meta_path = self._meta_path(bucket, key)
                if meta_path.exists():
                    meta_path.unlink()
                    existed = True
                    with contextlib.suppress(FileNotFoundError):
                        self._folder_data_path(bucket, key).unlink()
                    with contextlib.suppress(OSError):
                        path.rmdir()  # only when empty
            elif path.is_file():
                path.unlink()
                existed = True
                with contextlib.suppress(FileNotFoundError):
                    self._meta_path(bucket, key).unlink()
            self._prune_dirs(bucket, path.parent)
            return existed

    # -- objects: read ------------------------------------------------------------------------
    def head(self, bucket: str, key: str) -> ObjectMeta:
        self.require_bucket(bucket)
        path = self.object_path(bucket, key)
        if key.endswith("/"):
            rec = read_json(self._meta_path(bucket, key))
            if rec is None or not path.is_dir():
                raise no_such_key(bucket, key)
            return meta_from_record(bucket, key, rec)
        try:
            st = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise no_such_key(bucket, key) from None
        if not path.is_file():
            raise no_such_key(bucket, key)
        return self._meta_for(bucket, key, path, st)

    def set_properties(self, bucket: str, key: str, properties: Mapping[str, str]) -> ObjectMeta:
        """Change an object's :data:`~mediaproc.providers.local.records.PROPERTIES` (PutObjectAcl)
        without rewriting its bytes: the sidecar is rewritten under the lock."""
        meta = self.head(bucket, key)  # recomputes a stale sidecar first
        with self._lock:
            path = self._meta_path(bucket, key)
            rec = read_json(path)
            if rec is None:
                raise no_such_key(bucket, key)
            headers = dict(rec.get("headers") or {})
            headers.update(stored_headers(properties))
            rec["headers"] = headers
            write_json(path, rec, self.tmp_dir)
        return replace(meta, headers=headers)

    def exists(self, bucket: str, key: str) -> bool:
        try:
            self.head(bucket, key)
        except NotFound:
            return False
        return True

    def open(self, bucket: str, key: str) -> BinaryIO:
        """Open the data for reading (a folder key's data lives beside its sidecar)."""
        meta = self.head(bucket, key)
        if meta.is_dir_marker:
            try:
                return open(self._folder_data_path(bucket, key), "rb")
            except FileNotFoundError:
                return io.BytesIO(b"")
        try:
            return open(self.object_path(bucket, key), "rb")
        except FileNotFoundError:
            raise no_such_key(bucket, key) from None

    def open_with_meta(self, bucket: str, key: str) -> tuple[ObjectMeta, BinaryIO]:
        """Metadata and an open handle of the same bytes (a later replace does not affect it)."""
        for _attempt in range(3):
            meta = self.head(bucket, key)
            f = self.open(bucket, key)
            if meta.is_dir_marker:
                return meta, f
            st = os.fstat(f.fileno())
            if st.st_size == meta.size:
                return meta, f
            f.close()  # replaced between head and open: try again
        return self.head(bucket, key), self.open(bucket, key)

    def iter_range(
        self, bucket: str, key: str, start: int = 0, end: int | None = None, *, chunk: int = COPY_CHUNK
    ) -> Iterator[bytes]:
        """Stream bytes ``start``..``end`` (inclusive; None = to the end) without loading the object."""
        meta, f = self.open_with_meta(bucket, key)
        with f:
            last = meta.size - 1 if end is None else min(end, meta.size - 1)
            f.seek(start)
            remaining = last - start + 1
            while remaining > 0:
                data = f.read(min(chunk, remaining))
                if not data:
                    return
                remaining -= len(data)
                yield data

    def path(self, bucket: str, key: str) -> Path:
        """The file holding the object, for engines that read a path (read-only use!)."""
        self.head(bucket, key)
        return self.object_path(bucket, key)

    # -- listing ------------------------------------------------------------------------------
    def list_objects(
        self,
        bucket: str,
        *,
        prefix: str = "",
        delimiter: str = "",
        marker: str = "",
        max_keys: int = 1000,
    ) -> ListResult:
        """ListObjects semantics: keys after ``marker`` in byte order, grouped by ``delimiter``.

        When ``marker`` is itself a common prefix (it ends with the delimiter), everything under
        it is skipped, so a client paging with NextMarker never sees a prefix twice.
        """
        base = self.require_bucket(bucket)

        def walk(skip: Skip) -> Iterator[str]:
            return self._walk(bucket, base, prefix=prefix, after=marker, skip=skip)

        def head(key: str) -> ObjectMeta:
            return self.head(bucket, key)

        return list_page(walk, head, prefix=prefix, delimiter=delimiter, marker=marker, max_keys=max_keys)

    def iter_objects(self, bucket: str, prefix: str = "") -> Iterator[ObjectMeta]:
        """Every object under a prefix, in key order (no delimiter)."""
        base = self.require_bucket(bucket)
        for key in self._walk(bucket, base, prefix=prefix, after=""):
            with contextlib.suppress(NotFound):
                yield self.head(bucket, key)

    def _walk(self, bucket: str, base: Path, *, prefix: str, after: str, skip: Skip | None = None) -> Iterator[str]:
        """The bucket's keys in byte order (see :func:`~mediaproc.providers.local.listing.walk_keys`)."""

        def is_marker(key: str) -> bool:
            return self._meta_path(bucket, key).exists()

        return walk_keys(base, "", prefix=prefix, after=after, is_marker=is_marker, skip=skip, index=self._index)

    # -- multipart ----------------------------------------------------------------------------
    def initiate_multipart(
        self,
        bucket: str,
        key: str,
        *,
        content_type: str | None = None,
        user_meta: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        attrs: ObjectAttrs | None = None,
    ) -> UploadInfo:
        self._check_placeable(bucket, key)
        return self._uploads.create(
            bucket,
            key,
            content_type=content_type or guess_content_type(key),
            user_meta=user_meta or {},
            headers=self._with_bucket_class(bucket, stored_headers(headers)),
            attrs=(attrs or ObjectAttrs()).record(),
        )

    def upload_info(self, upload_id: str, *, bucket: str | None = None, key: str | None = None) -> UploadInfo:
        return self._uploads.info(upload_id, bucket=bucket, key=key)

    def part_writer(self, upload_id: str, part_number: int, *, bucket: str, key: str) -> PartWriter:
        return self._uploads.part_writer(upload_id, part_number, bucket=bucket, key=key)

    def list_parts(self, upload_id: str, *, bucket: str, key: str) -> list[PartMeta]:
        return self._uploads.parts(upload_id, bucket=bucket, key=key)

    def abort_multipart(self, upload_id: str, *, bucket: str, key: str) -> None:
        self._uploads.abort(upload_id, bucket=bucket, key=key)

    def complete_multipart(
        self,
        upload_id: str,
        parts: Sequence[tuple[int, str]] | None,
        *,
        bucket: str,
        key: str,
        forbid_overwrite: bool = False,
        min_part_size: int | None = None,
    ) -> ObjectMeta:
        """Join the named parts (all uploaded parts when ``parts`` is None) into the object.

        Checks as OSS does: part numbers ascending, each part uploaded with that ETag, every part
        but the last at least ``min_part_size`` bytes (the store's, OSS's 100 KB, unless the caller
        speaks for a cloud with another minimum: COS's is 1 MB).
        """
        info, chosen = self._uploads.choose(
            upload_id, parts, bucket=bucket, key=key, min_part_size=min_part_size or self.min_part_size
        )
        if forbid_overwrite:
            self._check_not_exists(bucket, key)
        out = self._uploads.join(info.upload_id, chosen)
        try:
            meta = self._publish(
                bucket,
                key,
                out.path,
                etag=multipart_etag(chosen),
                crc64=out.crc64,
                content_type=info.content_type,
                user_meta=info.user_meta,
                headers=info.headers,
                object_type="Multipart",
                forbid_overwrite=forbid_overwrite,
                attrs=ObjectAttrs.from_record(info.attrs),
            )
        except BaseException:
            out.undo()
            raise
        self._uploads.remove(info.upload_id)
        return meta

    def list_uploads(
        self,
        bucket: str,
        *,
        prefix: str = "",
        delimiter: str = "",
        key_marker: str = "",
        upload_id_marker: str = "",
        max_uploads: int = 1000,
    ) -> ListUploadsResult:
        self.require_bucket(bucket)
        return self._uploads.listing(
            bucket,
            prefix=prefix,
            delimiter=delimiter,
            key_marker=key_marker,
            upload_id_marker=upload_id_marker,
            max_uploads=max_uploads,
        )

    def _has_uploads(self, bucket: str) -> bool:
        return bool(self.list_uploads(bucket, max_uploads=1).uploads)

    # -- internals ------------------------------------------------------------------------------
    def _check_placeable(self, bucket: str, key: str) -> None:
        def is_marker(marker: str) -> bool:
            return self._meta_path(bucket, marker).exists()

        check_placeable(self.root / bucket, self.object_path(bucket, key), key, is_marker)

    def _check_not_exists(self, bucket: str, key: str) -> None:
        if self.exists(bucket, key):
            raise store_error(
                ServiceError,
                "FileAlreadyExists",
                _("the object {key!r} already exists and cannot be overwritten").format(key=key),
                _("drop x-oss-forbid-overwrite, or choose another key"),
            )

    def _publish(
        self,
        bucket: str,
        key: str,
        tmp: Path,
        *,
        etag: str,
        crc64: int,
        content_type: str,
        user_meta: Mapping[str, str],
        headers: Mapping[str, str],
        object_type: str,
        forbid_overwrite: bool,
        attrs: ObjectAttrs | None = None,
    ) -> ObjectMeta:
        """Move a finished temporary file into place and write its sidecar, under the lock."""
        path = self.object_path(bucket, key)
        with self._lock:
            self.require_bucket(bucket)
            self._check_placeable(bucket, key)
            if forbid_overwrite:
                self._check_not_exists(bucket, key)
            if key.endswith("/"):
                path.mkdir(parents=True, exist_ok=True)
                size = tmp.stat().st_size
                data = self._folder_data_path(bucket, key)
                if size:
                    data.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(tmp, data)
                else:
                    tmp.unlink()
                    with contextlib.suppress(FileNotFoundError):
                        data.unlink()
                stamp = [size, 0, 0]
                mtime = time.time()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                if path.is_dir():  # an empty leftover folder (checked above)
                    path.rmdir()
                os.replace(tmp, path)
                st = path.stat()
                stamp = stamp_of(st)
                mtime = st.st_mtime
            rec = object_record(
                key,
                stamp=stamp,
                etag=etag,
                crc64=crc64,
                content_type=content_type,
                last_modified=mtime,
                object_type=object_type,
                user_meta=user_meta,
                headers=headers,
                attrs=attrs,
            )
            write_json(self._meta_path(bucket, key), rec, self.tmp_dir)
            return meta_from_record(bucket, key, rec)

    def _meta_for(self, bucket: str, key: str, path: Path, st: os.stat_result) -> ObjectMeta:
        """The object's metadata from its sidecar, recomputed from the bytes when the sidecar is
        missing or describes other bytes (the file was edited or replaced by hand)."""
        meta_path = self._meta_path(bucket, key)
        rec = read_json(meta_path)
        stamp = stamp_of(st)
        if rec is not None and is_current(rec, key, stamp):
            return meta_from_record(bucket, key, rec)
        new = record_from_data(key, path, st, rec)
        with self._lock:
            now = path.stat() if path.exists() else None
            if now is not None and stamp_of(now) == stamp:
                write_json(meta_path, new, self.tmp_dir)
        return meta_from_record(bucket, key, new)

    def _prune_dirs(self, bucket: str, start: Path) -> None:
        """Remove folders left empty by a delete, up to the bucket (marker folders stay)."""
        base = self.root / bucket
        d = start
        while d != base and base in d.parents:
            rel = d.relative_to(base).as_posix() + "/"
            if self._meta_path(bucket, rel).exists():
                return
            try:
                d.rmdir()
            except OSError:
                return
            d = d.parent
