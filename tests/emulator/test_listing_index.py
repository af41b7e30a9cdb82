"""The paged walk over a folder tree equals sorting every key, with and without the folder index.

The index lets a page bisect to its marker instead of reading and sorting the folder, so the
property that matters is that the shortcut never changes a page: for random trees, prefixes and
markers, ``walk_keys`` yields exactly the sorted keys after the marker under the prefix. And a
folder changed after it was indexed is read again (the mtime guard, including the racy case).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mediaproc.providers.local import listing
from mediaproc.providers.local.listing import FolderIndex, walk_keys

SEGMENTS = st.sampled_from(["a", "a-b", "ab", "b", "b.c", "z", "é", "照", "a b"])
KEYS = st.lists(st.lists(SEGMENTS, min_size=1, max_size=3).map("/".join), min_size=0, max_size=25, unique=True)
BOUNDS = st.lists(SEGMENTS, min_size=0, max_size=3).map("/".join) | st.sampled_from(["a/", "a-", "b/", ""])


def build(root: Path, keys: list[str]) -> list[str]:
    """Write the keys that can coexist as files (a key cannot be both a file and a folder)."""
    written: list[str] = []
    for key in sorted(keys, key=len):
        parts = key.split("/")
        if any("/".join(parts[:i]) in written for i in range(1, len(parts))):
            continue  # a shorter key already is a file where this one needs a folder
        if any(w.startswith(key + "/") for w in written):
            continue
        path = root.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
        written.append(key)
    return sorted(written)


def walk(root: Path, prefix: str, after: str, index: FolderIndex | None) -> list[str]:
    return list(walk_keys(root, "", prefix=prefix, after=after, is_marker=lambda _k: False, index=index))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keys=KEYS, prefix=BOUNDS, after=BOUNDS)
def test_walk_equals_sorted_keys(
    tmp_path_factory: pytest.TempPathFactory, keys: list[str], prefix: str, after: str
) -> None:
    root = tmp_path_factory.mktemp("tree")
    written = build(root, keys)
    expected = [k for k in written if k.startswith(prefix) and k > after]
    assert walk(root, prefix, after, None) == expected
    index = FolderIndex()
    assert walk(root, prefix, after, index) == expected
    assert walk(root, prefix, after, index) == expected  # a second page from the cache


def test_a_changed_folder_is_read_again(tmp_path: Path) -> None:
    for name in ("a", "c"):
        (tmp_path / name).write_bytes(b"x")
    old = time.time() - 10
    os.utime(tmp_path, (old, old))  # indexed long after its last change: the entry is kept
    index = FolderIndex()
    assert walk(tmp_path, "", "", index) == ["a", "c"]
    (tmp_path / "b").write_bytes(b"x")  # moves the folder's mtime
    assert walk(tmp_path, "", "", index) == ["a", "b", "c"]


def test_a_folder_changed_within_the_racy_window_is_not_cached(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"x")
    index = FolderIndex()
    assert walk(tmp_path, "", "", index) == ["a"]
    # written just now: a further change in the same timestamp tick would leave the mtime as it is,
    # so the entry must not have been kept
    st = os.stat(tmp_path)
    (tmp_path / "b").write_bytes(b"x")
    os.utime(tmp_path, ns=(st.st_atime_ns, st.st_mtime_ns))  # simulate the unchanged tick
    assert walk(tmp_path, "", "", index) == ["a", "b"]
    assert listing.RACY_SECONDS >= 1.0
