"""The folder-as-bucket store on its own: names, listing order, paging, multipart, sidecars."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from mediaproc.errors import NotFound, ServiceError, UsageError
from mediaproc.providers.local.store import LocalStore


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    s = LocalStore(tmp_path / "root", min_part_size=10)
    s.create_bucket("bkt")
    return s


KEYS = ["a/b/c.txt", "a/b/d.txt", "a-x", "a/e", "b", "a/z/", "c/d/e/f", "é/ü.txt"]


def _fill(store: LocalStore) -> None:
    for k in KEYS:
        store.put_bytes("bkt", k, b"" if k.endswith("/") else k.encode())


def test_objects_are_plain_files_and_metadata_is_md5(store: LocalStore) -> None:
    meta = store.put_bytes("bkt", "photos/cat.jpg", b"meow", user_meta={"owner": "me"})
    path = store.root / "bkt" / "photos" / "cat.jpg"
    assert path.read_bytes() == b"meow"
    assert meta.etag == hashlib.md5(b"meow").hexdigest().upper()
    assert meta.content_type == "image/jpeg"
    assert store.head("bkt", "photos/cat.jpg").user_meta == {"owner": "me"}
    # nothing but the object is visible inside the bucket folder
    assert sorted(p.relative_to(store.root / "bkt").as_posix() for p in (store.root / "bkt").rglob("*")) == [
        "photos",
        "photos/cat.jpg",
    ]


def test_listing_is_in_byte_order_and_groups_by_delimiter(store: LocalStore) -> None:
    _fill(store)
    assert [m.key for m in store.iter_objects("bkt")] == sorted(KEYS, key=lambda k: k.encode())
    top = store.list_objects("bkt", delimiter="/")
    assert [m.key for m in top.objects] == ["a-x", "b"]
    assert top.prefixes == ("a/", "c/", "é/")
    sub = store.list_objects("bkt", prefix="a/", delimiter="/")
    assert [m.key for m in sub.objects] == ["a/e"]
    assert sub.prefixes == ("a/b/", "a/z/")


@pytest.mark.parametrize("delimiter", ["", "/"])
def test_paging_with_markers_returns_everything_once(store: LocalStore, delimiter: str) -> None:
    _fill(store)
    full = store.list_objects("bkt", delimiter=delimiter, max_keys=1000)
    expected = [m.key for m in full.objects] + list(full.prefixes)
    seen: list[str] = []
    marker = ""
    while True:
        page = store.list_objects("bkt", delimiter=delimiter, marker=marker, max_keys=2)
        seen += [m.key for m in page.objects] + list(page.prefixes)
        if not page.is_truncated:
            break
        assert page.next_marker
        marker = page.next_marker
    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize("key", ["../x", "/abs", "a//b", "a/./b", "a/../b", "nul\x00key", "", "x" * 1024])
def test_keys_that_could_escape_or_collide_are_refused(store: LocalStore, key: str) -> None:
    with pytest.raises(UsageError) as err:
        store.put_bytes("bkt", key, b"x")
    assert err.value.code == "InvalidObjectName"
    assert not (store.root / "x").exists()


def test_file_and_folder_of_the_same_name_conflict(store: LocalStore) -> None:
    store.put_bytes("bkt", "a", b"1")
    with pytest.raises(UsageError):
        store.put_bytes("bkt", "a/b", b"2")
    store.delete("bkt", "a")
    store.put_bytes("bkt", "a/b", b"2")
    with pytest.raises(UsageError):
        store.put_bytes("bkt", "a", b"1")


def test_folder_marker_keys(store: LocalStore) -> None:
    store.put_bytes("bkt", "dir/", b"")
    assert (store.root / "bkt" / "dir").is_dir()
    assert store.head("bkt", "dir/").size == 0
    store.put_bytes("bkt", "dir/x", b"1")
    store.delete("bkt", "dir/x")
    assert store.exists("bkt", "dir/")  # the marker keeps the folder
    store.delete("bkt", "dir/")
    assert not (store.root / "bkt" / "dir").exists()


def test_delete_prunes_empty_folders_and_missing_is_fine(store: LocalStore) -> None:
    store.put_bytes("bkt", "x/y/z", b"1")
    assert store.delete("bkt", "x/y/z") is True
    assert not (store.root / "bkt" / "x").exists()
    assert store.delete("bkt", "x/y/z") is False


def test_aborted_write_leaves_nothing(store: LocalStore) -> None:
    with store.writer("bkt", "partial.bin") as w:
        w.write(b"half of it")
    assert not store.exists("bkt", "partial.bin")
    assert list(store.tmp_dir.iterdir()) == []


def test_content_md5_mismatch_is_refused_before_publishing(store: LocalStore) -> None:
    with pytest.raises(UsageError) as err, store.writer("bkt", "k") as w:
        w.write(b"data")
        w.commit(expected_md5=hashlib.md5(b"other").digest())
    assert err.value.code == "InvalidDigest"
    assert not store.exists("bkt", "k")


def test_file_changed_by_hand_gets_fresh_metadata(store: LocalStore) -> None:
    store.put_bytes("bkt", "f.txt", b"one")
    path = store.root / "bkt" / "f.txt"
    path.write_bytes(b"something else")
    os.utime(path, ns=(1, 2_000_000_000))
    meta = store.head("bkt", "f.txt")
    assert meta.size == len(b"something else")
    assert meta.etag == hashlib.md5(b"something else").hexdigest().upper()
    # a file dropped in without a sidecar is an object too
    (store.root / "bkt" / "dropped.bin").write_bytes(b"\x00\x01")
    assert store.head("bkt", "dropped.bin").etag == hashlib.md5(b"\x00\x01").hexdigest().upper()


def test_multipart_etag_order_and_size_rules(store: LocalStore) -> None:
    up = store.initiate_multipart("bkt", "big.bin")
    chunks = [b"a" * 10, b"b" * 12, b"c" * 3]
    parts = []
    for n, data in enumerate(chunks, 1):
        with store.part_writer(up.upload_id, n, bucket="bkt", key="big.bin") as w:
            w.write(data)
            parts.append((n, w.commit().etag))
    assert [p.part_number for p in store.list_parts(up.upload_id, bucket="bkt", key="big.bin")] == [1, 2, 3]
    with pytest.raises(UsageError) as err:
        store.complete_multipart(up.upload_id, list(reversed(parts)), bucket="bkt", key="big.bin")
    assert err.value.code == "InvalidPartOrder"
    with pytest.raises(UsageError) as err:
        store.complete_multipart(up.upload_id, [(1, "0" * 32)], bucket="bkt", key="big.bin")
    assert err.value.code == "InvalidPart"
    meta = store.complete_multipart(up.upload_id, parts, bucket="bkt", key="big.bin")
    md5s = b"".join(hashlib.md5(c).digest() for c in chunks)
    assert meta.etag == f"{hashlib.md5(md5s).hexdigest().upper()}-3"
    assert meta.object_type == "Multipart"
    assert (store.root / "bkt" / "big.bin").read_bytes() == b"".join(chunks)
    with pytest.raises(NotFound) as nf:
        store.list_parts(up.upload_id, bucket="bkt", key="big.bin")
    assert nf.value.code == "NoSuchUpload"


def test_small_middle_part_is_entity_too_small(store: LocalStore) -> None:
    up = store.initiate_multipart("bkt", "k")
    parts = []
    for n, data in enumerate([b"x" * 3, b"y" * 20], 1):
        with store.part_writer(up.upload_id, n, bucket="bkt", key="k") as w:
            w.write(data)
            parts.append((n, w.commit().etag))
    with pytest.raises(UsageError) as err:
        store.complete_multipart(up.upload_id, parts, bucket="bkt", key="k")
    assert err.value.code == "EntityTooSmall"
    store.abort_multipart(up.upload_id, bucket="bkt", key="k")
    assert store.list_uploads("bkt").uploads == ()


def test_buckets(store: LocalStore) -> None:
    assert store.create_bucket("bkt") is False
    with pytest.raises(UsageError) as err:
        store.create_bucket("Bad_Name")
    assert err.value.code == "InvalidBucketName"
    store.put_bytes("bkt", "k", b"1")
    with pytest.raises(ServiceError) as busy:
        store.delete_bucket("bkt")
    assert busy.value.code == "BucketNotEmpty"
    store.delete("bkt", "k")
    store.delete_bucket("bkt")
    with pytest.raises(NotFound) as gone:
        store.head("bkt", "k")
    assert gone.value.code == "NoSuchBucket"


def test_ranges_stream_from_disk(store: LocalStore) -> None:
    data = bytes(range(256)) * 10
    store.put_bytes("bkt", "r.bin", data)
    assert b"".join(store.iter_range("bkt", "r.bin", 10, 19, chunk=3)) == data[10:20]
    assert b"".join(store.iter_range("bkt", "r.bin", 2500)) == data[2500:]
    assert b"".join(store.iter_range("bkt", "r.bin", 2550, 9999)) == data[2550:]
