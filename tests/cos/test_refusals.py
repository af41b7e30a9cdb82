"""What COS refuses, serve's COS front refuses the same way, through the real qcloud_cos client (raw
signed requests where the SDK itself would refuse to send the request, or cannot read the answer).

Each test names the page the rule comes from; docs/serve.md lists them.
"""

from __future__ import annotations

import base64
import email.utils
import time
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import requests
from qcloud_cos.cos_exception import CosServiceError

from .conftest import BUCKET, REGION

HOST = f"{BUCKET}.cos.{REGION}.myqcloud.com"
MB = 1024 * 1024


def _error(call: Any, *args: Any, **kwargs: Any) -> CosServiceError:
    with pytest.raises(CosServiceError) as err:
        call(*args, **kwargs)
    return err.value


def _signed(sdk: Any, emu: Any, method: str, key: str, **headers: str) -> requests.Response:
    """A request signed as qcloud_cos signs it, sent with requests (for answers the SDK cannot read)."""
    auth = sdk.get_auth(Method=method, Bucket=BUCKET, Key=key, SignHost=False)
    return requests.request(
        method, f"{emu.url}/{key}", headers={"Host": HOST, "Authorization": auth, **headers}, timeout=30
    )


def test_conditional_get_and_head(sdk: Any, emu: Any, prefix: str) -> None:
    """cloud.tencent.com/document/product/436/7753 (GET Object), 7745 (HEAD Object): If-Match and
    If-Unmodified-Since fail with 412, If-None-Match and If-Modified-Since with 304."""
    key = f"{prefix}c.txt"
    sdk.put_object(Bucket=BUCKET, Key=key, Body=b"hello")
    etag = sdk.head_object(Bucket=BUCKET, Key=key)["ETag"]
    earlier = email.utils.formatdate(time.time() - 86400, usegmt=True)
    later = email.utils.formatdate(time.time() + 3600, usegmt=True)
    err = _error(lambda: sdk.get_object(Bucket=BUCKET, Key=key, IfMatch='"0000"'))
    assert (err.get_status_code(), err.get_error_code()) == (412, "PreconditionFailed")
    err = _error(lambda: sdk.get_object(Bucket=BUCKET, Key=key, IfUnmodifiedSince=earlier))
    assert (err.get_status_code(), err.get_error_code()) == (412, "PreconditionFailed")
    assert _error(lambda: sdk.head_object(Bucket=BUCKET, Key=key, IfMatch='"0000"')).get_status_code() == 412
    # a 304 has no body, which qcloud_cos's get_object cannot stream: read it raw
    for headers in ({"If-None-Match": etag}, {"If-Modified-Since": later}):
        for method in ("GET", "HEAD"):
            r = _signed(sdk, emu, method, key, **headers)
            assert (r.status_code, r.content) == (304, b""), (method, headers)
            assert r.headers["x-cos-request-id"]
    got = sdk.get_object(Bucket=BUCKET, Key=key, IfMatch=etag, IfModifiedSince=earlier)
    assert got["Body"].get_raw_stream().read() == b"hello"


def test_user_metadata_over_2_kb_or_with_underscores_is_refused(sdk: Any, prefix: str) -> None:
    """cloud.tencent.com/document/product/436/7749: x-cos-meta-* (suffixes and values) at most 2 KB, a
    suffix of letters, digits and '-' (no '_'). The page names no code: InvalidArgument."""
    key = f"{prefix}m.txt"
    big = {f"x-cos-meta-m{i}": "v" * 1000 for i in range(3)}
    err = _error(lambda: sdk.put_object(Bucket=BUCKET, Key=key, Body=b"x", Metadata=big))
    assert (err.get_status_code(), err.get_error_code()) == (400, "InvalidArgument")
    assert err.get_request_id()
    err = _error(lambda: sdk.put_object(Bucket=BUCKET, Key=key, Body=b"x", Metadata={"x-cos-meta-file_type": "a"}))
    assert (err.get_status_code(), err.get_error_code()) == (400, "InvalidArgument")
    err = _error(lambda: sdk.create_multipart_upload(Bucket=BUCKET, Key=key, Metadata=big))
    assert err.get_error_code() == "InvalidArgument"
    assert not sdk.object_exists(Bucket=BUCKET, Key=key)
    sdk.put_object(Bucket=BUCKET, Key=key, Body=b"x", Metadata={"x-cos-meta-a": "v" * 2000})
    assert sdk.head_object(Bucket=BUCKET, Key=key)["x-cos-meta-a"] == "v" * 2000


