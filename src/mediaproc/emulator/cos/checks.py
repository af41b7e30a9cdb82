"""What the COS front refuses before it reads or writes anything, each rule with the page it comes
from: bucket names, object keys, Range, the If-* conditions, user metadata and the values of the
headers an object keeps. Kept apart from :mod:`.storage` (which does the work) so that the list of
refusals can be read, and compared with the service's, in one place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import unquote

from aiohttp import web

from mediaproc.emulator.conditions import PRECONDITION_FAILED, copy_source_condition, failed_condition
from mediaproc.emulator.cos.errors import CosError
from mediaproc.location import key_problem
from mediaproc.objectopts import check_header_values, check_user_meta
from mediaproc.providers.local.records import STORED_HEADERS, ObjectMeta


def byte_range(value: str | None, size: int) -> tuple[int, int] | None:
    """One ``bytes=a-b`` range, clamped (None: the whole object); an unsatisfiable one is 416."""
    if not value or not value.startswith("bytes="):
        return None
    a, sep, b = value[6:].split(",")[0].strip().partition("-")
    if not sep or not (a or b) or (a and not a.isdigit()) or (b and not b.isdigit()):
        return None
    if not a:
        n = min(int(b), size)
        return (size - n, size - 1) if n else None
    start, end = int(a), min(int(b), size - 1) if b else size - 1
    if start >= size or end < start:
        raise CosError("InvalidRange", "The requested range is not satisfiable", status=416)
    return start, end


# cloud.tencent.com/document/product/436/13312 (bucket overview, naming): <BucketName-APPID>, the name
# 1-50 of [a-z0-9-], neither starting nor ending with '-', the APPID digits. Checked on PutBucket (a
# request to a bucket that cannot exist is NoSuchBucket anyway). The Host header is case-insensitive,
# so upper-case letters arrive lower-cased as they do at COS. The codes are the error list's
# (intl.cloud.tencent.com/document/api/436/7730): BucketNameTooLong, else InvalidBucketName.
BUCKET_NAME = re.compile(r"^(?P<name>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)-[0-9]+$")
MAX_BUCKET_NAME = 50


def bucket_name(bucket: str) -> None:
    """PutBucket's name, as above."""
    m = BUCKET_NAME.match(bucket)
    if m is None:
        raise CosError(
            "InvalidBucketName",
            "The bucket name must be <name>-<APPID>: lower-case letters, digits and '-', "
            "not starting or ending with '-'.",
        )
    if len(m.group("name")) > MAX_BUCKET_NAME:
        raise CosError("BucketNameTooLong", f"The bucket name is longer than {MAX_BUCKET_NAME} characters.")


def conditions(request: web.Request, meta: ObjectMeta) -> None:
    """GET and HEAD Object's If-* headers (cloud.tencent.com/document/product/436/7753 and 7745;
    the rule is :mod:`mediaproc.emulator.conditions`, shared with OSS)."""
    failed = failed_condition(request.headers, meta.etag, meta.last_modified)
    if failed == PRECONDITION_FAILED:
        raise CosError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold.")
    if failed is not None:
        raise CosError("NotModified", "Not Modified", status=304)


def copy_source(request: web.Request, source: ObjectMeta) -> None:
    """``x-cos-copy-source-If-*`` of PUT Object - Copy and Upload Part - Copy: any that fails is 412
    (cloud.tencent.com/document/product/436/10881, 8287)."""
    if copy_source_condition(request.headers, "x-cos-copy-source-", source.etag, source.last_modified):
        raise CosError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold.")


def user_meta(headers: Mapping[str, str]) -> dict[str, str]:
    """The ``x-cos-meta-*`` headers by lower-cased suffix; more than 2 KB or a suffix with ``_`` is
    refused (cloud.tencent.com/document/product/436/7749 names no code: InvalidArgument, as for the
    other header values COS does not take)."""
    prefix = "x-cos-meta-"
    meta = {k.lower()[len(prefix):]: v for k, v in headers.items() if k.lower().startswith(prefix)}
    problem = check_user_meta("cos", meta)
    if problem is not None:
        raise CosError("InvalidArgument", problem[1])
    return meta


def kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """What an object keeps of its upload's headers: the standard ones and its storage class, ACL and
    grants (``x-cos-storage-class``, ``x-cos-acl``, ``x-cos-grant-*``), checked as COS checks them."""
    problem = check_header_values("cos", headers)
    if problem is not None:
        raise CosError("InvalidArgument", problem)
    kept = {k: v for k, v in headers.items() if k.lower() in STORED_HEADERS}
    for header, prop in (("x-cos-storage-class", "storage-class"), ("x-cos-acl", "acl"),
                         ("x-cos-grant-read", "grant-read"), ("x-cos-grant-full-control", "grant-full-control")):
        if header in headers:
            kept[prop] = headers[header]
    return kept


def object_key(raw_path: str, key: str) -> None:
    """An object key COS does not take is refused before any handler sees it: not UTF-8 (aiohttp
    leaves such bytes percent-encoded, so the raw path is decoded again strictly), over 850 bytes or
    with CAN, EM, SUB or ESC (cloud.tencent.com/document/product/436/13324, which names no code:
    InvalidObjectName, the code the store answers other keys it cannot hold with)."""
    try:
        unquote(raw_path.split("?", 1)[0], errors="strict")
    except UnicodeDecodeError:
        raise CosError("InvalidObjectName", "The object key is not valid UTF-8.") from None
    problem = key_problem(key, "cos")
    if problem is not None:
        raise CosError("InvalidObjectName", f"invalid object key {key!r}: {problem}")
