"""What the store answers with: frozen records of objects, buckets, parts and uploads.

The OSS and COS fronts and the local provider read these, never the sidecar JSON they are made
from, so the on-disk format can change without touching a wire front. The few rules that decide a
record's content at upload time (which headers are kept, the content type a key implies) live here
with the records they fill.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass, field

from mediaproc.results import ObjectInfo

DEFAULT_CONTENT_TYPE = "application/octet-stream"

# headers stored with an object and returned on GET/HEAD (lower-case names)
STORED_HEADERS = (
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
)


def guess_content_type(key: str) -> str:
    """What OSS does without a Content-Type header: infer from the extension."""
    ctype, _enc = mimetypes.guess_type(key, strict=False)
    return ctype or DEFAULT_CONTENT_TYPE


# What an object is besides its bytes and headers, kept beside the headers under cloud-neutral names:
# each wire front reads its own header (x-oss-storage-class, x-cos-acl, ...) into these and writes
# them back in its own spelling; None (absent) is the front's default ("Standard", "default", ...).
PROPERTIES = ("storage-class", "acl", "grant-read", "grant-full-control")


def stored_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """What the store keeps of an upload's headers (:data:`STORED_HEADERS` and the object
    :data:`PROPERTIES` a front has set), lower-cased. A front filters the request's own headers
    to :data:`STORED_HEADERS` first, so a client cannot set a property by a bare header name."""
    if not headers:
        return {}
    kept = STORED_HEADERS + PROPERTIES
    return {k.lower(): v for k, v in headers.items() if k.lower() in kept and v is not None}


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
    headers: Mapping[str, str] = field(default_factory=dict)  # STORED_HEADERS and PROPERTIES given at upload

    @property
    def is_dir_marker(self) -> bool:
        return self.key.endswith("/")

    @property
    def storage_class(self) -> str | None:
        """The storage class a front was given at upload, in its spelling (None: its default)."""
        return self.headers.get("storage-class")

    @property
    def acl(self) -> str | None:
        """The canned ACL a front was given at upload or by PutObjectAcl (None: its default)."""
        return self.headers.get("acl")

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
