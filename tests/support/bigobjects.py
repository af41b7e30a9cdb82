"""A multi-gigabyte object in serve's folder for the cost of a sidecar: a sparse file and its record.

serve keeps an object as a file under ``root/<bucket>/`` and its metadata in a sidecar that remembers
the file's size, mtime and inode (docs/serve.md, "The folder"); a file changed by hand is hashed again
on its next read, which for 5 GB of zeros costs half a minute. Writing the sidecar that matches the
sparse file skips that: the object then has the size a test needs (past a single-copy limit) while
the disk holds nothing. The ETag and CRC-64 are placeholders, so only size-driven behaviour may be
asserted on such an object (a refusal, or a copy's length), never its checksums.
"""

from __future__ import annotations

import os
from pathlib import Path

from mediaproc.providers.local.sidecar import object_record, sidecar_path, stamp_of
from mediaproc.providers.local.store import LocalStore
from mediaproc.providers.local.writers import write_json


def sparse_object(root: Path, bucket: str, key: str, size: int, *, storage_class: str | None = None) -> Path:
    """Make ``key`` in ``bucket`` (which must exist) a sparse object of ``size`` bytes; its data file."""
    store = LocalStore(root)
    path = store.object_path(bucket, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.truncate(size)
    st = os.stat(path)
    headers = {"storage-class": storage_class} if storage_class else {}
    record = object_record(key, stamp=stamp_of(st), etag="0" * 32, crc64=0, content_type="application/octet-stream",
                           last_modified=st.st_mtime, object_type="Normal", user_meta={}, headers=headers)
    store.tmp_dir.mkdir(parents=True, exist_ok=True)
    write_json(sidecar_path(store.hidden_dir, bucket, key), record, store.tmp_dir)
    return path
