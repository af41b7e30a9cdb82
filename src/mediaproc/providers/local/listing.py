"""ListObjects over a folder: keys in byte order, paged by marker, grouped by delimiter.

OSS lists keys in byte order; a folder tree read depth-first does so too once a directory ``d``
sorts as ``d/``. Paging asks for the keys after a marker and under a prefix, so the walk skips
whole subtrees that cannot hold such keys instead of reading every file of a large bucket, and a
common prefix already returned is skipped as a whole. The paging rules are subtle enough (a marker
that is itself a common prefix) to be read on their own, without the store's locking and I/O.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from mediaproc.errors import NotFound
from mediaproc.providers.local.records import ListResult, ObjectMeta


@dataclass
class Skip:
    """A common prefix already returned: the walk skips every key under it (set while listing)."""

    prefix: str = ""


def walk_keys(
    dirpath: Path,
    keyprefix: str,
    *,
    prefix: str,
    after: str,
    is_marker: Callable[[str], bool],
    skip: Skip | None = None,
) -> Iterator[str]:
    """Keys under ``dirpath`` in byte order, pruning subtrees outside prefix/after/skip.

    ``is_marker(key)`` says whether the folder ``key`` (ending in ``/``) is a folder-marker object.
    A directory ``d`` sorts as ``d/`` so that a depth-first walk yields keys in the same order as
    sorting the full keys.
    """
    try:
        entries = list(os.scandir(dirpath))
    except (FileNotFoundError, NotADirectoryError):
        return
    items: list[tuple[str, os.DirEntry[str], bool]] = []
    for e in entries:
        name = e.name
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            continue  # not a valid key: skip undecodable names
        is_dir = e.is_dir()
        items.append((name + "/" if is_dir else name, e, is_dir))
    items.sort(key=lambda t: t[0])
    for sortname, _entry, is_dir in items:
        key = keyprefix + sortname
        if skip is not None and skip.prefix and key.startswith(skip.prefix):
            continue
        if is_dir:
            # prune: the subtree holds keys starting with `key`
            if not (key.startswith(prefix) or prefix.startswith(key)):
                continue
            if after and key < after and not after.startswith(key):
                continue
            if key > after and key.startswith(prefix) and is_marker(key):
                yield key  # a folder marker object "d/"
            yield from walk_keys(
                dirpath / sortname[:-1], key, prefix=prefix, after=after, is_marker=is_marker, skip=skip
            )
        else:
            if key <= after or not key.startswith(prefix):
                continue
            yield key


def list_page(
    walk: Callable[[Skip], Iterator[str]],
    head: Callable[[str], ObjectMeta],
    *,
    prefix: str,
    delimiter: str,
    marker: str,
    max_keys: int,
) -> ListResult:
    """One ListObjects page: keys after ``marker`` in byte order, grouped by ``delimiter``.

    ``walk(skip)`` yields the keys under ``prefix`` after ``marker`` (honouring ``skip``); ``head(key)``
    reads one object. When ``marker`` is itself a common prefix (it ends with the delimiter),
    everything under it is skipped, so a client paging with NextMarker never sees a prefix twice.
    """
    max_keys = max(0, max_keys)
    objects: list[ObjectMeta] = []
    prefixes: list[str] = []
    skip = Skip()
    if delimiter and marker.startswith(prefix) and marker.endswith(delimiter):
        rest = marker[len(prefix) :]
        if rest.find(delimiter) == len(rest) - len(delimiter):
            skip.prefix = marker  # the marker is a common prefix returned on the last page
    last: str | None = None
    truncated = False
    for key in walk(skip):
        if delimiter:
            idx = key.find(delimiter, len(prefix))
            if idx >= 0:
                common = key[: idx + len(delimiter)]
                if common == last or (skip.prefix and common.startswith(skip.prefix)):
                    continue
                if len(objects) + len(prefixes) >= max_keys:
                    truncated = True
                    break
                prefixes.append(common)
                last = common
                skip.prefix = common
                continue
        if len(objects) + len(prefixes) >= max_keys:
            truncated = True
            break
        try:
            objects.append(head(key))
        except NotFound:
            continue  # deleted while listing
        last = key
    return ListResult(tuple(objects), tuple(prefixes), truncated, last if truncated else None)