def test_bucket_names_follow_cos_naming(sdk: Any) -> None:
    """cloud.tencent.com/document/product/436/13312: <name>-<APPID>, the name 1-50 of a-z, 0-9 and '-',
    not starting or ending with '-'; the error list (436/7730) has BucketNameTooLong for the length."""
    err = _error(lambda: sdk.create_bucket(Bucket="n" * 51 + "-1250000000"))
    assert (err.get_status_code(), err.get_error_code()) == (400, "BucketNameTooLong")
    err = _error(lambda: sdk.create_bucket(Bucket="noappid"))
    assert (err.get_status_code(), err.get_error_code()) == (400, "InvalidBucketName")
    sdk.create_bucket(Bucket="n" * 50 + "-1250000000")
    sdk.create_bucket(Bucket="a-1250000000")


def test_keys_cos_does_not_take(sdk: Any, emu: Any, prefix: str) -> None:
    """cloud.tencent.com/document/product/436/13324: a key is UTF-8, at most 850 bytes, without CAN, EM,
    SUB or ESC. No code is named: InvalidObjectName, as for the other keys serve cannot hold."""
    def key_of(size: int) -> str:  # segments under the 255 bytes a folder name takes (docs/serve.md)
        body = ("k" * 199 + "/") * 4
        return prefix + body + "k" * (size - len(prefix) - len(body))

    long_key = key_of(851)
    err = _error(lambda: sdk.put_object(Bucket=BUCKET, Key=long_key, Body=b"x"))
    assert (err.get_status_code(), err.get_error_code()) == (400, "InvalidObjectName")
    err = _error(lambda: sdk.put_object(Bucket=BUCKET, Key=f"{prefix}a\x1bb", Body=b"x"))
    assert err.get_error_code() == "InvalidObjectName"
    # bytes that are not UTF-8: aiohttp leaves them percent-encoded in the path the signature covers
    auth = sdk.get_auth(Method="PUT", Bucket=BUCKET, Key=f"{prefix}%FF%FE", SignHost=False)
    r = requests.put(f"{emu.url}/{prefix}%FF%FE", data=b"x", headers={"Host": HOST, "Authorization": auth}, timeout=30)
    assert r.status_code == 400 and ET.fromstring(r.content).findtext("Code") == "InvalidObjectName"
    sdk.put_object(Bucket=BUCKET, Key=key_of(850), Body=b"x")
    keys = [c["Key"] for c in sdk.list_objects(Bucket=BUCKET, Prefix=prefix).get("Contents", [])]
    assert keys == [key_of(850)]


