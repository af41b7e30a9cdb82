"""Object headers on the OSS front through oss2: what an upload sets (user metadata, storage class,
ACL, Cache-Control, Content-Disposition/-Encoding/-Language, Expires) is stored and returned, on a
simple PUT and on a multipart upload, and a wrong Content-MD5 or an unknown storage class is
refused as OSS refuses it (help.aliyun.com/zh/oss/developer-reference/putobject)."""

from __future__ import annotations

import base64
import hashlib

import oss2
import pytest

from support.emulator import Emulator

HEADERS = {
    "x-oss-meta-Author": "alice",
    "x-oss-meta-project": "launch",
    "x-oss-storage-class": "IA",
    "x-oss-object-acl": "public-read",
    "Cache-Control": "max-age=600",
    "Content-Disposition": 'attachment; filename="a.bin"',
    "Content-Encoding": "identity",
    "Content-Language": "zh-CN",
    "Expires": "Wed, 21 Oct 2026 07:28:00 GMT",
    "Content-Type": "application/x-test",
}


def check_returned(headers: dict[str, str] | oss2.CaseInsensitiveDict) -> None:
    assert headers["x-oss-meta-author"] == "alice" and headers["x-oss-meta-project"] == "launch"
    assert headers["x-oss-storage-class"] == "IA"
    for name in ("Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires",
                 "Content-Type"):
        assert headers[name] == HEADERS[name], name


def test_put_stores_and_returns_object_headers(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("headers")
    body = b"some bytes" * 100
    bucket.put_object("a.bin", body, headers=HEADERS)
    check_returned(bucket.head_object("a.bin").headers)
    got = bucket.get_object("a.bin")
    assert got.read() == body
    check_returned(got.headers)
    assert bucket.get_object_acl("a.bin").acl == "public-read"
    bucket.put_object_acl("a.bin", oss2.OBJECT_ACL_PRIVATE)
    assert bucket.get_object_acl("a.bin").acl == "private"
    check_returned(bucket.head_object("a.bin").headers)  # the ACL change kept the rest
    listed = next(iter(oss2.ObjectIteratorV2(bucket, prefix="a.bin")))
    assert listed.storage_class == "IA"
    bucket.put_object("plain.bin", b"x")
    assert bucket.head_object("plain.bin").headers["x-oss-storage-class"] == "Standard"
    assert bucket.get_object_acl("plain.bin").acl == "default"


def test_multipart_upload_keeps_the_headers(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("headers-mp")
    init = bucket.init_multipart_upload("big.bin", headers=HEADERS)
    part = bucket.upload_part("big.bin", init.upload_id, 1, b"z" * 1000)
    bucket.complete_multipart_upload("big.bin", init.upload_id, [oss2.models.PartInfo(1, part.etag)])
    check_returned(bucket.head_object("big.bin").headers)


def test_wrong_content_md5_and_unknown_values_are_refused(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("headers-bad")
    body = b"payload"
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(oss2.exceptions.ServerError) as err:
        bucket.put_object("a.bin", body, headers={"Content-MD5": wrong})
    assert (err.value.status, err.value.code) == (400, "InvalidDigest")
    right = base64.b64encode(hashlib.md5(body).digest()).decode()
    bucket.put_object("a.bin", body, headers={"Content-MD5": right})
    for header, value in (("x-oss-storage-class", "Glacier"), ("x-oss-object-acl", "everyone"),
                          ("x-oss-traffic-limit", "100")):
        with pytest.raises(oss2.exceptions.ServerError) as err:
            bucket.put_object("b.bin", body, headers={header: value})
        assert (err.value.status, err.value.code) == (400, "InvalidArgument"), header
    assert not bucket.object_exists("b.bin")
