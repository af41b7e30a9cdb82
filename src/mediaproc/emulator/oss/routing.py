"""Which OSS operation a request is, decided from the method, the path and the query alone.

One pure function, kept apart from the handlers, because three parties read the answer before any
handler runs: the fault controller (faults are filtered and counted by operation name), the
signature check (``NotImplemented`` is answered only after it) and the handler table.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote

from mediaproc.emulator.oss.auth import OSS_SUBRESOURCES


@dataclass(frozen=True)
class Target:
    bucket: str | None
    key: str

    @property
    def bucket_name(self) -> str:
        """The bucket of a bucket or object operation (only ListBuckets has none)."""
        assert self.bucket is not None
        return self.bucket


# The service's virtual host (help.aliyun.com/zh/oss/user-guide/oss-domain-names): a client that
# addresses ``<bucket>.oss-<region>.aliyuncs.com`` reaches serve through HTTP_PROXY (docs/serve.md).
VIRTUAL_HOST = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9-]{1,61}[a-z0-9])\.oss-[a-z0-9-]+\.aliyuncs\.com(?::\d+)?$")


def parse_target(raw_path: str, host: str = "") -> Target:
    """The bucket and key of a request, from the raw (still percent-encoded) path: oss2 encodes
    ``/`` in keys. Path style is ``/<bucket>/<key>``; a virtual host names the bucket itself, and
    the path is the key. A request sent through a proxy carries the absolute URL as its target."""
    path = raw_path.split("?", 1)[0]
    if path.startswith(("http://", "https://")):
        path = "/" + path.split("://", 1)[1].partition("/")[2]
    if not path.startswith("/"):
        path = "/" + path
    m = VIRTUAL_HOST.match(host.lower())
    if m:
        return Target(m.group("bucket"), _decode(path[1:]))
    bucket_raw, _sep, key_raw = path[1:].partition("/")
    bucket = unquote(bucket_raw) or None
    return Target(bucket, _decode(key_raw) if bucket else "")


def _decode(raw_key: str) -> str:
    """A percent-encoded key; bytes that are not UTF-8 become lone surrogates (never U+FFFD, which
    would store the object under another key), for :func:`bad_key_encoding` to refuse."""
    return unquote(raw_key, errors="surrogateescape")


def bad_key_encoding(target: Target) -> bool:
    """Whether the key was not UTF-8: OSS refuses such a name with InvalidObjectName
    (help.aliyun.com/document_detail/185228.htm, "使用UTF-8编码")."""
    try:
        target.key.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


# Sub-resources that only shape a plain read or write (not an API of their own): an object GET or
# PUT carrying any other sub-resource is an API serve does not implement, refused with
# NotImplemented, never answered as a plain GET or PUT.
READ_PARAMS = frozenset(
    {
        "response-content-type",
        "response-content-language",
        "response-cache-control",
        "response-content-encoding",
        "response-expires",
        "response-content-disposition",
        "security-token",
    }
)
WRITE_PARAMS = frozenset({"security-token", "callback", "callback-var"})


def classify(method: str, target: Target, query: Mapping[str, str], headers: Mapping[str, str]) -> str:
    """The OSS API operation a request is (used for routing, counters and fault filters)."""
    if target.bucket is None:
        return "ListBuckets" if method == "GET" else "MethodNotAllowed"
    if not target.key:
        if "style" in query and method in ("PUT", "GET", "DELETE"):  # OSS PutStyle, GetStyle, ListStyle, DeleteStyle
            if method == "GET":
                return "GetStyle" if "styleName" in query else "ListStyle"
            return "PutStyle" if method == "PUT" else "DeleteStyle"
        if method == "PUT":
            return "PutBucketAcl" if "acl" in query else "PutBucket"
        if method == "GET":
            for name, op in (
                ("bucketInfo", "GetBucketInfo"),
                ("location", "GetBucketLocation"),
                ("stat", "GetBucketStat"),
                ("uploads", "ListMultipartUploads"),
                ("acl", "GetBucketAcl"),
                ("live", "ListLiveChannel"),
            ):
                if name in query:
                    return op
            if query.get("list-type") == "2":
                return "ListObjectsV2"
            if any(k in OSS_SUBRESOURCES for k in query):
                return "NotImplemented"
            return "ListObjects"
        if method == "HEAD":
            return "HeadBucket"
        if method == "DELETE":
            return "DeleteBucket" if not query else "NotImplemented"
        if method == "POST":
            return "DeleteMultipleObjects" if "delete" in query else "NotImplemented"
        return "MethodNotAllowed"
    copy = "x-oss-copy-source" in headers
    if method == "PUT":
        if "uploadId" in query and "partNumber" in query:
            return "UploadPartCopy" if copy else "UploadPart"
        for name, op in (("acl", "PutObjectAcl"), ("tagging", "PutObjectTagging"), ("symlink", "PutSymlink")):
            if name in query:
                return op
        if any(k in OSS_SUBRESOURCES and k not in WRITE_PARAMS for k in query):
            return "NotImplemented"
        return "CopyObject" if copy else "PutObject"
    if method == "GET":
        if "uploadId" in query:
            return "ListParts"
        if "x-oss-process" in query:
            return "GetObjectWithProcess"
        for name, op in (("acl", "GetObjectAcl"), ("tagging", "GetObjectTagging"), ("symlink", "GetSymlink")):
            if name in query:
                return op
        if any(k in OSS_SUBRESOURCES and k not in READ_PARAMS for k in query):
            return "NotImplemented"
        return "GetObject"
    if method == "HEAD":
        return "GetObjectMeta" if "objectMeta" in query else "HeadObject"
    if method == "DELETE":
        if "uploadId" in query:
            return "AbortMultipartUpload"
        if "tagging" in query:
            return "DeleteObjectTagging"
        if any(k in OSS_SUBRESOURCES and k != "security-token" for k in query):
            return "NotImplemented"
        return "DeleteObject"
    if method == "POST":
        if "uploads" in query:
            return "InitiateMultipartUpload"
        if "uploadId" in query:
            return "CompleteMultipartUpload"
        if "x-oss-async-process" in query:
            return "AsyncProcessObject"
        if "x-oss-process" in query:
            return "ProcessObject"
        if "append" in query:
            return "AppendObject"
        if "restore" in query:
            return "RestoreObject"
        return "NotImplemented"
    return "MethodNotAllowed"
