"""The OSS object protocol through the real oss2 client."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import oss2
import pytest
import requests

from support.emulator import Emulator


def test_put_get_head_delete_with_metadata(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("objects")
    body = b"hello world"
    put = bucket.put_object(
        "dir/a b+c.txt", body, headers={"x-oss-meta-Owner": "me", "Content-Disposition": "attachment"}
    )
    assert put.etag == hashlib.md5(body).hexdigest().upper()
    assert put.crc is not None  # oss2 compared it with its own CRC-64 already
    got = bucket.get_object("dir/a b+c.txt")
    assert got.read() == body
    assert got.content_type == "text/plain"
    assert got.headers["x-oss-meta-owner"] == "me"
    assert got.headers["Content-Disposition"] == "attachment"
    head = bucket.head_object("dir/a b+c.txt")
    assert head.content_length == len(body)
    assert head.etag == put.etag
    assert head.object_type == "Normal"
    assert bucket.object_exists("dir/a b+c.txt")
    bucket.delete_object("dir/a b+c.txt")
    assert not bucket.object_exists("dir/a b+c.txt")
    bucket.delete_object("dir/a b+c.txt")  # deleting a missing object is not an error on OSS
    # the object is an ordinary file in the bucket folder
    bucket.put_object("plain.bin", b"\x00\x01")
    assert (emulator.root / "objects" / "plain.bin").read_bytes() == b"\x00\x01"


def test_ranges_follow_oss_rules(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("ranges")
    data = bytes(range(256)) * 4  # 1024 bytes
    bucket.put_object("r.bin", data)
    part = bucket.get_object("r.bin", byte_range=(10, 19))
    assert part.status == 206
    assert part.content_range == "bytes 10-19/1024"
    assert part.read() == data[10:20]
    tail = bucket.get_object("r.bin", headers={"Range": "bytes=-24"})
    assert tail.status == 206 and tail.read() == data[-24:]
    # an invalid range is ignored by default: the whole object with 200
    whole = bucket.get_object("r.bin", headers={"Range": "bytes=1000-2000"})
    assert whole.status == 200 and whole.read() == data
    # with x-oss-range-behavior: standard, an end past the object is clamped and a start past it is 416
    clamped = bucket.get_object("r.bin", headers={"Range": "bytes=1000-2000", "x-oss-range-behavior": "standard"})
    assert clamped.status == 206 and clamped.read() == data[1000:]
    with pytest.raises(oss2.exceptions.ServerError) as err:
        bucket.get_object("r.bin", headers={"Range": "bytes=2000-3000", "x-oss-range-behavior": "standard"})
    assert (err.value.status, err.value.code) == (416, "InvalidRange")


def test_errors_have_oss_codes_and_request_ids(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("errors")
    with pytest.raises(oss2.exceptions.NoSuchKey) as missing:
        bucket.get_object("nope")
    assert missing.value.request_id and len(missing.value.request_id) == 24
    # HEAD has no body: the code travels in x-oss-err, so oss2 still tells NoSuchKey from NoSuchBucket
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.head_object("nope")
    ghost = emulator.oss_bucket("no-such-bucket", create=False)
    with pytest.raises(oss2.exceptions.NoSuchBucket):
        ghost.head_object("x")
    with pytest.raises(oss2.exceptions.NoSuchBucket):
        ghost.put_object("x", b"1")
    with pytest.raises(oss2.exceptions.InvalidDigest):
        bucket.put_object("k", b"data", headers={"Content-MD5": base64.b64encode(hashlib.md5(b"x").digest()).decode()})
    assert not bucket.object_exists("k")
    bucket.put_object("k", b"1")
    with pytest.raises(oss2.exceptions.ServerError) as exists:
        bucket.put_object("k", b"2", headers={"x-oss-forbid-overwrite": "true"})
    assert (exists.value.status, exists.value.code) == (409, "FileAlreadyExists")
    with pytest.raises(oss2.exceptions.ServerError) as bad:
        bucket.put_object("a/../b", b"1")
    assert (bad.value.status, bad.value.code) == (400, "InvalidObjectName")
    # every response carries x-oss-request-id
    resp = requests.get(f"{emulator.url}/errors/k")
    assert resp.status_code == 403 and resp.headers["x-oss-request-id"]
    assert "<Code>AccessDenied</Code>" in resp.text


def test_copy_keeps_or_replaces_metadata(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("copies")
    bucket.put_object("src.txt", b"content", headers={"x-oss-meta-tag": "one", "Content-Type": "text/x-src"})
    bucket.copy_object("copies", "src.txt", "dst/copy.txt")
    copied = bucket.get_object("dst/copy.txt")
    assert copied.read() == b"content"
    assert copied.headers["x-oss-meta-tag"] == "one" and copied.content_type == "text/x-src"
    bucket.update_object_meta("dst/copy.txt", {"x-oss-meta-tag": "two", "Content-Type": "text/plain"})
    replaced = bucket.head_object("dst/copy.txt")
    assert replaced.headers["x-oss-meta-tag"] == "two" and replaced.content_type == "text/plain"
    other = emulator.oss_bucket("copies-two")
    other.copy_object("copies", "src.txt", "across.txt")
    assert other.get_object("across.txt").read() == b"content"
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.copy_object("copies", "absent", "x")


def test_listing_v1_and_v2_with_delimiter_and_pagination(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("listing")
    keys = [f"photos/{y}/{i:02d}.jpg" for y in (2023, 2024) for i in range(3)] + ["readme.md", "z space/é.txt"]
    for k in keys:
        bucket.put_object(k, k.encode())
    assert [o.key for o in oss2.ObjectIterator(bucket, max_keys=2)] == sorted(keys)
    assert [o.key for o in oss2.ObjectIteratorV2(bucket, max_keys=3)] == sorted(keys)
    top = bucket.list_objects(delimiter="/")
    assert top.prefix_list == ["photos/", "z space/"]
    assert [o.key for o in top.object_list] == ["readme.md"]
    v2 = bucket.list_objects_v2(prefix="photos/", delimiter="/", max_keys=1)
    assert v2.is_truncated and v2.prefix_list == ["photos/2023/"]
    v2b = bucket.list_objects_v2(
        prefix="photos/", delimiter="/", max_keys=1, continuation_token=v2.next_continuation_token
    )
    assert v2b.prefix_list == ["photos/2024/"] and not v2b.is_truncated
    paged = [o.key for o in oss2.ObjectIterator(bucket, prefix="photos/", delimiter="/", max_keys=1)]
    assert paged == ["photos/2023/", "photos/2024/"]
    after = bucket.list_objects_v2(start_after="photos/2024/02.jpg")
    assert [o.key for o in after.object_list] == ["readme.md", "z space/é.txt"]
    entry = bucket.list_objects(prefix="readme").object_list[0]
    assert entry.etag == hashlib.md5(b"readme.md").hexdigest().upper() and entry.size == len("readme.md")
    result = bucket.batch_delete_objects(["readme.md", "photos/2023/00.jpg"])
    assert sorted(result.deleted_keys) == ["photos/2023/00.jpg", "readme.md"]
    assert not bucket.object_exists("readme.md")


def test_resumable_upload_and_download_of_a_multipart_file(emulator: Emulator, tmp_path: Path) -> None:
    bucket = emulator.oss_bucket("multipart")
    src = tmp_path / "src.bin"
    src.write_bytes(hashlib.sha256(b"seed").digest() * 40_000)  # 1.28 MB
    oss2.resumable_upload(
        bucket,
        "big/file.bin",
        str(src),
        store=oss2.ResumableStore(root=str(tmp_path)),
        multipart_threshold=200 * 1024,
        part_size=200 * 1024,
        num_threads=2,
    )
    head = bucket.head_object("big/file.bin")
    assert head.content_length == src.stat().st_size
    assert head.object_type == "Multipart" and head.etag.endswith("-7")
    stats = emulator.stats()["requests"]
    assert stats["UploadPart"] == 7 and stats["CompleteMultipartUpload"] == 1
    dst = tmp_path / "dst.bin"
    oss2.resumable_download(
        bucket,
        "big/file.bin",
        str(dst),
        store=oss2.ResumableDownloadStore(root=str(tmp_path)),
        multiget_threshold=200 * 1024,
        part_size=300 * 1024,
        num_threads=2,
    )
    assert dst.read_bytes() == src.read_bytes()


def test_multipart_list_parts_list_uploads_and_abort(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("mpu")
    upload_id = bucket.init_multipart_upload("k.bin").upload_id
    part1 = bucket.upload_part("k.bin", upload_id, 1, b"a" * (100 * 1024))
    bucket.upload_part("k.bin", upload_id, 2, b"b" * 10)
    listed = bucket.list_parts("k.bin", upload_id)
    assert [(p.part_number, p.size) for p in listed.parts] == [(1, 100 * 1024), (2, 10)]
    assert listed.parts[0].etag == part1.etag
    assert [u.key for u in oss2.MultipartUploadIterator(bucket)] == ["k.bin"]
    bucket.abort_multipart_upload("k.bin", upload_id)
    with pytest.raises(oss2.exceptions.NoSuchUpload):
        bucket.list_parts("k.bin", upload_id)
    assert list(oss2.MultipartUploadIterator(bucket)) == []
    # a too-small middle part is refused like OSS does
    upload_id = bucket.init_multipart_upload("small.bin").upload_id
    parts = [
        oss2.models.PartInfo(n, bucket.upload_part("small.bin", upload_id, n, data).etag)
        for n, data in ((1, b"x" * 10), (2, b"y" * 10))
    ]
    with pytest.raises(oss2.exceptions.ServerError) as err:
        bucket.complete_multipart_upload("small.bin", upload_id, parts)
    assert err.value.code == "EntityTooSmall"


def test_buckets_info_location_listing_and_delete(emulator: Emulator) -> None:
    bucket = emulator.oss_bucket("info-bucket")
    info = bucket.get_bucket_info()
    assert info.name == "info-bucket" and info.location == "oss-cn-hangzhou" and info.acl.grant == "private"
    assert bucket.get_bucket_location().location == "oss-cn-hangzhou"
    bucket.put_object("k", b"1234")
    stat = bucket.get_bucket_stat()
    assert (stat.storage_size_in_bytes, stat.object_count) == (4, 1)
    service = oss2.Service(emulator.oss_auth(), emulator.url, region=emulator.region)
    assert "info-bucket" in [b.name for b in service.list_buckets().buckets]
    with pytest.raises(oss2.exceptions.BucketNotEmpty):
        bucket.delete_bucket()
    bucket.delete_object("k")
    bucket.delete_bucket()
    with pytest.raises(oss2.exceptions.NoSuchBucket):
        bucket.get_bucket_info()
