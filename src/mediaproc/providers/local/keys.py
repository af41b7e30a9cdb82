"""Bucket names and object keys, checked before any path is built from them.

This is the store's security boundary: a key becomes a path under ``root/<bucket>/`` only after
:func:`validate_key` has refused everything that could leave the bucket folder (empty, ``.`` and
``..`` segments, a leading ``/``, NUL, over-long names). It is its own module so that the rule can
be read, and tested, without the store around it; :func:`check_placeable` adds the one rule that
depends on what the folder already holds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from mediaproc.errors import UsageError
from mediaproc.i18n import _
from mediaproc.location import key_problem
from mediaproc.providers.local.errors import invalid_key, store_error

HIDDEN = ".mediaproc"  # the store's own files: no bucket name can start with "."
MAX_SEGMENT_BYTES = 255

BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")


def validate_bucket(name: str) -> None:
    """OSS bucket naming rules: 3-63 of a-z, 0-9 and '-', not starting or ending with '-'."""
    if not BUCKET_NAME.match(name or ""):
        raise store_error(
            UsageError,
            "InvalidBucketName",
            _("invalid bucket name {bucket!r}").format(bucket=name),
            _("use 3-63 lower-case letters, digits and '-', starting and ending with a letter or digit"),
        )


def validate_key(key: str) -> None:
    """Refuse keys that cannot be stored as a path inside the bucket folder (see the module doc):
    what no cloud takes (:func:`mediaproc.location.key_problem`, the rule every writer checks up
    front), and what a folder cannot hold (empty segments, over-long names)."""
    if not key:
        raise invalid_key(key, _("the key is empty"))
    problem = key_problem(key)
    if problem is not None:
        raise invalid_key(key, problem)
    body = key[:-1] if key.endswith("/") else key
    for seg in body.split("/"):
        if seg in ("", ".", ".."):
            raise invalid_key(key, _("it has an empty, '.' or '..' segment"))
        if len(seg.encode("utf-8")) > MAX_SEGMENT_BYTES:
            raise invalid_key(key, _("a segment is longer than {n} bytes").format(n=MAX_SEGMENT_BYTES))


def key_path(bucket_dir: Path, key: str) -> Path:
    """The data file of a validated key (the folder of a ``.../`` marker): one path segment per key segment."""
    body = key[:-1] if key.endswith("/") else key
    return bucket_dir.joinpath(*body.split("/"))


def check_placeable(base: Path, path: Path, key: str, is_marker: Callable[[str], bool]) -> None:
    """Refuse a key whose ``path`` (in the bucket folder ``base``) collides with a file or folder of
    another key: a folder cannot hold both a file ``a`` and a folder ``a/`` as OSS can (keys ``a`` and
    ``a/b``), so such a key is refused instead of silently replacing data. ``is_marker(key)`` says
    whether a folder-marker object ``key`` (ending in ``/``) exists."""
    parent = path.parent
    while parent != base:
        if parent.exists() and not parent.is_dir():
            rel = parent.relative_to(base).as_posix()
            raise invalid_key(
                key,
                _("the object {other!r} exists; a folder bucket cannot also hold keys under it").format(other=rel),
            )
        parent = parent.parent
    if key.endswith("/") and path.exists() and not path.is_dir():
        raise invalid_key(
            key,
            _("the object {other!r} exists; a folder bucket cannot also hold {key!r}").format(
                other=key[:-1], key=key
            ),
        )
    if not key.endswith("/") and path.is_dir() and (any(path.iterdir()) or is_marker(key + "/")):
        raise invalid_key(
            key,
            _("keys under {key}/ exist; a folder bucket cannot also hold {key!r}").format(key=key),
        )
