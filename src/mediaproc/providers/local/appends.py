"""AppendObject over the folder store: an append is a new version of the object's file that starts
with the bytes it had, so every write stays atomic (the temporary file replaces the object only
when the append's body has arrived whole) and the MD5 and CRC-64 of the committed object cover all
of it, which is the CRC chain a client checks (help.aliyun.com/zh/oss/developer-reference/appendobject).

Copying the old bytes makes an append O(size of the object): fine for the logs and streams an
emulator sees. Two appends at the same position at the same moment both pass the check; the last
to commit wins (the service refuses the second), which no single client can observe.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from mediaproc.errors import NotFound, ServiceError
from mediaproc.i18n import _
from mediaproc.providers.local.errors import store_error
from mediaproc.providers.local.records import ObjectAttrs, ObjectMeta
from mediaproc.providers.local.writers import COPY_CHUNK, ObjectWriter

if TYPE_CHECKING:
    from mediaproc.providers.local.store import LocalStore


def appender(
    store: LocalStore,
    bucket: str,
    key: str,
    position: int,
    *,
    content_type: str | None = None,
    user_meta: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    attrs: ObjectAttrs | None = None,
) -> ObjectWriter:
    """A writer that already holds the object's bytes, so that what is written next lands at
    ``position``. The first append (``position`` 0, no object) creates an Appendable object with
    the given metadata; a later one keeps the object's metadata.

    Raises ``PositionNotEqualToLength`` when ``position`` is not the object's length and
    ``ObjectNotAppendable`` for an object not created by an append (the OSS codes)."""
    try:
        meta: ObjectMeta | None = store.head(bucket, key)
    except NotFound:
        store.require_bucket(bucket)
        meta = None
    if meta is not None and meta.object_type != "Appendable":
        raise store_error(
            ServiceError,
            "ObjectNotAppendable",
            _("the object {key!r} was not created by an append").format(key=key),
            _("append to a new key, or delete the object first"),
        )
    size = meta.size if meta is not None else 0
    if position != size:
        raise store_error(
            ServiceError,
            "PositionNotEqualToLength",
            _("the append position {position} is not the object's length {size}").format(position=position, size=size),
            _("append at the position the last append returned (x-oss-next-append-position)"),
        )
    if meta is None:
        return store.writer(
            bucket,
            key,
            content_type=content_type,
            user_meta=user_meta,
            headers=headers,
            attrs=attrs,
            object_type="Appendable",
        )
    w = store.writer(
        bucket,
        key,
        content_type=meta.content_type,
        user_meta=meta.user_meta,
        headers=meta.headers,
        attrs=meta.attrs,
        object_type="Appendable",
    )
    try:
        with store.open(bucket, key) as f:
            while chunk := f.read(COPY_CHUNK):
                w.write(chunk)
    except BaseException:
        w.abort()
        raise
    return w