def test_complete_multipart_upload_answers_the_documented_codes(sdk: Any, prefix: str) -> None:
    """cloud.tencent.com/document/api/436/7742: every part but the last at least 1 MB (EntityTooSmall),
    parts in ascending order (InvalidPartOrder), each uploaded with that ETag (InvalidPart), and the body
    must list the parts (no "complete what was uploaded": MalformedXML)."""
    key = f"{prefix}mp.bin"
    up = sdk.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
    e1 = sdk.upload_part(Bucket=BUCKET, Key=key, Body=b"a" * (MB - 1), PartNumber=1, UploadId=up)["ETag"]
    e2 = sdk.upload_part(Bucket=BUCKET, Key=key, Body=b"b" * 10, PartNumber=2, UploadId=up)["ETag"]
    cases = [
        ([{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}], "EntityTooSmall"),  # 1 MB - 1 byte
        ([{"PartNumber": 2, "ETag": e2}, {"PartNumber": 1, "ETag": e1}], "InvalidPartOrder"),
        ([{"PartNumber": 1, "ETag": '"' + "0" * 32 + '"'}], "InvalidPart"),
        ([{"PartNumber": 1, "ETag": e1}, {"PartNumber": 3, "ETag": e2}], "InvalidPart"),
        ([], "MalformedXML"),
    ]
    for parts, code in cases:
        err = _error(sdk.complete_multipart_upload, Bucket=BUCKET, Key=key, UploadId=up,
                     MultipartUpload={"Part": parts})
        assert (err.get_status_code(), err.get_error_code()) == (400, code), parts
    for number in (0, 10001):
        err = _error(sdk.upload_part, Bucket=BUCKET, Key=key, Body=b"x", PartNumber=number, UploadId=up)
        assert (err.get_status_code(), err.get_error_code()) == (400, "InvalidArgument")
    e1 = sdk.upload_part(Bucket=BUCKET, Key=key, Body=b"a" * MB, PartNumber=1, UploadId=up)["ETag"]
    sdk.complete_multipart_upload(Bucket=BUCKET, Key=key, UploadId=up, MultipartUpload={
        "Part": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
    assert sdk.head_object(Bucket=BUCKET, Key=key)["Content-Length"] == str(MB + 10)


def test_complete_without_a_body_is_malformed(sdk: Any, emu: Any, prefix: str) -> None:
    key = f"{prefix}empty.bin"
    up = sdk.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
    sdk.upload_part(Bucket=BUCKET, Key=key, Body=b"a", PartNumber=1, UploadId=up)
    auth = sdk.get_auth(Method="POST", Bucket=BUCKET, Key=key, Params={"uploadId": up}, SignHost=False)
    r = requests.post(f"{emu.url}/{key}", params={"uploadId": up}, headers={"Host": HOST, "Authorization": auth},
                      timeout=30)
    assert r.status_code == 400 and ET.fromstring(r.content).findtext("Code") == "MalformedXML"
    assert not sdk.object_exists(Bucket=BUCKET, Key=key)


def test_delimiter_is_one_character(sdk: Any, prefix: str) -> None:
    """intl.cloud.tencent.com/document/api/436/7730: InvalidDelimiter, the delimiter is one character."""
    err = _error(lambda: sdk.list_objects(Bucket=BUCKET, Prefix=prefix, Delimiter="//"))
    assert (err.get_status_code(), err.get_error_code()) == (400, "InvalidDelimiter")
    sdk.put_object(Bucket=BUCKET, Key=f"{prefix}d/a.txt", Body=b"x")
    listed = sdk.list_objects(Bucket=BUCKET, Prefix=prefix, Delimiter="/")
    assert [p["Prefix"] for p in listed["CommonPrefixes"]] == [f"{prefix}d/"]


def test_copy_source_conditions(sdk: Any, prefix: str) -> None:
    """cloud.tencent.com/document/product/436/10881 (PUT Object - Copy) and 8287 (Upload Part - Copy):
    a failed x-cos-copy-source-If-* is 412, whichever it is; nothing is copied."""
    sdk.put_object(Bucket=BUCKET, Key=f"{prefix}src.txt", Body=b"source")
    etag = sdk.head_object(Bucket=BUCKET, Key=f"{prefix}src.txt")["ETag"]
    source = {"Bucket": BUCKET, "Key": f"{prefix}src.txt", "Region": REGION}
    earlier = email.utils.formatdate(time.time() - 86400, usegmt=True)
    later = email.utils.formatdate(time.time() + 3600, usegmt=True)
    up = sdk.create_multipart_upload(Bucket=BUCKET, Key=f"{prefix}parts.txt")["UploadId"]
    for condition in ({"CopySourceIfMatch": '"0000"'}, {"CopySourceIfUnmodifiedSince": earlier},
                      {"CopySourceIfNoneMatch": etag}, {"CopySourceIfModifiedSince": later}):
        err = _error(sdk.copy_object, Bucket=BUCKET, Key=f"{prefix}dst.txt", CopySource=source, **condition)
        assert (err.get_status_code(), err.get_error_code()) == (412, "PreconditionFailed"), condition
        err = _error(sdk.upload_part_copy, Bucket=BUCKET, Key=f"{prefix}parts.txt", PartNumber=1, UploadId=up,
                     CopySource=source, **condition)
        assert err.get_status_code() == 412, condition
    assert not sdk.object_exists(Bucket=BUCKET, Key=f"{prefix}dst.txt")
    sdk.copy_object(Bucket=BUCKET, Key=f"{prefix}dst.txt", CopySource=source, CopySourceIfMatch=etag)
    assert sdk.get_object(Bucket=BUCKET, Key=f"{prefix}dst.txt")["Body"].get_raw_stream().read() == b"source"


def test_range_rules(sdk: Any, prefix: str) -> None:
    """cloud.tencent.com/document/product/436/7753: one range; a first byte past the object is 416; a
    Range that is not ``bytes=first-last`` is not one (the whole object)."""
    key = f"{prefix}r.bin"
    sdk.put_object(Bucket=BUCKET, Key=key, Body=b"0123456789")
    err = _error(sdk.get_object, Bucket=BUCKET, Key=key, Range="bytes=20-30")
    assert (err.get_status_code(), err.get_error_code()) == (416, "InvalidRange")
    part = sdk.get_object(Bucket=BUCKET, Key=key, Range="bytes=2-4")
    assert (part["Content-Range"], part["Body"].get_raw_stream().read()) == ("bytes 2-4/10", b"234")
    whole = sdk.get_object(Bucket=BUCKET, Key=key, Range="bytes=abc")
    assert whole["Body"].get_raw_stream().read() == b"0123456789"


def test_image_rule_values_outside_ci_ranges(sdk: Any, emu: Any, prefix: str, tmp_path: Any) -> None:
    """Cloud Infinite "Sharpening" (tencentcloud.com/zh/document/product/1045/33719: "取值范围为10 -
    300间的整数") and "Quality Change" (tencentcloud.com/zh/document/api/1045/33717: ``quality`` and
    ``rquality`` "取值范围0 - 100"). serve clamped sharpen/9 and sharpen/301 into range (a yes where
    CI says no), answered sharpen/abc and a watermark's spcent/abc with a 500, and refused
    quality/0, which CI takes."""
    import io

    from PIL import Image

    key = f"{prefix}q.jpg"
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 50, 50)).save(buf, "JPEG", quality=90)
    sdk.put_object(Bucket=BUCKET, Key=key, Body=buf.getvalue())
    url = base64.urlsafe_b64encode(f"http://{HOST}/{key}".encode()).decode().rstrip("=")
    out = tmp_path / "out.bin"
    for rule in (
        "imageMogr2/sharpen/9",
        "imageMogr2/sharpen/301",
        "imageMogr2/sharpen/abc",
        "imageMogr2/quality/101",
        "imageMogr2/blur/5x0",
        "imageMogr2/blur/51x5",  # radius 1-50
        "watermark/2/text/aGk/dissolve/0",  # "取值1 - 100" (text watermark, 1045/33721)
        f"watermark/1/image/{url}/scatype/1/spcent/abc",
        "watermark/1/image/!!!",  # not URL-safe base64: these four were 500 InternalError
        "watermark/2/text/_w",  # base64 of a byte that is no UTF-8 text
        "watermark/2/text/aGk/font/!!!",
        "watermark/2/text/aGk/fill/!!!",
    ):
        err = _error(sdk.ci_get_object, Bucket=BUCKET, Key=key, DestImagePath=str(out), Rule=rule)
        assert err.get_status_code() == 400, rule
        assert "<Code>InvalidArgument</Code>" in err.get_origin_msg(), rule
    for rule in ("imageMogr2/sharpen/10", "imageMogr2/sharpen/300", "imageMogr2/quality/0", "imageMogr2/rquality/0",
                 "imageMogr2/quality/00", "imageMogr2/quality/0!", "imageMogr2/blur/5x.5",
                 "imageMogr2/blur/5x60", "imageMogr2/blur/5x0.5"):  # sigma "必须大于0" (436/36371)
        sdk.ci_get_object(Bucket=BUCKET, Key=key, DestImagePath=str(out), Rule=rule)
        with Image.open(out) as img:
            assert img.size == (64, 48), rule


