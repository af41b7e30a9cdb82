"""Server-side copy and batched delete on OSS, through oss2 against serve: CopyObject, the multipart
copy (UploadPartCopy) for objects past the single-copy limit, and DeleteMultipleObjects."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from mediaproc.location import Location
from mediaproc.providers import get_provider
from providers_oss.conftest import OssEnv


def _loc(env: OssEnv, key: str) -> Location:
    return Location(scheme="oss", bucket=env.bucket, key=key)


def test_copy_small_and_multipart(oss_env: OssEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mediaproc.providers.oss.objects import OssObjects

    data = os.urandom(700 * 1024)
    src = tmp_path / "blob.bin"
    src.write_bytes(data)
    oss_env.put("a/blob.bin", src)
    with get_provider("oss", oss_env.settings()) as p:
        info = p.copy(_loc(oss_env, "a/blob.bin"), _loc(oss_env, "b/one.bin"))
        assert info.size == len(data) and info.etag and info.etag.lower() == hashlib.md5(data).hexdigest()
        # past the single-copy limit: parts of 256 KB (the last one shorter)
        monkeypatch.setattr(OssObjects, "COPY_OBJECT_MAX", 100 * 1024)
        monkeypatch.setattr(OssObjects, "COPY_PART_SIZE", 256 * 1024)
        p.copy(_loc(oss_env, "a/blob.bin"), _loc(oss_env, "b/parts.bin"))
    assert oss_env.get_bytes("b/one.bin") == data
    assert oss_env.get_bytes("b/parts.bin") == data
    stats = oss_env.stats()["requests"]
    assert stats.get("CopyObject") == 1 and stats.get("UploadPartCopy") == 3
    assert list(oss_env.sdk_bucket().list_multipart_uploads().upload_list) == []


def test_delete_many_in_one_request(oss_env: OssEnv, tmp_path: Path) -> None:
    f = tmp_path / "x"
    f.write_bytes(b"x")
    keys = [f"d/{i}" for i in range(5)]
    for k in keys:
        oss_env.put(k, f)
    oss_env.put("keep", f)
    with get_provider("oss", oss_env.settings()) as p:
        assert p.delete_many(_loc(oss_env, "d/"), keys) == {}
    assert oss_env.object_keys() == ["keep"]
    assert oss_env.stats()["requests"].get("DeleteMultipleObjects") == 1


# -- the single-copy limit, as serve applies it (a sparse object: tests/support/bigobjects.py) ------------

GIB = 1024**3


def _copy_error(call: Any) -> Any:
    import oss2

    with pytest.raises(oss2.exceptions.OssError) as caught:
        call()
    return caught.value


def test_copyobject_past_1_gib_is_refused_as_oss_refuses_it(oss_env: OssEnv) -> None:
    """400 EntityTooLarge with the service's message in its XML body; exactly 1 GiB is copied (the docs:
    "up to 1 GB"); within one bucket, keeping the storage class, any size is; nothing is written when
    refused."""
    from support.bigobjects import sparse_object

    root, src = oss_env.server.root, oss_env.sdk_bucket()
    sparse_object(root, oss_env.bucket, "big/over.bin", GIB + 1)
    sparse_object(root, oss_env.bucket, "big/exact.bin", GIB)
    dest = oss_env.server.oss_bucket("copy-dest")
    err = _copy_error(lambda: dest.copy_object(oss_env.bucket, "big/over.bin", "copied.bin"))
    assert (err.status, err.code) == (400, "EntityTooLarge")
    assert err.message == "Source object Length exceeds the maximum allowed size."
    assert b"<Code>EntityTooLarge</Code>" in err.body and err.request_id
    assert not dest.object_exists("copied.bin")
    # a storage class change within the bucket is bounded too
    err = _copy_error(lambda: src.copy_object(oss_env.bucket, "big/over.bin", "big/ia.bin",
                                              headers={"x-oss-storage-class": "IA"}))
    assert (err.status, err.code) == (400, "EntityTooLarge") and not src.object_exists("big/ia.bin")
    # not refused for its size: exactly 1 GiB to another bucket, and past it within the bucket (the copy
    # stops at the existing destination, x-oss-forbid-overwrite, so no gigabyte is written here)
    dest.put_object("taken.bin", b"x")
    src.put_object("big/taken.bin", b"x")
    forbid = {"x-oss-forbid-overwrite": "true"}
    err = _copy_error(lambda: dest.copy_object(oss_env.bucket, "big/exact.bin", "taken.bin", headers=forbid))
    assert (err.status, err.code) == (409, "FileAlreadyExists")
    err = _copy_error(lambda: src.copy_object(oss_env.bucket, "big/over.bin", "big/taken.bin", headers=forbid))
    assert (err.status, err.code) == (409, "FileAlreadyExists")


def test_the_provider_copies_past_1_gib_part_by_part(oss_env: OssEnv) -> None:
    """mediaproc's copy switches to UploadPartCopy exactly where serve stops taking CopyObject."""
    from support.bigobjects import sparse_object

    sparse_object(oss_env.server.root, oss_env.bucket, "big/over.bin", GIB + 1)
    with get_provider("oss", oss_env.settings()) as p:
        info = p.copy(_loc(oss_env, "big/over.bin"), _loc(oss_env, "big/copy.bin"))
    assert info.size == GIB + 1
    assert oss_env.sdk_bucket().head_object("big/copy.bin").content_length == GIB + 1
    stats = oss_env.stats()["requests"]
    assert not stats.get("CopyObject") and stats.get("UploadPartCopy") == 9  # 8 parts of 128 MiB and 1 byte
    assert list(oss_env.sdk_bucket().list_multipart_uploads().upload_list) == []
