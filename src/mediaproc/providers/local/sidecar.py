"""The sidecars: one JSON file per object, named by ``sha256(key)``, that holds what a plain file cannot.

Layout: ``root/.mediaproc/meta/<bucket>/<xx>/<sha256>.json`` (and ``root/.mediaproc/buckets/<bucket>.json``
for a bucket's creation time). Why it is built this way:

- Sidecars are named by a hash of the key, in a tree no bucket can reach (bucket names cannot start
  with "."), so no key can ever collide with a sidecar, whatever characters it holds.
- A sidecar records the data file's (size, mtime_ns, inode); when a user edits or replaces a file
  by hand the sidecar no longer matches and the metadata (ETag = MD5, CRC-64) is recomputed from
  the data (:func:`record_from_data`), so the store never serves metadata of other bytes.

The record format lives here alone: the store writes what :func:`object_record` builds and reads it
back through :func:`meta_from_record`; nobody else opens these files.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mediaproc.providers.local.records import DEFAULT_CONTENT_TYPE, ObjectAttrs, ObjectMeta, guess_content_type
from mediaproc.providers.local.writers import COPY_CHUNK, new_crc64


def sidecar_path(hidden_dir: Path, bucket: str, key: str) -> Path:
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return hidden_dir / "meta" / bucket / digest[:2] / f"{digest}.json"


def bucket_record_path(hidden_dir: Path, bucket: str) -> Path:
    return hidden_dir / "buckets" / f"{bucket}.json"


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from ``path``; None when it is missing or not a JSON object."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def stamp_of(st: os.stat_result) -> list[int]:
    """What a sidecar remembers of its data file, to notice a hand edit: [size, mtime_ns, inode]."""
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def object_record(
    key: str,
    *,
    stamp: list[int],
    etag: str,
    crc64: int,
    content_type: str,
    last_modified: float,
    object_type: str,
    user_meta: Mapping[str, str],
    headers: Mapping[str, str],
    attrs: ObjectAttrs | None = None,
) -> dict[str, Any]:
    """The sidecar of one object (``stamp`` is [0, 0, 0] for a folder marker)."""
    return {
        "v": 1,
        "key": key,
        "size": stamp[0],
        "etag": etag,
        "crc64": str(crc64),
        "content_type": content_type,
        "last_modified": last_modified,
        "object_type": object_type,
        "user_meta": dict(user_meta),
        "headers": dict(headers),
        "attrs": (attrs or ObjectAttrs()).record(),
        "stat": stamp,
    }


def is_current(rec: Mapping[str, Any] | None, key: str, stamp: list[int]) -> bool:
    """Whether a sidecar still describes the data file (same key, same size, mtime and inode)."""
    return rec is not None and rec.get("stat") == stamp and rec.get("key") == key


def record_from_data(key: str, path: Path, st: os.stat_result, old: Mapping[str, Any] | None) -> dict[str, Any]:
    """A sidecar recomputed from the bytes (no sidecar, or the file was changed by hand); the
    content type, user metadata and attributes (ACL, tags, storage class) of an ``old`` sidecar
    are kept; the object is a plain one again (a hand-written file is not an append or a symlink)."""
    md5 = hashlib.md5()
    crc = new_crc64()
    with open(path, "rb") as f:
        while chunk := f.read(COPY_CHUNK):
            md5.update(chunk)
            crc.update(chunk)
    old = old or {}
    return object_record(
        key,
        stamp=stamp_of(st),
        etag=md5.hexdigest().upper(),
        crc64=crc.crcValue,
        content_type=old.get("content_type") or guess_content_type(key),
        last_modified=st.st_mtime,
        object_type="Normal",
        user_meta=old.get("user_meta", {}),
        headers=old.get("headers", {}),
        attrs=ObjectAttrs.from_record(old.get("attrs")).but(symlink_target=None),
    )


def meta_from_record(bucket: str, key: str, rec: Mapping[str, Any]) -> ObjectMeta:
    return ObjectMeta(
        bucket=bucket,
        key=key,
        size=int(rec.get("size", 0)),
        etag=str(rec["etag"]),
        last_modified=float(rec["last_modified"]),
        content_type=str(rec.get("content_type") or DEFAULT_CONTENT_TYPE),
        crc64=int(rec.get("crc64", 0)),
        object_type=str(rec.get("object_type", "Normal")),
        user_meta=dict(rec.get("user_meta", {})),
        headers=dict(rec.get("headers", {})),
        attrs=ObjectAttrs.from_record(rec.get("attrs")),
    )
