"""Acceptance: the COS seed's ``ci_put_object`` and ``ci_image_process`` examples (the COS Python SDK
page in ``seeds/``), run unchanged with qcloud_cos against ``mediaproc serve``, and the same requests
through ``mediaproc cos process``: the answer carries the seed's ``OriginalInfo`` (Key, Location,
ETag, ImageInfo{Format, Width, Height, Quality, Ave, Orientation, FrameCount}) and every rule's
``ProcessResults`` (Key, Location, Format, Width, Height, Size, Quality, ETag, FrameCount); the seed's
own rule ``imageView2/format/png`` is processed as Tencent documents it (the PNG is decoded); the
object options of ``ci_put_object`` are set on the original."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image

from cos.conftest import BUCKET, DATA, REGION, CliResult, put

PIC_OPERATIONS = '{"is_pic_info":1,"rules":[{"fileid":"format.png","rule":"imageView2/format/png"}]}'
IMAGE_INFO = ("Format", "Width", "Height", "Quality", "Ave", "Orientation", "FrameCount")
ORIGINAL_INFO = ("Key", "Location", "ETag", "ImageInfo")
OBJECT = ("Key", "Location", "Format", "Width", "Height", "Size", "Quality", "ETag", "FrameCount")


def source_image(tmp_path: Path) -> Path:
    """A 300x168 JPEG, the size of the seed's example answer."""
    out = tmp_path / "local.jpg"
    with Image.open(DATA / "rocket.jpg") as im:
        im.convert("RGB").resize((300, 168)).save(out, quality=74)
    return out


def check_upload_result(data: dict[str, Any], key: str, out_key: str) -> None:
    """The seed's answer, field by field (values strings, as the seed shows them)."""
    original = data["OriginalInfo"]
    assert set(ORIGINAL_INFO) <= set(original)
    assert original["Key"] == key
    assert original["Location"] == f"{BUCKET}.cos.{REGION}.myqcloud.com/{key}"
    assert original["ETag"].startswith('"')
    info = original["ImageInfo"]
    assert set(IMAGE_INFO) <= set(info)
    assert (info["Format"], info["Width"], info["Height"], info["FrameCount"]) == ("JPEG", "300", "168", "1")
    assert info["Ave"].startswith("0x") and info["Orientation"] == "0" and int(info["Quality"]) > 0
    obj = data["ProcessResults"]["Object"]
    assert set(OBJECT) <= set(obj)
    assert obj["Key"] == out_key and obj["Location"] == f"{BUCKET}.cos.{REGION}.myqcloud.com/{out_key}"
    assert (obj["Format"], obj["Width"], obj["Height"], obj["FrameCount"]) == ("png", "300", "168", "1")


def fetch_png(sdk: Any, key: str, tmp_path: Path) -> tuple[str | None, tuple[int, int]]:
    path = tmp_path / "got.png"
    path.write_bytes(sdk.get_object(Bucket=BUCKET, Key=key)["Body"].get_raw_stream().read())
    with Image.open(path) as im:
        return im.format, im.size


def test_seed_ci_put_object_runs_unchanged(sdk: Any, prefix: str, tmp_path: Path) -> None:
    client = sdk
    ci_file_name = f"{prefix}local.jpg"
    local = source_image(tmp_path)
    # the seed's example, verbatim but for the bucket and the file's folder
    with open(local, "rb") as fp:
        response, data = client.ci_put_object(
            Bucket=BUCKET, Body=fp, Key=ci_file_name,
            # pic operation json struct
            PicOperations='{"is_pic_info":1,"rules":[{"fileid":"format.png","rule":"imageView2/format/png"}]}',
        )
    assert response["x-cos-request-id"]
    check_upload_result(data, ci_file_name, f"{prefix}format.png")
    assert fetch_png(sdk, f"{prefix}format.png", tmp_path) == ("PNG", (300, 168))


def test_seed_ci_put_object_with_every_object_option(sdk: Any, prefix: str, tmp_path: Path) -> None:
    """The seed's second form: every keyword it lists, with real values."""
    key = f"{prefix}exampleobject"
    body = source_image(tmp_path).read_bytes()
    response, data = sdk.ci_put_object(
        Bucket=BUCKET, Body=body, Key=key, EnableMD5=True, ACL="private",
        GrantFullControl='id="100000000011"', GrantRead='id="100000000012"', StorageClass="STANDARD_IA",
        Expires="Wed, 21 Oct 2026 07:28:00 GMT", CacheControl="no-cache", ContentType="image/jpeg",
        ContentDisposition="inline", ContentEncoding="identity", ContentLanguage="en",
        Metadata={"x-cos-meta-key1": "value1", "x-cos-meta-key2": "value2"}, TrafficLimit="1048576",
        PicOperations=PIC_OPERATIONS,
    )
    assert response["x-cos-request-id"]
    check_upload_result(data, key, f"{prefix}format.png")
    head = sdk.head_object(Bucket=BUCKET, Key=key)
    assert (head["x-cos-meta-key1"], head["x-cos-meta-key2"]) == ("value1", "value2")
    assert head["x-cos-storage-class"] == "STANDARD_IA" and head["Cache-Control"] == "no-cache"
    assert (head["Content-Disposition"], head["Content-Language"]) == ("inline", "en")
    assert sdk.get_object_acl(Bucket=BUCKET, Key=key)["CannedACL"] == "private"


