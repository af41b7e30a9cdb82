"""Conditional GET and HEAD (If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since), as OSS
and COS both document them, in one place so that both fronts answer alike.

OSS (help.aliyun.com/zh/oss/user-guide/conditional-download, GetObject) and COS
(cloud.tencent.com/document/product/436/7753 GET Object, 7745 HEAD Object) describe each header on
its own: If-Match with another ETag and If-Unmodified-Since before the last change are 412,
If-None-Match with the ETag and If-Modified-Since at or after the last change are 304, and a date
that is not an HTTP date is ignored (OSS: "指定的时间不符合规范" returns the object). Neither page
gives RFC 7232's precedence (If-Match true overriding a failed If-Unmodified-Since), so every
condition given must hold; the 412 conditions are checked first, as both pages list them.

A copy's source takes the same four conditions under other names: OSS answers them as a GET does
(CopyObject, UploadPartCopy: 412 for if-match / if-unmodified-since, 304 for if-none-match /
if-modified-since, as alibabacloud-oss-v2's CopyObjectRequest documents them); COS answers every
failed one with 412 (cloud.tencent.com/document/product/436/10881 and 8287).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from email.utils import parsedate_tz

PRECONDITION_FAILED = 412
NOT_MODIFIED = 304
_CONDITIONS = ("If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since")


def parse_http_date(value: str) -> float | None:
    """Seconds since the epoch of an RFC 1123 date (any zone), or None when it is not one."""
    parsed = parsedate_tz(value)
    if parsed is None:
        return None
    offset = parsed[9] or 0
    return calendar.timegm(parsed[:9]) - offset


def _tags(value: str) -> set[str]:
    """The ETags of a condition header: quoted or not, ``W/`` or not, comma-separated."""
    return {t.strip().removeprefix("W/").strip('"').upper() for t in value.split(",")}


def failed_condition(headers: Mapping[str, str], etag: str, last_modified: float) -> int | None:
    """412 or 304 when a condition header does not hold for an object with this ETag and
    modification time, None when the object is to be sent."""
    tag = etag.strip('"').upper()
    modified = int(last_modified)
    if (m := headers.get("If-Match")) and not _tags(m) & {tag, "*"}:
        return PRECONDITION_FAILED
    if (s := headers.get("If-Unmodified-Since")) and (t := parse_http_date(s)) is not None and modified > t:
        return PRECONDITION_FAILED
    if (n := headers.get("If-None-Match")) and _tags(n) & {tag, "*"}:
        return NOT_MODIFIED
    if (s := headers.get("If-Modified-Since")) and (t := parse_http_date(s)) is not None and modified <= t:
        return NOT_MODIFIED
    return None


def copy_source_condition(
    headers: Mapping[str, str], prefix: str, etag: str, last_modified: float
) -> int | None:
    """The same rule over a copy's source, named ``<prefix>if-match`` and so on
    (``x-oss-copy-source-`` on CopyObject and UploadPartCopy, ``x-cos-copy-source-`` on PUT Object -
    Copy and Upload Part - Copy)."""
    lower = {k.lower(): v for k, v in headers.items()}
    renamed = {name: lower[prefix + name.lower()] for name in _CONDITIONS if prefix + name.lower() in lower}
    return failed_condition(renamed, etag, last_modified) if renamed else None
