"""The folder-as-bucket object store: ``root/<bucket>/<key>`` on the local disk.

Shared by the ``local`` provider and ``mediaproc serve``, so an object written through the OSS wire
protocol is an ordinary file a user can open, and a file dropped into the folder is an object.

Layout::

    root/<bucket>/<key...>            object data, one ordinary file per key ("a/b.jpg" -> a/b.jpg)
    root/.mediaproc/meta/<bucket>/..  sidecars: one JSON per key, named by sha256(key)
    root/.mediaproc/uploads/<id>/     multipart staging (upload.json, part-NNNNN.bin/.json)
    root/.mediaproc/tmp/              temporary files of writes in progress

Why these choices:

- Sidecars are named by a hash of the key, in a tree no bucket can reach (bucket names cannot start
  with "."), so no key can ever collide with a sidecar, whatever characters it holds.
- A sidecar records the data file's (size, mtime_ns, inode); when a user edits or replaces a file
  by hand the sidecar no longer matches and the metadata (ETag = MD5, CRC-64) is recomputed from
  the data, so the store never serves metadata of other bytes.
- Writes stream into ``.mediaproc/tmp`` (same file system as the buckets) and are published with
  ``os.replace``: a reader or a listing never sees a partial object, and a failed or interrupted
  write leaves nothing behind. Staging inside the bucket folder would show partial files to
  listings.
- Keys are validated before any path is built: empty, ``.`` and ``..`` segments, a leading ``/``,
  NUL and over-long names are refused, so a key can never address a file outside its bucket.
- A folder cannot hold both a file ``a`` and a folder ``a/``; OSS can (keys ``a`` and ``a/b``).
  Such a key is refused with ``InvalidObjectName`` instead of silently replacing data.
- Keys ending in ``/`` (console "folders") are stored as a directory plus a sidecar marking it.

ETags follow OSS: upper-case MD5 hex for simple uploads, ``MD5(part MD5s)-N`` for multipart
objects, always quoted on the wire (the quotes are added by the HTTP layer, not stored here).
CRC-64 is CRC-64/ECMA-182 as OSS reports it in ``x-oss-hash-crc64ecma``.

Every method is blocking and thread-safe; the HTTP server calls them from worker threads.
Errors are :mod:`mediaproc.errors` classes whose ``code`` is the OSS error code
(``NoSuchKey``, ``NoSuchBucket``, ``InvalidObjectName``, ...), so the server can answer with the
service's own code and the local provider can show the same one.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import mimetypes
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import crcmod

from mediaproc.errors import MediaprocError, NotFound, ServiceError, UsageError
from mediaproc.i18n import _
from mediaproc.results import ObjectInfo

HIDDEN = ".mediaproc"
MAX_KEY_BYTES = 1023
MAX_SEGMENT_BYTES = 255
MIN_PART_SIZE = 100 * 1024  # OSS: every part but the last must hold at least 100 KB
MAX_PART_NUMBER = 10000
COPY_CHUNK = 1024 * 1024
DEFAULT_CONTENT_TYPE = "application/octet-stream"

_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_CRC64 = crcmod.Crc(0x142F0E1EBA9EA3693, initCrc=0, rev=True, xorOut=0xFFFFFFFFFFFFFFFF)

# headers stored with an object and returned on GET/HEAD (lower-case names)
STORED_HEADERS = (
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
)


def new_crc64() -> Any:
    """A fresh CRC-64/ECMA accumulator (``update(bytes)``, ``crcValue``), as OSS computes it."""
    return _CRC64.new()


# --------------------------------------------------------------------------------------------
# errors


def _err(cls: type[MediaprocError], code: str, message: str, hint: str | None = None) -> MediaprocError:
    return cls(message, hint=hint, code=code)


def no_such_bucket(bucket: str) -> MediaprocError:
    return _err(
        NotFound,
        "NoSuchBucket",
        _("the bucket {bucket!r} does not exist").format(bucket=bucket),
        _("create it first, or check the bucket name"),
    )


def no_such_key(bucket: str, key: str) -> MediaprocError:
    return _err(
        NotFound,
        "NoSuchKey",
        _("the object {key!r} does not exist in bucket {bucket!r}").format(key=key, bucket=bucket),
        _("check the key; list the bucket to see what it holds"),
    )


def no_such_upload(upload_id: str) -> MediaprocError:
    return _err(
        NotFound,
        "NoSuchUpload",
        _("the multipart upload {upload_id!r} does not exist").format(upload_id=upload_id),
        _("it was completed or aborted; start a new upload"),
    )


def invalid_key(key: str, why: str) -> MediaprocError:
    return _err(
        UsageError,
        "InvalidObjectName",
        _("invalid object key {key!r}: {why}").format(key=key, why=why),
        _("use a key without empty, '.' or '..' segments, a leading '/', or NUL"),
    )


# --------------------------------------------------------------------------------------------
# validation


def validate_bucket(name: str) -> None:
    """OSS bucket naming rules: 3-63 of a-z, 0-9 and '-', not starting or ending with '-'."""
    if not _BUCKET_RE.match(name or ""):
        raise _err(
            UsageError,
            "InvalidBucketName",
            _("invalid bucket name {bucket!r}").format(bucket=name),
            _("use 3-63 lower-case letters, digits and '-', starting and ending with a letter or digit"),
        )


def validate_key(key: str) -> None:
    """Refuse keys that cannot be stored as a path inside the bucket folder (see module doc)."""
    if not key:
        raise invalid_key(key, _("the key is empty"))
    if "\x00" in key:
        raise invalid_key(key, _("it contains NUL"))
    try:
        raw = key.encode("utf-8")
    except UnicodeEncodeError:
        raise invalid_key(key, _("it is not valid UTF-8")) from None
    if len(raw) > MAX_KEY_BYTES:
        raise invalid_key(key, _("it is longer than {n} bytes").format(n=MAX_KEY_BYTES))
    if key.startswith(("/", "\\")):
        raise invalid_key(key, _("it starts with a slash"))
    body = key[:-1] if key.endswith("/") else key
    for seg in body.split("/"):
        if seg in ("", ".", ".."):
            raise invalid_key(key, _("it has an empty, '.' or '..' segment"))
        if len(seg.encode("utf-8")) > MAX_SEGMENT_BYTES:
            raise invalid_key(key, _("a segment is longer than {n} bytes").format(n=MAX_SEGMENT_BYTES))


def guess_content_type(key: str) -> str:
    """What OSS does without a Content-Type header: infer from the extension."""
    ctype, _enc = mimetypes.guess_type(key, strict=False)
    return ctype or DEFAULT_CONTENT_TYPE


# --------------------------------------------------------------------------------------------
# records


@dataclass(frozen=True)
class ObjectMeta:
    """Everything the store knows about one object (what HEAD returns)."""

    bucket: str
    key: str
    size: int
    etag: str  # upper-case hex, no quotes; "<hex>-<n>" for multipart objects
    last_modified: float  # POSIX seconds
    content_type: str
    crc64: int
    object_type: str = "Normal"  # "Normal" | "Multipart"
    user_meta: Mapping[str, str] = field(default_factory=dict)  # x-oss-meta-* without the prefix
    headers: Mapping[str, str] = field(default_factory=dict)  # STORED_HEADERS given at upload
    storage_class: str = "Standard"

    @property
    def is_dir_marker(self) -> bool:
        return self.key.endswith("/")

    def info(self) -> ObjectInfo:
        """The provider-facing summary (``mediaproc.results.ObjectInfo``)."""
        return ObjectInfo(
            key=self.key,
            size=self.size,
            etag=self.etag,
            last_modified=self.last_modified,
            content_type=self.content_type,
        )


@dataclass(frozen=True)
class BucketInfo:
    name: str
    created: float


@dataclass(frozen=True)
class ListResult:
    objects: tuple[ObjectMeta, ...]
    prefixes: tuple[str, ...]
    is_truncated: bool
    next_marker: str | None  # the last key or prefix returned, when truncated


@dataclass(frozen=True)
class PartMeta:
    part_number: int
    etag: str
    size: int
    crc64: int
    last_modified: float


@dataclass(frozen=True)
class UploadInfo:
    upload_id: str
    bucket: str
    key: str
    initiated: float
    content_type: str
    user_meta: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ListUploadsResult:
    uploads: tuple[UploadInfo, ...]
    prefixes: tuple[str, ...]
    is_truncated: bool
    next_key_marker: str
    next_upload_id_marker: str


# --------------------------------------------------------------------------------------------
# writers


class _HashingFile:
    """A temp file that hashes (MD5 + CRC-64) what is written, and is removed unless published."""

    def __init__(self, tmp_dir: Path) -> None:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = _mkstemp(tmp_dir)
        self.path = Path(name)
        self._f: BinaryIO | None = os.fdopen(fd, "wb")
        self.md5 = hashlib.md5()
        self.crc = new_crc64()
        self.size = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._f is None:
            raise ValueError("write after close")
        self._f.write(data)
        self.md5.update(data)
        self.crc.update(bytes(data) if isinstance(data, memoryview) else data)
        self.size += len(data)

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None

    def discard(self) -> None:
        self.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def _mkstemp(tmp_dir: Path) -> tuple[int, str]:
    name = str(tmp_dir / f"w-{uuid.uuid4().hex}")
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    return fd, name


class ObjectWriter:
    """Streams one object into the store; nothing is visible until :meth:`commit`.

    Use as a context manager: leaving the block without a commit (an error, Ctrl-C, a dropped
    connection) removes the temporary file.
    """

    def __init__(
        self,
        store: LocalStore,
        bucket: str,
        key: str,
        *,
        content_type: str,
        user_meta: Mapping[str, str],
        headers: Mapping[str, str],
        forbid_overwrite: bool,
    ) -> None:
        self._store = store
        self.bucket = bucket
        self.key = key
        self._content_type = content_type
        self._user_meta = dict(user_meta)
        self._headers = dict(headers)
        self._forbid_overwrite = forbid_overwrite
        self._file = _HashingFile(store.tmp_dir)
        self._done = False

    @property
    def size(self) -> int:
        return self._file.size

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._file.write(data)

    def md5_digest(self) -> bytes:
        return self._file.md5.digest()

    def commit(self, *, expected_md5: bytes | None = None) -> ObjectMeta:
        """Publish the object. ``expected_md5`` (from Content-MD5) is checked first."""
        try:
            self._file.close()
            if expected_md5 is not None and expected_md5 != self._file.md5.digest():
                raise _err(
                    UsageError,
                    "InvalidDigest",
                    _("the Content-MD5 you specified did not match what was received"),
                    _("send the MD5 of the body, base64-encoded"),
                )
            if self.key.endswith("/") and self._file.size:
                raise invalid_key(self.key, _("a key ending in '/' is a folder and cannot hold data"))
            meta = self._store._publish(
                self.bucket,
                self.key,
                self._file.path,
                etag=self._file.md5.hexdigest().upper(),
                crc64=self._file.crc.crcValue,
                content_type=self._content_type,
                user_meta=self._user_meta,
                headers=self._headers,
                object_type="Normal",
                forbid_overwrite=self._forbid_overwrite,
            )
            self._done = True
            return meta
        finally:
            if not self._done:
                self._file.discard()

    def abort(self) -> None:
        if not self._done:
            self._done = True
            self._file.discard()

    def __enter__(self) -> ObjectWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abort()


class PartWriter:
    """Streams one part of a multipart upload; published by :meth:`commit`."""

    def __init__(self, store: LocalStore, upload_id: str, part_number: int) -> None:
        self._store = store
        self.upload_id = upload_id
        self.part_number = part_number
        self._file = _HashingFile(store.tmp_dir)
        self._done = False

    @property
    def size(self) -> int:
        return self._file.size

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self._file.write(data)

    def commit(self, *, expected_md5: bytes | None = None) -> PartMeta:
        try:
            self._file.close()
            if expected_md5 is not None and expected_md5 != self._file.md5.digest():
                raise _err(
                    UsageError,
                    "InvalidDigest",
                    _("the Content-MD5 you specified did not match what was received"),
                    _("send the MD5 of the body, base64-encoded"),
                )
            part = self._store._publish_part(
                self.upload_id,
                self.part_number,
                self._file.path,
                etag=self._file.md5.hexdigest().upper(),
                crc64=self._file.crc.crcValue,
                size=self._file.size,
            )
            self._done = True
            return part
        finally:
            if not self._done:
                self._file.discard()

    def abort(self) -> None:
        if not self._done:
            self._done = True
            self._file.discard()

    def __enter__(self) -> PartWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abort()


# --------------------------------------------------------------------------------------------
# the store


class LocalStore:
    """See the module docstring. ``root`` is created on first use."""

    def __init__(self, root: Path | str, *, min_part_size: int = MIN_PART_SIZE) -> None:
        self.root = Path(root).expanduser().resolve()
        self.min_part_size = min_part_size
        self._lock = threading.RLock()

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
        base = self.bucket_dir(bucket)
        body = key[:-1] if key.endswith("/") else key
        return base.joinpath(*body.split("/"))

    def _meta_path(self, bucket: str, key: str) -> Path:
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        return self.hidden_dir / "meta" / bucket / digest[:2] / f"{digest}.json"

    def _bucket_record(self, bucket: str) -> Path:
        return self.hidden_dir / "buckets" / f"{bucket}.json"

    # -- buckets ----------------------------------------------------------------------------
    def create_bucket(self, bucket: str) -> bool:
        """Create the bucket folder; False if it already existed (creating it again is fine)."""
        path = self.bucket_dir(bucket)
        with self._lock:
            if path.is_dir():
                return False
            path.mkdir(parents=True)
            _write_json(self._bucket_record(bucket), {"name": bucket, "created": time.time()}, self.tmp_dir)
            return True

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
        rec = _read_json(self._bucket_record(bucket))
        created = float(rec["created"]) if rec and "created" in rec else path.stat().st_mtime
        return BucketInfo(bucket, created)

    def list_buckets(self) -> list[BucketInfo]:
        if not self.root.is_dir():
            return []
        out = []
        for entry in sorted(os.scandir(self.root), key=lambda e: e.name):
            if entry.is_dir() and _BUCKET_RE.match(entry.name):
                out.append(self.bucket_info(entry.name))
        return out

    def delete_bucket(self, bucket: str) -> None:
        path = self.require_bucket(bucket)
        with self._lock:
            if any(self._walk(bucket, path, "", prefix="", after="")) or self._has_uploads(bucket):
                raise _err(
                    ServiceError,
                    "BucketNotEmpty",
                    _("the bucket {bucket!r} is not empty").format(bucket=bucket),
                    _("delete its objects and multipart uploads first"),
                )
            shutil.rmtree(path)
            shutil.rmtree(self.hidden_dir / "meta" / bucket, ignore_errors=True)
            with contextlib.suppress(FileNotFoundError):
                self._bucket_record(bucket).unlink()

    def bucket_usage(self, bucket: str) -> tuple[int, int]:
        """(bytes stored, object count)."""
        path = self.require_bucket(bucket)
        size = count = 0
        for key in self._walk(bucket, path, "", prefix="", after=""):
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
    ) -> ObjectWriter:
        """Start streaming a new object. Names are checked now, before any byte is read."""
        self.require_bucket(bucket)
        self._check_placeable(bucket, key)
        if forbid_overwrite:
            self._check_not_exists(bucket, key)
        return ObjectWriter(
            self,
            bucket,
            key,
            content_type=content_type or guess_content_type(key),
            user_meta=user_meta or {},
            headers=_stored_headers(headers),
            forbid_overwrite=forbid_overwrite,
        )

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
    ) -> ObjectMeta:
        """Server-side copy. Metadata is the source's unless ``replace_meta`` (OSS's directive)."""
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
        ) as w:
            if not src.is_dir_marker:
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
            rec = _read_json(self._meta_path(bucket, key))
            if rec is None or not path.is_dir():
                raise no_such_key(bucket, key)
            return _meta_from_record(bucket, key, rec)
        try:
            st = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise no_such_key(bucket, key) from None
        if not path.is_file():
            raise no_such_key(bucket, key)
        return self._meta_for(bucket, key, path, st)

    def exists(self, bucket: str, key: str) -> bool:
        try:
            self.head(bucket, key)
        except NotFound:
            return False
        return True

    def open(self, bucket: str, key: str) -> BinaryIO:
        """Open the data for reading (an empty stream for a folder marker)."""
        meta = self.head(bucket, key)
        if meta.is_dir_marker:
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
        max_keys = max(0, max_keys)
        objects: list[ObjectMeta] = []
        prefixes: list[str] = []
        skip = _Skip()
        if delimiter and marker.startswith(prefix) and marker.endswith(delimiter):
            rest = marker[len(prefix) :]
            if rest.find(delimiter) == len(rest) - len(delimiter):
                skip.prefix = marker  # the marker is a common prefix returned on the last page
        last: str | None = None
        truncated = False
        for key in self._walk(bucket, base, "", prefix=prefix, after=marker, skip=skip):
            if delimiter:
                idx = key.find(delimiter, len(prefix))
                if idx >= 0:
                    common = key[: idx + len(delimiter)]
                    if common == last or (skip.prefix and common.startswith(skip.prefix)):
                        continue
                    if len(objects) + len(prefixes) >= max_keys:
                        truncated = True
                        break
                    prefixes.append(common)
                    last = common
                    skip.prefix = common
                    continue
            if len(objects) + len(prefixes) >= max_keys:
                truncated = True
                break
            try:
                objects.append(self.head(bucket, key))
            except NotFound:
                continue  # deleted while listing
            last = key
        return ListResult(tuple(objects), tuple(prefixes), truncated, last if truncated else None)

    def iter_objects(self, bucket: str, prefix: str = "") -> Iterator[ObjectMeta]:
        """Every object under a prefix, in key order (no delimiter)."""
        base = self.require_bucket(bucket)
        for key in self._walk(bucket, base, "", prefix=prefix, after=""):
            with contextlib.suppress(NotFound):
                yield self.head(bucket, key)

    def _walk(
        self,
        bucket: str,
        dirpath: Path,
        keyprefix: str,
        *,
        prefix: str,
        after: str,
        skip: _Skip | None = None,
    ) -> Iterator[str]:
        """Keys under ``dirpath`` in byte order, pruning subtrees outside prefix/after/skip.

        A directory ``d`` sorts as ``d/`` so that a depth-first walk yields keys in the same order
        as sorting the full keys.
        """
        try:
            entries = list(os.scandir(dirpath))
        except (FileNotFoundError, NotADirectoryError):
            return
        items: list[tuple[str, os.DirEntry[str], bool]] = []
        for e in entries:
            name = e.name
            try:
                name.encode("utf-8")
            except UnicodeEncodeError:
                continue  # not a valid key: skip undecodable names
            is_dir = e.is_dir()
            items.append((name + "/" if is_dir else name, e, is_dir))
        items.sort(key=lambda t: t[0])
        for sortname, _entry, is_dir in items:
            key = keyprefix + sortname
            if skip is not None and skip.prefix and key.startswith(skip.prefix):
                continue
            if is_dir:
                # prune: the subtree holds keys starting with `key`
                if not (key.startswith(prefix) or prefix.startswith(key)):
                    continue
                if after and key < after and not after.startswith(key):
                    continue
                if key > after and key.startswith(prefix) and self._meta_path(bucket, key).exists():
                    yield key  # a folder marker object "d/"
                yield from self._walk(bucket, dirpath / sortname[:-1], key, prefix=prefix, after=after, skip=skip)
            else:
                if key <= after or not key.startswith(prefix):
                    continue
                yield key

    # -- multipart ----------------------------------------------------------------------------
    def initiate_multipart(
        self,
        bucket: str,
        key: str,
        *,
        content_type: str | None = None,
        user_meta: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> UploadInfo:
        self.require_bucket(bucket)
        self._check_placeable(bucket, key)
        if key.endswith("/"):
            raise invalid_key(key, _("a key ending in '/' is a folder and cannot hold data"))
        info = UploadInfo(
            upload_id=uuid.uuid4().hex.upper(),
            bucket=bucket,
            key=key,
            initiated=time.time(),
            content_type=content_type or guess_content_type(key),
            user_meta=dict(user_meta or {}),
            headers=_stored_headers(headers),
        )
        d = self.uploads_dir / info.upload_id
        d.mkdir(parents=True)
        _write_json(d / "upload.json", asdict(info), self.tmp_dir)
        return info

    def upload_info(self, upload_id: str, *, bucket: str | None = None, key: str | None = None) -> UploadInfo:
        if not re.fullmatch(r"[0-9A-Fa-f]{32}", upload_id or ""):
            raise no_such_upload(upload_id)
        rec = _read_json(self.uploads_dir / upload_id.upper() / "upload.json")
        if rec is None:
            raise no_such_upload(upload_id)
        info = UploadInfo(**rec)
        if (bucket is not None and info.bucket != bucket) or (key is not None and info.key != key):
            raise no_such_upload(upload_id)
        return info

    def part_writer(self, upload_id: str, part_number: int, *, bucket: str, key: str) -> PartWriter:
        self.upload_info(upload_id, bucket=bucket, key=key)
        if not 1 <= part_number <= MAX_PART_NUMBER:
            raise _err(
                UsageError,
                "InvalidArgument",
                _("part number {n} is outside 1-{max}").format(n=part_number, max=MAX_PART_NUMBER),
            )
        return PartWriter(self, upload_id.upper(), part_number)

    def list_parts(self, upload_id: str, *, bucket: str, key: str) -> list[PartMeta]:
        self.upload_info(upload_id, bucket=bucket, key=key)
        d = self.uploads_dir / upload_id.upper()
        parts = []
        for p in sorted(d.glob("part-*.json")):
            rec = _read_json(p)
            if rec is not None:
                parts.append(PartMeta(**rec))
        return sorted(parts, key=lambda p: p.part_number)

    def abort_multipart(self, upload_id: str, *, bucket: str, key: str) -> None:
        self.upload_info(upload_id, bucket=bucket, key=key)
        shutil.rmtree(self.uploads_dir / upload_id.upper(), ignore_errors=True)

    def complete_multipart(
        self,
        upload_id: str,
        parts: Sequence[tuple[int, str]] | None,
        *,
        bucket: str,
        key: str,
        forbid_overwrite: bool = False,
    ) -> ObjectMeta:
        """Join the named parts (all uploaded parts when ``parts`` is None) into the object.

        Checks as OSS does: part numbers ascending, each part uploaded with that ETag, every part
        but the last at least ``min_part_size`` bytes.
        """
        info = self.upload_info(upload_id, bucket=bucket, key=key)
        uploaded = {p.part_number: p for p in self.list_parts(upload_id, bucket=bucket, key=key)}
        if parts is None:
            chosen = [uploaded[n] for n in sorted(uploaded)]
        else:
            chosen = []
            prev = 0
            for number, etag in parts:
                if number <= prev:
                    raise _err(
                        UsageError,
                        "InvalidPartOrder",
                        _("the list of parts was not in ascending order"),
                        _("list the parts sorted by part number"),
                    )
                prev = number
                part = uploaded.get(number)
                if part is None or part.etag.upper() != etag.strip('"').upper():
                    raise _err(
                        UsageError,
                        "InvalidPart",
                        _("one or more of the specified parts could not be found or the ETag did not match"),
                        _("complete with the part numbers and ETags that UploadPart returned"),
                    )
                chosen.append(part)
        if not chosen:
            raise _err(UsageError, "InvalidArgument", _("a multipart upload needs at least one part"))
        for part in chosen[:-1]:
            if part.size < self.min_part_size:
                raise _err(
                    UsageError,
                    "EntityTooSmall",
                    _("your proposed upload is smaller than the minimum allowed size"),
                    _("every part but the last must hold at least {n} bytes").format(n=self.min_part_size),
                )
        if forbid_overwrite:
            self._check_not_exists(bucket, key)
        d = self.uploads_dir / info.upload_id
        out = _HashingFile(self.tmp_dir)
        try:
            for part in chosen:
                with open(d / f"part-{part.part_number:05d}.bin", "rb") as f:
                    while chunk := f.read(COPY_CHUNK):
                        out.write(chunk)
            out.close()
            md5s = b"".join(bytes.fromhex(p.etag) for p in chosen)
            etag = f"{hashlib.md5(md5s).hexdigest().upper()}-{len(chosen)}"
            meta = self._publish(
                bucket,
                key,
                out.path,
                etag=etag,
                crc64=out.crc.crcValue,
                content_type=info.content_type,
                user_meta=info.user_meta,
                headers=info.headers,
                object_type="Multipart",
                forbid_overwrite=forbid_overwrite,
            )
        except BaseException:
            out.discard()
            raise
        shutil.rmtree(d, ignore_errors=True)
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
        items: list[UploadInfo] = []
        if self.uploads_dir.is_dir():
            for d in self.uploads_dir.iterdir():
                rec = _read_json(d / "upload.json")
                if rec is None or rec.get("bucket") != bucket or not rec.get("key", "").startswith(prefix):
                    continue
                items.append(UploadInfo(**rec))
        items.sort(key=lambda u: (u.key, u.initiated, u.upload_id))
        uploads: list[UploadInfo] = []
        prefixes: list[str] = []
        truncated = False
        last_key = last_id = ""
        for u in items:
            if key_marker and (u.key < key_marker or (u.key == key_marker and u.upload_id <= upload_id_marker)):
                continue
            if delimiter:
                idx = u.key.find(delimiter, len(prefix))
                if idx >= 0:
                    common = u.key[: idx + len(delimiter)]
                    if common in prefixes:
                        continue
                    if len(uploads) + len(prefixes) >= max_uploads:
                        truncated = True
                        break
                    prefixes.append(common)
                    last_key, last_id = common, ""
                    continue
            if len(uploads) + len(prefixes) >= max_uploads:
                truncated = True
                break
            uploads.append(u)
            last_key, last_id = u.key, u.upload_id
        return ListUploadsResult(
            tuple(uploads), tuple(prefixes), truncated, last_key if truncated else "", last_id if truncated else ""
        )

    def _has_uploads(self, bucket: str) -> bool:
        return bool(self.list_uploads(bucket, max_uploads=1).uploads)

    def _publish_part(
        self, upload_id: str, part_number: int, tmp: Path, *, etag: str, crc64: int, size: int
    ) -> PartMeta:
        d = self.uploads_dir / upload_id
        with self._lock:
            if not (d / "upload.json").exists():
                raise no_such_upload(upload_id)
            os.replace(tmp, d / f"part-{part_number:05d}.bin")
            part = PartMeta(part_number, etag, size, crc64, time.time())
            _write_json(d / f"part-{part_number:05d}.json", asdict(part), self.tmp_dir)
            return part

    # -- internals ------------------------------------------------------------------------------
    def _check_placeable(self, bucket: str, key: str) -> None:
        """Refuse a key whose path collides with a file/folder of another key (see module doc)."""
        path = self.object_path(bucket, key)
        base = self.root / bucket
        parent = path.parent
        while parent != base:
            if parent.exists() and not parent.is_dir():
                rel = parent.relative_to(base).as_posix()
                raise invalid_key(
                    key,
                    _("the object {other!r} exists; a folder bucket cannot also hold keys under it").format(other=rel),
                )
            parent = parent.parent
        if key.endswith("/") and path.exists() and not path.is_dir():
            raise invalid_key(
                key,
                _("the object {other!r} exists; a folder bucket cannot also hold {key!r}").format(
                    other=key[:-1], key=key
                ),
            )
        if (
            not key.endswith("/")
            and path.is_dir()
            and (any(path.iterdir()) or self._meta_path(bucket, key + "/").exists())
        ):
            raise invalid_key(
                key,
                _("keys under {key}/ exist; a folder bucket cannot also hold {key!r}").format(key=key),
            )

    def _check_not_exists(self, bucket: str, key: str) -> None:
        if self.exists(bucket, key):
            raise _err(
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
    ) -> ObjectMeta:
        path = self.object_path(bucket, key)
        with self._lock:
            self.require_bucket(bucket)
            self._check_placeable(bucket, key)
            if forbid_overwrite:
                self._check_not_exists(bucket, key)
            if key.endswith("/"):
                path.mkdir(parents=True, exist_ok=True)
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()
                st_tuple: list[int] = [0, 0, 0]
                mtime = time.time()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                if path.is_dir():  # an empty leftover folder (checked above)
                    path.rmdir()
                os.replace(tmp, path)
                st = path.stat()
                st_tuple = [st.st_size, st.st_mtime_ns, st.st_ino]
                mtime = st.st_mtime
            rec = {
                "v": 1,
                "key": key,
                "size": st_tuple[0],
                "etag": etag,
                "crc64": str(crc64),
                "content_type": content_type,
                "last_modified": mtime,
                "object_type": object_type,
                "user_meta": dict(user_meta),
                "headers": dict(headers),
                "stat": st_tuple,
            }
            _write_json(self._meta_path(bucket, key), rec, self.tmp_dir)
            return _meta_from_record(bucket, key, rec)

    def _meta_for(self, bucket: str, key: str, path: Path, st: os.stat_result) -> ObjectMeta:
        meta_path = self._meta_path(bucket, key)
        rec = _read_json(meta_path)
        stamp = [st.st_size, st.st_mtime_ns, st.st_ino]
        if rec is not None and rec.get("stat") == stamp and rec.get("key") == key:
            return _meta_from_record(bucket, key, rec)
        # no sidecar, or the file was changed by hand: recompute from the bytes
        md5 = hashlib.md5()
        crc = new_crc64()
        with open(path, "rb") as f:
            while chunk := f.read(COPY_CHUNK):
                md5.update(chunk)
                crc.update(chunk)
        old = rec or {}
        new = {
            "v": 1,
            "key": key,
            "size": st.st_size,
            "etag": md5.hexdigest().upper(),
            "crc64": str(crc.crcValue),
            "content_type": old.get("content_type") or guess_content_type(key),
            "last_modified": st.st_mtime,
            "object_type": "Normal",
            "user_meta": old.get("user_meta", {}),
            "headers": old.get("headers", {}),
            "stat": stamp,
        }
        with self._lock:
            now = path.stat() if path.exists() else None
            if now is not None and [now.st_size, now.st_mtime_ns, now.st_ino] == stamp:
                _write_json(meta_path, new, self.tmp_dir)
        return _meta_from_record(bucket, key, new)

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


@dataclass
class _Skip:
    prefix: str = ""


def _stored_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    if not headers:
        return {}
    return {k.lower(): v for k, v in headers.items() if k.lower() in STORED_HEADERS}


def _meta_from_record(bucket: str, key: str, rec: Mapping[str, Any]) -> ObjectMeta:
    return ObjectMeta(
        bucket=bucket,
        key=key,
        size=int(rec.get("size", 0)),
        etag=str(rec["etag"]),
        last_modified=float(rec["last_modified"]),
        content_type=str(rec.get("content_type") or DEFAULT_CONTENT_TYPE),
        crc64=int(rec.get("crc64", 0)),
        object_type=str(rec.get("object_type", "Normal")),
        user_meta=dict(rec.get("user_meta", {})),
        headers=dict(rec.get("headers", {})),
    )


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def _write_json(path: Path, data: Mapping[str, Any], tmp_dir: Path) -> None:
    """Atomic JSON write (temp file + replace), so a crash never leaves half a sidecar."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, name = _mkstemp(tmp_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False)
        os.replace(name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
        raise


def content_md5(value: str | None) -> bytes | None:
    """Decode a Content-MD5 header (base64 of 16 bytes); None when absent."""
    if not value:
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (ValueError, TypeError):
        raw = b""
    if len(raw) != 16:
        raise _err(
            UsageError,
            "InvalidDigest",
            _("the Content-MD5 you specified is not valid"),
            _("send the MD5 of the body, base64-encoded"),
        )
    return raw
