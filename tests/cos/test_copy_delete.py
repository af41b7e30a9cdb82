"""Server-side copy and batched delete on COS, through qcloud_cos against serve: PUT Object - Copy,
the multipart copy (Upload Part - Copy) past the single-copy limit, and DELETE Multiple Objects."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from cos.conftest import BUCKET, REGION, put
from mediaproc.config import Settings
from mediaproc.location import Location
from mediaproc.providers import get_provider


def _settings(emu: Any) -> Settings:
    return Settings(provider="cos", region="ap-guangzhou", endpoint=emu.url)


def _loc(key: str) -> Location:
    return Location(scheme="cos", bucket=BUCKET, key=key)


def test_copy_small_and_multipart(cos_env: dict[str, str], emu: Any, sdk: Any, prefix: str, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from mediaproc.providers.cos.objects import CosObjects

    data = os.urandom(2_500_000)
    src = tmp_path / "blob.bin"
    src.write_bytes(data)
    put(sdk, f"{prefix}blob.bin", src)
    with get_provider("cos", _settings(emu)) as p:
        info = p.copy(_loc(f"{prefix}blob.bin"), _loc(f"{prefix}one.bin"))
        assert info.size == len(data) and info.etag == hashlib.md5(data).hexdigest()
        monkeypatch.setattr(CosObjects, "COPY_OBJECT_MAX", 1024 * 1024)
        monkeypatch.setattr(CosObjects, "COPY_PART_SIZE", 1024 * 1024)
        p.copy(_loc(f"{prefix}blob.bin"), _loc(f"{prefix}parts.bin"))
    for key in ("one.bin", "parts.bin"):
        body = sdk.get_object(Bucket=BUCKET, Key=f"{prefix}{key}")["Body"].get_raw_stream().read()
        assert body == data
    uploads = sdk.list_multipart_uploads(Bucket=BUCKET, Prefix=prefix)
    assert not uploads.get("Upload")


def test_delete_many(cos_env: dict[str, str], emu: Any, sdk: Any, prefix: str, tmp_path: Path) -> None:
    f = tmp_path / "x"
    f.write_bytes(b"x")
    keys = [f"{prefix}d/{i}" for i in range(4)]
    for k in keys:
        put(sdk, k, f)
    put(sdk, f"{prefix}keep", f)
    with get_provider("cos", _settings(emu)) as p:
        assert p.delete_many(_loc(f"{prefix}d/"), keys) == {}
    listed = sdk.list_objects(Bucket=BUCKET, Prefix=prefix).get("Contents") or []
    assert [o["Key"] for o in listed] == [f"{prefix}keep"]


# -- the single-copy limit, as serve applies it (a sparse object: tests/support/bigobjects.py) ------------

GIB = 1024**3


def _copy_error(sdk: Any, key: str, dest: str, **kwargs: Any) -> Any:
    from qcloud_cos import CosServiceError

    source = {"Bucket": BUCKET, "Key": key, "Region": REGION}
    with pytest.raises(CosServiceError) as caught:
        sdk.copy_object(Bucket=BUCKET, Key=dest, CopySource=source, **kwargs)
    return caught.value


def test_put_object_copy_past_5_gib_is_refused_as_cos_refuses_it(emu: Any, sdk: Any, prefix: str) -> None:
    """400 EntityTooLarge in COS's XML error (the four fields qcloud_cos reads) for a copy that changes the
    storage class; exactly 5 GiB is taken; within the region and class, any size is (what qcloud_cos's own
    ``copy`` relies on); nothing is written when refused."""
    from support.bigobjects import sparse_object

    sparse_object(emu.root, BUCKET, f"{prefix}over.bin", 5 * GIB + 1)
    sparse_object(emu.root, BUCKET, f"{prefix}exact.bin", 5 * GIB)
    err = _copy_error(sdk, f"{prefix}over.bin", f"{prefix}ia.bin", StorageClass="STANDARD_IA")
    assert (err.get_status_code(), err.get_error_code()) == (400, "EntityTooLarge")
    assert "5368709120" in err.get_error_msg() and err.get_request_id()
    assert not sdk.object_exists(Bucket=BUCKET, Key=f"{prefix}ia.bin")
    # not refused for its size (the copy stops at a key the folder cannot hold, before any byte is written):
    # exactly 5 GiB with the class changed, and past it when the class stays
    sdk.put_object(Bucket=BUCKET, Key=f"{prefix}taken", Body=b"x")
    for key, kwargs in ((f"{prefix}exact.bin", {"StorageClass": "STANDARD_IA"}), (f"{prefix}over.bin", {})):
        err = _copy_error(sdk, key, f"{prefix}taken/copy.bin", **kwargs)
        assert (err.get_status_code(), err.get_error_code()) == (400, "InvalidObjectName"), key
