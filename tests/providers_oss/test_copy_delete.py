"""Server-side copy and batched delete on OSS, through oss2 against serve: CopyObject, the multipart
copy (UploadPartCopy) for objects past the single-copy limit, and DeleteMultipleObjects."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

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