def test_snapshot_parameters_follow_get_snapshot(sdk: Any, emu: Any, prefix: str, clip: Any) -> None:
    """CI GetSnapshot (cloud.tencent.com/document/product/436/121040): ``time`` is required (a float
    of seconds), ``rotate`` auto|off, ``mode`` keyframe|exactframe. serve read a missing time as 0
    and other rotate/mode values as the defaults (a frame where CI answers 400), and a time that is
    not a number was a 500."""
    key = f"{prefix}v.mp4"
    sdk.put_object(Bucket=BUCKET, Key=key, Body=clip.read_bytes())
    for kwargs in ({"Time": "abc"}, {"Time": "1", "Rotate": "sideways"}, {"Time": "1", "Mode": "nearest"}):
        err = _error(sdk.get_snapshot, Bucket=BUCKET, Key=key, **kwargs)
        assert err.get_status_code() == 400, kwargs
        assert "<Code>InvalidArgument</Code>" in err.get_origin_msg(), kwargs
    params = {"ci-process": "snapshot", "format": "jpg"}  # no time
    auth = sdk.get_auth(Method="GET", Bucket=BUCKET, Key=key, Params=params, SignHost=False)
    r = requests.get(f"{emu.url}/{key}", params=params, headers={"Host": HOST, "Authorization": auth}, timeout=30)
    assert r.status_code == 400 and b"<Code>InvalidArgument</Code>" in r.content
    got = sdk.get_snapshot(Bucket=BUCKET, Key=key, Time="1", Rotate="off", Mode="keyframe")
    assert got["Body"].get_raw_stream().read()[:2] == b"\xff\xd8"


