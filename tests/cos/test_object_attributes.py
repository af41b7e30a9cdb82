"""COS object calls a client written elsewhere (coscmd, qcloud_cos) makes, through the real SDK
(issue 21): object ACL and tagging, PUT Object Copy and Upload Part Copy with their documented XML,
one ETag for GET and HEAD, ranged reads, user metadata, and no silent success for a GET serve
cannot answer."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from qcloud_cos.cos_exception import CosServiceError

from cos.conftest import BUCKET, REGION

HOST = f"{BUCKET}.cos.{REGION}.myqcloud.com"


def test_get_and_head_give_the_same_etag(sdk: Any, prefix: str) -> None:
    body = b"same bytes" * 100
    sdk.put_object(Bucket=BUCKET, Key=f"{prefix}a.txt", Body=body, Metadata={"x-cos-meta-md5": "abc"})
    head = sdk.head_object(Bucket=BUCKET, Key=f"{prefix}a.txt")
    got = sdk.get_object(Bucket=BUCKET, Key=f"{prefix}a.txt")
    assert got["Body"].get_raw_stream().read() == body
    assert got["ETag"] == head["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert head["x-cos-meta-md5"] == "abc" and got["x-cos-meta-md5"] == "abc"
    part = sdk.get_object(Bucket=BUCKET, Key=f"{prefix}a.txt", Range="bytes=10-19")
    assert part["Body"].get_raw_stream().read() == body[10:20]
    assert part["Content-Range"] == f"bytes 10-19/{len(body)}"


def test_put_object_copy_answers_copy_object_result(sdk: Any, prefix: str) -> None:
    sdk.put_object(Bucket=BUCKET, Key=f"{prefix}src 1+.txt", Body=b"copy me")
    result = sdk.copy_object(
        Bucket=BUCKET,
        Key=f"{prefix}dst.txt",
        CopySource={"Bucket": BUCKET, "Key": f"{prefix}src 1+.txt", "Region": REGION},
    )
    assert result["ETag"] == f'"{hashlib.md5(b"copy me").hexdigest()}"' and result["LastModified"]
    assert result["CRC64"].isdigit()
    got = sdk.get_object(Bucket=BUCKET, Key=f"{prefix}dst.txt")["Body"].get_raw_stream().read()
    assert got == b"copy me"


def test_upload_part_copy(sdk: Any, prefix: str) -> None:
    content = bytes(range(256)) * 8192  # 2 MiB: two parts of 1 MiB, COS's minimum for all but the last
    sdk.put_object(Bucket=BUCKET, Key=f"{prefix}big.bin", Body=content)
    upload_id = sdk.create_multipart_upload(Bucket=BUCKET, Key=f"{prefix}joined.bin")["UploadId"]
    source = {"Bucket": BUCKET, "Key": f"{prefix}big.bin", "Region": REGION}
    half = len(content) // 2
    p1 = sdk.upload_part_copy(
        Bucket=BUCKET, Key=f"{prefix}joined.bin", PartNumber=1, UploadId=upload_id,
        CopySource=source, CopySourceRange=f"bytes=0-{half - 1}",
    )  # fmt: skip
    p2 = sdk.upload_part_copy(
        Bucket=BUCKET, Key=f"{prefix}joined.bin", PartNumber=2, UploadId=upload_id,
        CopySource=source, CopySourceRange=f"bytes={half}-{len(content) - 1}",
    )  # fmt: skip
    sdk.complete_multipart_upload(
        Bucket=BUCKET, Key=f"{prefix}joined.bin", UploadId=upload_id,
        MultipartUpload={"Part": [{"PartNumber": 1, "ETag": p1["ETag"]}, {"PartNumber": 2, "ETag": p2["ETag"]}]},
    )  # fmt: skip
    got = sdk.get_object(Bucket=BUCKET, Key=f"{prefix}joined.bin")["Body"].get_raw_stream().read()
    assert got == content


def test_object_acl_round_trip(sdk: Any, prefix: str) -> None:
    sdk.put_object(Bucket=BUCKET, Key=f"{prefix}acl.jpg", Body=b"not an image")
    acl = sdk.get_object_acl(Bucket=BUCKET, Key=f"{prefix}acl.jpg")  # an XML document, not the bytes
    assert acl["Owner"]["ID"] == "qcs::cam::uin/1250000000:uin/1250000000"
    assert [g["Permission"] for g in acl["AccessControlList"]["Grant"]] == ["FULL_CONTROL"]
    sdk.put_object_acl(Bucket=BUCKET, Key=f"{prefix}acl.jpg", GrantRead='id="qcs::cam::anyone:anyone"')
    grants = sdk.get_object_acl(Bucket=BUCKET, Key=f"{prefix}acl.jpg")["AccessControlList"]["Grant"]
    assert ("qcs::cam::anyone:anyone", "READ") in [(g["Grantee"]["ID"], g["Permission"]) for g in grants]
    sdk.put_object_acl(Bucket=BUCKET, Key=f"{prefix}acl.jpg", ACL="public-read")
    grants = sdk.get_object_acl(Bucket=BUCKET, Key=f"{prefix}acl.jpg")["AccessControlList"]["Grant"]
    assert any(g["Grantee"].get("URI", "").endswith("/AllUsers") for g in grants)
    with pytest.raises(CosServiceError) as bad:
        sdk.put_object_acl(Bucket=BUCKET, Key=f"{prefix}acl.jpg", ACL="public-everything")
    assert bad.value.get_status_code() == 400


def test_object_tagging_round_trip(sdk: Any, prefix: str) -> None:
    key = f"{prefix}tags.txt"
    sdk.put_object(Bucket=BUCKET, Key=key, Body=b"x", Metadata={"x-cos-tagging": "a=1&b=2"})
    assert sdk.head_object(Bucket=BUCKET, Key=key)["x-cos-tagging-count"] == "2"
    sdk.put_object_tagging(Bucket=BUCKET, Key=key, Tagging={"TagSet": {"Tag": [{"Key": "k@1", "Value": "v"}]}})
    tags = sdk.get_object_tagging(Bucket=BUCKET, Key=key)["TagSet"]["Tag"]
    assert tags == [{"Key": "k@1", "Value": "v"}]
    sdk.delete_object_tagging(Bucket=BUCKET, Key=key)
    assert not (sdk.get_object_tagging(Bucket=BUCKET, Key=key).get("TagSet") or {}).get("Tag")
    too_many = {"TagSet": {"Tag": [{"Key": f"k{i}", "Value": "v"} for i in range(11)]}}
    with pytest.raises(CosServiceError) as bad:
        sdk.put_object_tagging(Bucket=BUCKET, Key=key, Tagging=too_many)
    assert (bad.value.get_status_code(), bad.value.get_error_code()) == (400, "InvalidTag")


def test_a_get_with_an_unknown_rule_is_refused_not_served_unprocessed(
    sdk: Any, prefix: str, tmp_path: Path
) -> None:
    sdk.put_object(Bucket=BUCKET, Key=f"{prefix}a.jpg", Body=b"original bytes")
    out = tmp_path / "out"
    with pytest.raises(CosServiceError) as err:
        sdk.ci_get_object(Bucket=BUCKET, Key=f"{prefix}a.jpg", DestImagePath=str(out), Rule="nosuchprocessor/1")
    assert err.value.get_status_code() == 400
    assert not out.exists()


def test_an_unimplemented_bucket_api_is_refused_not_answered_with_a_listing(sdk: Any) -> None:
    with pytest.raises(CosServiceError) as err:
        sdk.get_bucket_lifecycle(Bucket=BUCKET)
    assert (err.value.get_status_code(), err.value.get_error_code()) == (501, "NotImplemented")