def test_seed_ci_image_process_runs_unchanged(sdk: Any, prefix: str, tmp_path: Path) -> None:
    client = sdk
    ci_file_name = f"{prefix}local.jpg"
    put(sdk, ci_file_name, source_image(tmp_path))
    response, data = client.ci_image_process(
        Bucket=BUCKET, Key=ci_file_name,
        # pic operation json struct
        PicOperations='{"is_pic_info":1,"rules":[{"fileid":"format.png","rule":"imageView2/format/png"}]}',
    )
    assert response["x-cos-request-id"]
    check_upload_result(data, ci_file_name, f"{prefix}format.png")
    assert fetch_png(sdk, f"{prefix}format.png", tmp_path) == ("PNG", (300, 168))


def test_mediaproc_cos_process_on_upload_returns_the_seed_fields(
    cli: Callable[..., CliResult], sdk: Any, prefix: str, tmp_path: Path
) -> None:
    local = source_image(tmp_path)
    original = f"cos://{BUCKET}/{prefix}local.jpg"
    res = cli("cos", "process", str(local), "--rule", "imageView2/format/png", "--to", "format.png",
              "--on-upload", "--upload-to", original, "--acl", "public-read", "--storage-class", "ia",
              "--meta", "author=alice", "--cache-control", "max-age=60", "--content-md5",
              "--traffic-limit", "1048576", "--json")
    assert res.code == 0, res.stderr
    doc = res.json()
    check_upload_result(doc["data"], f"{prefix}local.jpg", f"{prefix}format.png")
    assert doc["pic_operations"]["is_pic_info"] == 1
    assert fetch_png(sdk, f"{prefix}format.png", tmp_path) == ("PNG", (300, 168))
    head = sdk.head_object(Bucket=BUCKET, Key=f"{prefix}local.jpg")
    assert head["x-cos-meta-author"] == "alice" and head["x-cos-storage-class"] == "STANDARD_IA"
    assert head["Cache-Control"] == "max-age=60"
    assert sdk.get_object_acl(Bucket=BUCKET, Key=f"{prefix}local.jpg")["CannedACL"] == "public-read"


def test_mediaproc_cos_process_every_rule_and_no_pic_info(
    cli: Callable[..., CliResult], sdk: Any, prefix: str, tmp_path: Path
) -> None:
    src = put(sdk, f"{prefix}local.jpg", source_image(tmp_path))
    res = cli("cos", "process", src, "--rule", "imageView2/format/png", "--to", "format.png",
              "--rule", "imageView2/1/w/100/h/50/format/webp", "--to", "thumb.webp", "--json")
    assert res.code == 0, res.stderr
    doc = res.json()
    objects = doc["data"]["ProcessResults"]["Object"]
    assert [o["Key"] for o in objects] == [f"{prefix}format.png", f"{prefix}thumb.webp"]
    assert [(o["Format"], o["Width"], o["Height"]) for o in objects] == [("png", "300", "168"), ("webp", "100", "50")]
    assert all(set(OBJECT) <= set(o) for o in objects)
    assert doc["results"] == objects  # the same, always a list
    assert set(IMAGE_INFO) <= set(doc["data"]["OriginalInfo"]["ImageInfo"])
    res = cli("cos", "process", src, "--rule", "imageView2/format/png", "--to", "again.png", "--no-pic-info",
              "--json")
    assert res.code == 0, res.stderr
    doc = res.json()
    assert doc["pic_operations"]["is_pic_info"] == 0
    assert "ImageInfo" not in doc["data"]["OriginalInfo"] and doc["data"]["OriginalInfo"]["Key"] == f"{prefix}local.jpg"
    assert doc["data"]["ProcessResults"]["Object"]["Key"] == f"{prefix}again.png"


def test_object_options_need_an_upload_and_a_cloud_that_has_them(
    cli: Callable[..., CliResult], sdk: Any, prefix: str, tmp_path: Path
) -> None:
    src = put(sdk, f"{prefix}local.jpg", source_image(tmp_path))
    res = cli("cos", "process", src, "--rule", "imageView2/format/png", "--to", "x.png", "--acl", "private")
    assert res.code == 2 and "--on-upload" in res.first_stderr_line
    res = cli("cos", "process", str(source_image(tmp_path)), "--rule", "imageView2/format/png", "--to", "x.png",
              "--on-upload", "--upload-to", src, "--acl", "public-read-write")
    assert res.code == 2 and "not an object ACL on COS" in res.first_stderr_line
    dry = cli("cos", "process", str(source_image(tmp_path)), "--rule", "imageView2/format/png", "--to", "x.png",
              "--on-upload", "--upload-to", src, "--acl", "private", "--meta", "a=b", "--dry-run", "--json")
    assert dry.code == 0, dry.stderr
    assert dry.json()["data"]["object_options"] == {"ACL": "private", "Metadata": {"x-cos-meta-a": "b"}}
    assert json.loads(dry.json()["data"]["body"].removeprefix("Pic-Operations: "))["is_pic_info"] == 1


def test_original_info_counts_an_animation_frames(sdk: Any, prefix: str, tmp_path: Path) -> None:
    """``OriginalInfo/ImageInfo/FrameCount`` of an animated GIF is its frame count (it was always "1")."""
    import json

    frames = [Image.new("RGB", (40, 30), c) for c in ("red", "green", "blue", "white")]
    gif = tmp_path / "anim.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=100, loop=0)
    key = f"{prefix}anim.gif"
    rules = {"is_pic_info": 1, "rules": [{"fileid": "still.png", "rule": "imageMogr2/format/png"}]}
    _resp, data = sdk.ci_put_object(Bucket=BUCKET, Body=gif.read_bytes(), Key=key, PicOperations=json.dumps(rules))
    assert data["OriginalInfo"]["ImageInfo"]["FrameCount"] == "4"