def test_describe_media_jobs_pages_and_filters(sdk: Any, prefix: str) -> None:
    """DescribeMediaJobs (cloud.tencent.com/document/product/460/84766): ``nextToken`` pages
    ("用于翻页。上次返回的值"), ``orderByTime`` Desc (default) or Asc. serve answered the first
    ``size`` jobs with an empty NextToken, so a client paging saw one page."""
    from mediaproc.ops import cos as enc
    from mediaproc.ops.parse import parse_chain

    op = parse_chain(["video/snapshots:f=jpg,inter=1000,num=2"])[0]
    made = []
    for i in range(5):
        key = f"{prefix}in{i}.mp4"  # no such object: each job fails at once, which is all a listing needs
        body = enc.media_job_request(op, input_key=key, bucket=BUCKET, region=REGION, output_key=f"{prefix}o{i}/")
        created = sdk.ci_create_media_jobs(Bucket=BUCKET, Jobs=body, Lst={}, ContentType="application/xml")
        detail = created["JobsDetail"]
        made.append((detail[0] if isinstance(detail, list) else detail)["JobId"])
        time.sleep(0.01)  # distinct creation times
    seen: list[str] = []
    token = ""
    for _ in range(5):
        page = sdk.ci_list_media_jobs(Bucket=BUCKET, Tag="Snapshot", Size=2, NextToken=token, OrderByTime="Asc")
        details = page.get("JobsDetail") or []
        details = [details] if isinstance(details, dict) else details
        seen += [d["JobId"] for d in details if d["JobId"] in made]
        token = page.get("NextToken") or ""
        if not token:
            break
    assert seen == made  # every job once, oldest first
    newest = sdk.ci_list_media_jobs(Bucket=BUCKET, Tag="Snapshot", Size=1)
    first = newest["JobsDetail"]
    first = first[0] if isinstance(first, list) else first
    assert first["JobId"] == made[-1] and newest["NextToken"]
    err = _error(sdk.ci_list_media_jobs, Bucket=BUCKET, Tag="Snapshot", OrderByTime="Sideways")
    assert err.get_status_code() == 400
    # startCreationTime/endCreationTime (exclusive) in the page's format, %Y-%m-%dT%H:%M:%S%z
    past, future = "2001-01-01T00:00:00+0800", "2100-01-01T00:00:00+0800"
    listed = sdk.ci_list_media_jobs(Bucket=BUCKET, Tag="Snapshot", Size=100, StartCreationTime=past,
                                    EndCreationTime=future)
    details = listed.get("JobsDetail") or []
    details = [details] if isinstance(details, dict) else details
    assert set(made) <= {d["JobId"] for d in details}
    assert not sdk.ci_list_media_jobs(Bucket=BUCKET, Tag="Snapshot", StartCreationTime=future).get("JobsDetail")


