"""What OSS refuses, serve refuses the same way: status, Code, EC and the XML error body, through the
real oss2 client (raw signed requests where oss2 itself would refuse to send the request).

Each test names the page the rule comes from; docs/serve.md lists them.
"""

from __future__ import annotations

import base64
import email.utils
import time
import xml.etree.ElementTree as ET
from typing import Any

import oss2
import pytest
import requests
from oss2.models import PartInfo

from support.emulator import Emulator

PART = 100 * 1024  # OSS's minimum for every part but the last


def _error(call: Any, *args: Any, **kwargs: Any) -> oss2.exceptions.OssError:
    with pytest.raises(oss2.exceptions.OssError) as err:
        call(*args, **kwargs)
    return err.value


def test_user_metadata_over_8_kb_or_with_underscores_is_refused(emulator: Emulator) -> None:
    """help.aliyun.com/en/oss/user-guide/0011-00000002 and 0011-00000004."""
    bucket = emulator.oss_bucket("meta")
    big = {f"x-oss-meta-m{i}": "v" * 3000 for i in range(3)}  # 9 KB over three headers
    err = _error(lambda: bucket.put_object("a.txt", b"x", headers=big))
    assert (err.status, err.code, err.ec) == (400, "InvalidArgument", "0011-00000002")
    assert err.request_id  # the XML body was parsed: RequestId and all
    # one header of 8 KB reaches the check too (aiohttp's own limit would answer a bare 400)
    err = _error(lambda: bucket.put_object("a.txt", b"x", headers={"x-oss-meta-a": "v" * 8200}))
    assert (err.status, err.code, err.ec) == (400, "InvalidArgument", "0011-00000002")
    err = _error(lambda: bucket.put_object("a.txt", b"x", headers={"x-oss-meta-file_type": "jpg"}))
    assert (err.status, err.code, err.ec) == (400, "InvalidArgument", "0011-00000004")
    # the same rule on every write that takes metadata
    bucket.put_object("src.txt", b"x")
    err = _error(lambda: bucket.init_multipart_upload("mp.bin", headers=big))
    assert err.ec == "0011-00000002"
    err = _error(lambda: bucket.copy_object("meta", "src.txt", "dst.txt",
                                            headers={"x-oss-metadata-directive": "REPLACE", **big}))
    assert err.ec == "0011-00000002"
    assert not bucket.object_exists("a.txt") and not bucket.object_exists("dst.txt")
    # just under the limit is taken and read back
    bucket.put_object("a.txt", b"x", headers={"x-oss-meta-a": "v" * 8000})
    assert bucket.head_object("a.txt").headers["x-oss-meta-a"] == "v" * 8000
    # the pages name the characters, not their order: a name may start or end with '-'
    bucket.put_object("b.txt", b"x", headers={"x-oss-meta--lead": "1", "x-oss-meta-trail-": "2"})
    got = bucket.head_object("b.txt").headers
    assert (got["x-oss-meta--lead"], got["x-oss-meta-trail-"]) == ("1", "2")


def test_key_that_is_not_utf8_is_invalid_object_name(emulator: Emulator) -> None:
    """help.aliyun.com/document_detail/185228.htm: an object name is UTF-8, else InvalidObjectName."""
    bucket = emulator.oss_bucket("keys")
    bucket.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ_WRITE)  # so that an unsigned raw PUT reaches the key check
    for raw in ("%FF%FE", "a%C3%28b"):
        r = requests.put(f"{emulator.url}/keys/{raw}", data=b"x", timeout=30)
        assert r.status_code == 400
        doc = ET.fromstring(r.content)
        assert doc.findtext("Code") == "InvalidObjectName"
        assert doc.findtext("RequestId") == r.headers["x-oss-request-id"]
    assert [o.key for o in oss2.ObjectIterator(bucket)] == []  # nothing stored under U+FFFD
    ok = requests.put(f"{emulator.url}/keys/%E4%BD%A0.txt", data=b"x", timeout=30)
    assert ok.status_code == 200 and bucket.get_object("你.txt").read() == b"x"


def _complete_raw(bucket: Any, key: str, upload_id: str, parts: list[tuple[int, str]]) -> Any:
    """CompleteMultipartUpload with the parts in the order given (oss2 sorts them before sending)."""
    body = "".join(f'<Part><PartNumber>{n}</PartNumber><ETag>"{e}"</ETag></Part>' for n, e in parts)
    data = f"<CompleteMultipartUpload>{body}</CompleteMultipartUpload>".encode()
    return bucket._do("POST", bucket.bucket_name, key, params={"uploadId": upload_id}, data=data)


