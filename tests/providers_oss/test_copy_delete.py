"""Server-side copy and batched delete on OSS, through oss2 against serve: CopyObject, the multipart
copy (UploadPartCopy) for objects past the single-copy limit, and DeleteMultipleObjects."""

from __future__ import annotations

import hashlib
import os
from functools import partial
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


def test_copyobject_past_its_size_tier_is_refused_as_oss_refuses_it(oss_env: OssEnv) -> None:
    """The CopyObject page's three tiers: changing the storage class, at most 1 GB (exactly 1 GiB passes);
    to another bucket keeping it, at most 5 GB; within the bucket keeping it, any size. Past a tier: 400
    EntityTooLarge with the service's message in its XML body, nothing written."""
    from support.bigobjects import sparse_object

    root, src = oss_env.server.root, oss_env.sdk_bucket()
    sparse_object(root, oss_env.bucket, "big/over.bin", GIB + 1)
    sparse_object(root, oss_env.bucket, "big/exact.bin", GIB)
    sparse_object(root, oss_env.bucket, "big/over5.bin", 5 * GIB + 1)
    dest = oss_env.server.oss_bucket("copy-dest")
    err = _copy_error(lambda: dest.copy_object(oss_env.bucket, "big/over5.bin", "copied.bin"))
    assert (err.status, err.code) == (400, "EntityTooLarge")
    assert err.message == "Source object Length exceeds the maximum allowed size."
    assert b"<Code>EntityTooLarge</Code>" in err.body and err.request_id
    assert not dest.object_exists("copied.bin")
    # a storage class change is bounded at 1 GB, within the bucket and to another one
    for bkt, key in ((src, "big/ia.bin"), (dest, "ia.bin")):
        err = _copy_error(partial(bkt.copy_object, oss_env.bucket, "big/over.bin", key,
                                  headers={"x-oss-storage-class": "IA"}))
        assert (err.status, err.code) == (400, "EntityTooLarge") and not bkt.object_exists(key)
    # not refused for its size (the copy stops at the existing destination, x-oss-forbid-overwrite, so no
    # gigabyte is written here): exactly 1 GiB with the class changed, past 1 GiB to another bucket keeping
    # it, past 5 GiB within the bucket
    dest.put_object("taken.bin", b"x")
    src.put_object("big/taken.bin", b"x")
    forbid = {"x-oss-forbid-overwrite": "true"}
    for bkt, key, headers in ((dest, "big/exact.bin", {**forbid, "x-oss-storage-class": "IA"}),
                              (dest, "big/over.bin", forbid), (src, "big/over5.bin", forbid)):
        taken = "big/taken.bin" if bkt is src else "taken.bin"
        err = _copy_error(partial(bkt.copy_object, oss_env.bucket, key, taken, headers=headers))
        assert (err.status, err.code) == (409, "FileAlreadyExists"), key


def test_the_provider_copies_past_1_gib_part_by_part(oss_env: OssEnv) -> None:
    """mediaproc's copy switches from CopyObject to a multipart copy exactly past 1 GiB, the tier serve
    applies to a copy that changes its storage class. The destination bucket does not exist, so the
    request the provider chose is refused before any byte is copied (copying the gigabyte took ~17 s)."""
    from mediaproc.errors import MediaprocError
    from support.bigobjects import sparse_object

    sparse_object(oss_env.server.root, oss_env.bucket, "big/exact.bin", GIB)
    sparse_object(oss_env.server.root, oss_env.bucket, "big/over.bin", GIB + 1)
    nowhere = Location(scheme="oss", bucket="no-such-bucket-here", key="copy.bin")
    with get_provider("oss", oss_env.settings()) as p:
        for key in ("big/exact.bin", "big/over.bin"):
            with pytest.raises(MediaprocError):
                p.copy(_loc(oss_env, key), nowhere)
    stats = oss_env.stats()["requests"]
    assert stats.get("CopyObject") == 1 and stats.get("InitiateMultipartUpload") == 1, stats
    assert not stats.get("UploadPartCopy")