def test_describe_media_jobs_time_with_an_unencoded_plus(sdk: Any, emu: Any) -> None:
    """The page's example time, pasted into a URL as written (``+0800`` unencoded), arrives as
    ``00:00:00 0800``: serve reads the space as the "+" it was (it answered 400)."""
    auth = sdk.get_auth(Method="GET", Bucket=BUCKET, Key="jobs", SignHost=False)  # parameters not signed
    got = requests.get(
        f"{emu.url}/jobs?tag=Snapshot&startCreationTime=2001-01-01T00:00:00+0800",
        headers={"Host": f"{BUCKET}.ci.{REGION}.myqcloud.com", "Authorization": auth},
        timeout=30,
    )
    assert got.status_code == 200, got.text


def test_cancel_and_describe_media_jobs_take_up_to_ten_ids(sdk: Any, front: Any, prefix: str) -> None:
    """CancelMediaJob (cloud.tencent.com/document/api/436/120620): "<jobId> ... 支持传多个，以,分隔，
    最多传10个". serve looked "a,b" up as one id and answered NoSuchJob."""
    from mediaproc.ops import cos as enc
    from mediaproc.ops.parse import parse_chain

    op = parse_chain(["video/snapshots:f=jpg,inter=1000,num=2"])[0]
    delay = front.jobs.start_delay
    front.jobs.start_delay = 60.0  # a busy queue: the jobs stay Submitted, which CI can cancel
    try:
        ids = []
        for i in range(2):
            body = enc.media_job_request(op, input_key=f"{prefix}in{i}.mp4", bucket=BUCKET, region=REGION,
                                         output_key=f"{prefix}c{i}/")
            detail = sdk.ci_create_media_jobs(Bucket=BUCKET, Jobs=body, Lst={}, ContentType="application/xml")
            detail = detail["JobsDetail"]
            ids.append((detail[0] if isinstance(detail, list) else detail)["JobId"])
        err = _error(sdk.ci_cancel_jobs, Bucket=BUCKET, JobID=",".join(ids * 6))  # 12 ids
        assert err.get_status_code() == 400
        err = _error(sdk.ci_cancel_jobs, Bucket=BUCKET, JobID=f"{ids[0]},j{'0' * 32}")
        assert err.get_status_code() == 404
        assert front.jobs.get(BUCKET, ids[0]).state == "Submitted"  # one unknown id: nothing cancelled
        got = sdk.ci_get_media_jobs(Bucket=BUCKET, JobIDs=",".join(ids))["JobsDetail"]
        assert len(got) == 2  # DescribeMediaJob takes the same list (436/120621: "一次最多查询10个")
        err = _error(sdk.ci_get_media_jobs, Bucket=BUCKET, JobIDs=",".join(ids * 6))
        assert err.get_status_code() == 400
        sdk.ci_cancel_jobs(Bucket=BUCKET, JobID=",".join(ids))
        assert [front.jobs.get(BUCKET, j).state for j in ids] == ["Cancel", "Cancel"]
    finally:
        front.jobs.start_delay = delay