def test_complete_multipart_upload_answers_the_documented_codes(emulator: Emulator) -> None:
    """help.aliyun.com/zh/oss/developer-reference/completemultipartupload: InvalidPartOrder, InvalidPart,
    EntityTooSmall (every part but the last at least 100 KB), MalformedXML for an empty part list."""
    bucket = emulator.oss_bucket("parts")
    up = bucket.init_multipart_upload("big.bin").upload_id
    e1 = bucket.upload_part("big.bin", up, 1, b"a" * PART).etag
    e2 = bucket.upload_part("big.bin", up, 2, b"b" * 10).etag
    cases = [
        ([(2, e2), (1, e1)], "InvalidPartOrder"),
        ([(1, e1), (1, e1)], "InvalidPartOrder"),
        ([(1, e1), (2, "0" * 32)], "InvalidPart"),
        ([(1, e1), (3, e2)], "InvalidPart"),
        ([], "MalformedXML"),
    ]
    for parts, code in cases:
        err = _error(_complete_raw, bucket, "big.bin", up, parts)
        assert (err.status, err.code) == (400, code), parts
    assert bucket.list_parts("big.bin", up).parts  # a refused completion leaves the upload as it was
    small = bucket.init_multipart_upload("small.bin").upload_id
    s1 = bucket.upload_part("small.bin", small, 1, b"a" * (PART - 1)).etag
    s2 = bucket.upload_part("small.bin", small, 2, b"b").etag
    err = _error(lambda: bucket.complete_multipart_upload("small.bin", small, [PartInfo(1, s1), PartInfo(2, s2)]))
    assert (err.status, err.code) == (400, "EntityTooSmall")
    for number in (0, 10001):
        err = _error(bucket.upload_part, "big.bin", up, number, b"x")
        assert (err.status, err.code) == (400, "InvalidArgument")
    bucket.complete_multipart_upload("big.bin", up, [PartInfo(1, e1), PartInfo(2, e2)])
    assert bucket.get_object("big.bin").read() == b"a" * PART + b"b" * 10


def test_list_buckets_pages_with_marker_and_max_keys(emulator: Emulator) -> None:
    """help.aliyun.com/zh/oss/developer-reference/listbuckets: prefix, marker, max-keys 1-1000."""
    for name in ("lb-a", "lb-b", "lb-c"):
        emulator.oss_bucket(name)
    service = oss2.Service(emulator.oss_auth(), emulator.endpoint, region=emulator.region)
    first = service.list_buckets(prefix="lb-", max_keys=2)
    assert [b.name for b in first.buckets] == ["lb-a", "lb-b"]
    assert first.is_truncated and first.next_marker == "lb-b"
    rest = service.list_buckets(prefix="lb-", marker=first.next_marker, max_keys=2)
    assert [b.name for b in rest.buckets] == ["lb-c"] and not rest.is_truncated
    assert [b.name for b in oss2.BucketIterator(service, prefix="lb-", max_keys=1)] == ["lb-a", "lb-b", "lb-c"]
    for bad in (0, 1001, "many"):
        err = _error(service.list_buckets, max_keys=bad)
        assert (err.status, err.code) == (400, "InvalidArgument")


def test_listing_parameters_out_of_bounds_are_invalid_argument(emulator: Emulator) -> None:
    """ListObjects(V2), ListMultipartUploads, ListParts: max-keys/max-uploads/max-parts 1-1000, encoding-type
    url only, prefix and delimiter at most 1024 bytes."""
    bucket = emulator.oss_bucket("listing")
    up = bucket.init_multipart_upload("a.bin").upload_id
    calls = [
        lambda: bucket.list_objects(max_keys=1001),
        lambda: bucket.list_objects_v2(max_keys=0),
        lambda: bucket.list_objects(prefix="p" * 1025),
        lambda: bucket.list_objects_v2(delimiter="d" * 1025),
        lambda: bucket._do("GET", "listing", "", params={"encoding-type": "base64"}),
        lambda: bucket._do("GET", "listing", "", params={"uploads": "", "encoding-type": "base64"}),
        lambda: bucket._do("GET", "listing", "a.bin", params={"uploadId": up, "encoding-type": "base64"}),
        lambda: bucket.list_multipart_uploads(max_uploads=1001),
        lambda: bucket.list_parts("a.bin", up, max_parts="x"),
    ]
    for call in calls:
        err = _error(call)
        assert (err.status, err.code) == (400, "InvalidArgument")


