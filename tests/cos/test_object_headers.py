"""Object headers on the COS front through qcloud_cos, as the COS seed's ``ci_put_object`` sets them:
ACL and grants, StorageClass, Metadata, Cache-Control, Content-Disposition/-Encoding/-Language,
Expires and Content-Type are stored and returned (HEAD, GET, GET ?acl); a wrong Content-MD5 is
``BadDigest``, one that is not an MD5 ``InvalidDigest`` (intl.cloud.tencent.com/document/api/436/7730);
values COS does not take are ``InvalidArgument``."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from qcloud_cos import CosServiceError

from cos.conftest import BUCKET

OPTIONS: dict[str, Any] = {
    "ACL": "public-read",
    "GrantRead": 'id="100000000002"',
    "StorageClass": "STANDARD_IA",
    "Metadata": {"x-cos-meta-author": "alice", "x-cos-meta-project": "launch"},
    "CacheControl": "max-age=600",
    "ContentDisposition": 'attachment; filename="a.bin"',
    "ContentEncoding": "identity",
    "ContentLanguage": "zh-CN",
    "Expires": "Wed, 21 Oct 2026 07:28:00 GMT",
    "ContentType": "application/x-test",
}


def check_returned(headers: Any) -> None:
    assert headers["x-cos-meta-author"] == "alice" and headers["x-cos-meta-project"] == "launch"
    assert headers["x-cos-storage-class"] == "STANDARD_IA"
    assert headers["Cache-Control"] == "max-age=600"
    assert headers["Content-Disposition"] == 'attachment; filename="a.bin"'
    assert headers["Content-Encoding"] == "identity"
    assert headers["Content-Language"] == "zh-CN"
    assert headers["Expires"] == "Wed, 21 Oct 2026 07:28:00 GMT"
    assert headers["Content-Type"] == "application/x-test"


def test_put_stores_and_returns_object_headers(sdk: Any, prefix: str) -> None:
    key = f"{prefix}a.bin"
    body = b"some bytes" * 100
    sdk.put_object(Bucket=BUCKET, Body=body, Key=key, EnableMD5=True, **OPTIONS)
    check_returned(sdk.head_object(Bucket=BUCKET, Key=key))
    got = sdk.get_object(Bucket=BUCKET, Key=key)
    assert got["Body"].get_raw_stream().read() == body
    check_returned(got)
    acl = sdk.get_object_acl(Bucket=BUCKET, Key=key)
    assert acl["CannedACL"] == "public-read"
    ids = [g["Grantee"].get("ID") for g in acl["AccessControlList"]["Grant"] if g["Permission"] == "READ"]
    assert "100000000002" in ids
    listed = sdk.list_objects(Bucket=BUCKET, Prefix=key)["Contents"]
    assert listed[0]["StorageClass"] == "STANDARD_IA"
    plain = f"{prefix}plain.bin"
    sdk.put_object(Bucket=BUCKET, Body=b"x", Key=plain)
    assert sdk.head_object(Bucket=BUCKET, Key=plain)["x-cos-storage-class"] == "STANDARD"
    assert sdk.get_object_acl(Bucket=BUCKET, Key=plain)["CannedACL"] == "default"


def test_multipart_upload_keeps_the_headers(sdk: Any, prefix: str, tmp_path: Any) -> None:
    key = f"{prefix}big.bin"
    local = tmp_path / "big.bin"
    local.write_bytes(b"z" * (2 * 1024 * 1024 + 10))
    sdk.upload_file(Bucket=BUCKET, Key=key, LocalFilePath=str(local), PartSize=1, MAXThread=2, EnableMD5=True,
                    **OPTIONS)
    check_returned(sdk.head_object(Bucket=BUCKET, Key=key))


def test_content_md5_is_checked(sdk: Any, prefix: str) -> None:
    body = b"payload"
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(CosServiceError) as err:
        sdk.put_object(Bucket=BUCKET, Body=body, Key=f"{prefix}a", ContentMD5=wrong)
    assert (err.value.get_status_code(), err.value.get_error_code()) == (400, "BadDigest")
    with pytest.raises(CosServiceError) as err:
        sdk.put_object(Bucket=BUCKET, Body=body, Key=f"{prefix}a", ContentMD5="not-an-md5")
    assert (err.value.get_status_code(), err.value.get_error_code()) == (400, "InvalidDigest")
    for name, value in (("StorageClass", "GLACIER"), ("ACL", "public-read-write"), ("TrafficLimit", "100")):
        with pytest.raises(CosServiceError) as err:
            sdk.put_object(Bucket=BUCKET, Body=body, Key=f"{prefix}b", **{name: value})
        assert (err.value.get_status_code(), err.value.get_error_code()) == (400, "InvalidArgument"), name
    assert "Contents" not in sdk.list_objects(Bucket=BUCKET, Prefix=f"{prefix}")


def test_mediaproc_upload_sets_the_cos_object_options(cli: Any, sdk: Any, prefix: str, tmp_path: Any) -> None:
    local = tmp_path / "a.txt"
    local.write_bytes(b"hello " * 100)
    key = f"{prefix}up/a.txt"
    res = cli("upload", str(local), f"cos://{BUCKET}/{key}", "--acl", "public-read", "--grant-read",
              'id="100000000003"', "--storage-class", "ia", "--meta", "author=alice", "--meta", "project=launch",
              "--cache-control", "max-age=600", "--content-disposition", 'attachment; filename="a.bin"',
              "--content-encoding", "identity", "--content-language", "zh-CN", "--expires-header",
              "Wed, 21 Oct 2026 07:28:00 GMT", "--content-type", "application/x-test", "--content-md5",
              "--traffic-limit", "1048576", "--json")
    assert res.code == 0, res.stderr
    check_returned(sdk.head_object(Bucket=BUCKET, Key=key))
    acl = sdk.get_object_acl(Bucket=BUCKET, Key=key)
    assert acl["CannedACL"] == "public-read"
    assert "100000000003" in [g["Grantee"].get("ID") for g in acl["AccessControlList"]["Grant"]]
    res = cli("upload", str(local), f"cos://{BUCKET}/{prefix}up/b.txt", "--acl", "public-read-write")
    assert res.code == 2 and "not an object ACL on COS" in res.first_stderr_line