def test_list_objects_takes_a_one_character_delimiter_and_a_short_marker(emulator: Emulator) -> None:
    """help.aliyun.com/en/oss/user-guide/0015-00000406 (delimiter=abc is refused: one character) and
    0015-00000405 (a marker of 1,024 bytes or more); one character and a long-enough-but-legal marker pass."""
    bucket = emulator.oss_bucket("delims")
    bucket.put_object("a/b.txt", b"x")
    for kwargs, ec in (({"delimiter": "abc"}, "0015-00000406"), ({"marker": "m" * 1024}, "0015-00000405")):
        err = _error(bucket.list_objects, **kwargs)
        assert (err.status, err.code, err.ec) == (400, "InvalidArgument", ec)
    assert [p for p in bucket.list_objects(delimiter="/").prefix_list] == ["a/"]
    assert bucket.list_objects(marker="m" * 1023).object_list == []


def test_conditional_get_and_head(emulator: Emulator) -> None:
    """help.aliyun.com/zh/oss/user-guide/conditional-download: 412 for If-Match / If-Unmodified-Since, 304
    for If-None-Match / If-Modified-Since, a malformed date ignored."""
    bucket = emulator.oss_bucket("cond")
    etag = bucket.put_object("a.txt", b"hello").etag
    later = email.utils.formatdate(time.time() + 3600, usegmt=True)
    earlier = email.utils.formatdate(time.time() - 86400, usegmt=True)
    for headers, status in (
        ({"If-Match": '"0000"'}, 412),
        ({"If-Unmodified-Since": earlier}, 412),
        ({"If-None-Match": f'"{etag}"'}, 304),
        ({"If-Modified-Since": later}, 304),
    ):
        for call in (bucket.get_object, bucket.head_object):
            assert _error(call, "a.txt", headers=headers).status == status, headers
    malformed_date = {"If-Match": f'"{etag}"', "If-Modified-Since": "yesterday"}
    assert bucket.get_object("a.txt", headers=malformed_date).read() == b"hello"


def test_range_rules(emulator: Emulator) -> None:
    """help.aliyun.com/zh/oss/developer-reference/getobject: an invalid Range is ignored (the whole object,
    200) unless x-oss-range-behavior: standard, which answers 416 InvalidRange."""
    bucket = emulator.oss_bucket("rng")
    bucket.put_object("r.bin", b"0123456789")
    for value in ("bytes=20-30", "bytes=abc", "bytes=5-2"):
        whole = bucket.get_object("r.bin", headers={"Range": value})
        assert (whole.status, whole.read()) == (200, b"0123456789"), value
    err = _error(bucket.get_object, "r.bin", headers={"Range": "bytes=20-30", "x-oss-range-behavior": "standard"})
    assert (err.status, err.code) == (416, "InvalidRange")


def test_delete_multiple_objects_limits(emulator: Emulator) -> None:
    """help.aliyun.com/zh/oss/developer-reference/deletemultipleobjects: at most 1000 keys, Content-MD5."""
    bucket = emulator.oss_bucket("many")
    err = _error(lambda: bucket.batch_delete_objects([f"k{i}" for i in range(1001)]))
    assert (err.status, err.code) == (400, "MalformedXML")
    body = b"<Delete><Object><Key>a</Key></Object></Delete>"
    err = _error(lambda: bucket._do("POST", "many", "", params={"delete": ""}, data=body,
                                    headers={"Content-MD5": base64.b64encode(b"0" * 16).decode()}))
    assert (err.status, err.code) == (400, "InvalidDigest")


def test_copy_source_conditions(emulator: Emulator) -> None:
    """CopyObject and UploadPartCopy's x-oss-copy-source-if-*: 412 for if-match / if-unmodified-since, 304
    for if-none-match / if-modified-since (alibabacloud-oss-v2's CopyObjectRequest); nothing is copied."""
    bucket = emulator.oss_bucket("copycond")
    etag = bucket.put_object("src.txt", b"source").etag
    earlier = email.utils.formatdate(time.time() - 86400, usegmt=True)
    later = email.utils.formatdate(time.time() + 3600, usegmt=True)
    up = bucket.init_multipart_upload("parts.txt").upload_id
    for name, value, status in (
        ("if-match", '"0000"', 412),
        ("if-unmodified-since", earlier, 412),
        ("if-none-match", f'"{etag}"', 304),
        ("if-modified-since", later, 304),
    ):
        headers = {f"x-oss-copy-source-{name}": value}
        assert _error(bucket.copy_object, "copycond", "src.txt", "dst.txt", headers=headers).status == status
        assert _error(bucket.upload_part_copy, "copycond", "src.txt", (0, 5), "parts.txt", up, 1,
                      headers=headers).status == status
    assert not bucket.object_exists("dst.txt") and bucket.list_parts("parts.txt", up).parts == []
    bucket.copy_object("copycond", "src.txt", "dst.txt", headers={"x-oss-copy-source-if-match": f'"{etag}"'})
    assert bucket.get_object("dst.txt").read() == b"source"
