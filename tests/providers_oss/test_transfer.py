"""Recursive transfers, cp/mv and rm -r on OSS through oss2 against serve: the relative layout, the
filters, --dry-run, partial failure (exit 8, injected by serve), resume with --skip-existing, and no
temporary object or partial file left behind."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from providers_oss.conftest import CliResult, OssEnv

Cli = Callable[..., CliResult]


@pytest.fixture(autouse=True)
def _quick_retries(fast_backoff: list[float]) -> None:
    """Injected 5xx answers are retried (the same attempts, without the real waits)."""


def _fail_one(env: OssEnv, operation: str) -> None:
    """Serve answers ``operation`` with 503 for every attempt of one call (the retry budget), then
    serves again: with one worker, exactly one item fails."""
    from mediaproc.providers.oss.errors import RETRY_ATTEMPTS

    env.faults(error_rate=1.0, error_status=503, times=RETRY_ATTEMPTS, operations=(operation,))


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    (root / "sub" / "deep").mkdir(parents=True)
    for rel, size in (("a.jpg", 1000), ("b.txt", 10), ("sub/c.jpg", 2000), ("sub/deep/d.jpg", 3000)):
        (root / rel).write_bytes(os.urandom(size))
    return root


def _no_temporaries(env: OssEnv) -> None:
    from mediaproc.location import TEMP_PREFIX

    assert not [k for k in env.object_keys() if k.startswith(TEMP_PREFIX) or ".mediaproc-" in k]
    assert list(env.sdk_bucket().list_multipart_uploads().upload_list) == []


def _puts(env: OssEnv) -> int:
    return int(env.stats()["requests"].get("PutObject", 0))


def test_upload_recursive_layout_filters_dry_run(oss_env: OssEnv, cli: Cli, tree: Path) -> None:
    res = cli("upload", str(tree), oss_env.uri("up/"))
    assert res.code == 2 and "add -r" in res.stderr, res.stderr  # a folder without -r: a hint, no traceback

    res = cli("upload", "-r", str(tree), oss_env.uri("up/"), "--dry-run", "--json")
    assert res.code == 0, res.stderr
    assert sorted(r["target"] for r in res.json()) == [oss_env.uri(f"up/{k}") for k in
                                                       ("a.jpg", "b.txt", "sub/c.jpg", "sub/deep/d.jpg")]
    assert oss_env.object_keys() == []  # nothing written

    res = cli("upload", "-r", str(tree), oss_env.uri("up"), "--include", "*.jpg", "--exclude", "sub/deep/*",
              "--json")
    assert res.code == 0, res.stderr
    assert oss_env.object_keys() == ["up/a.jpg", "up/sub/c.jpg"]
    assert oss_env.get_bytes("up/sub/c.jpg") == (tree / "sub/c.jpg").read_bytes()


def test_upload_recursive_partial_failure_then_resume(oss_env: OssEnv, cli: Cli, tree: Path) -> None:
    _fail_one(oss_env, "PutObject")
    res = cli("upload", "-r", str(tree), oss_env.uri("up/"), "--json", "-j", "1")
    assert res.code == 8, res.stderr
    results = res.json()
    assert [r["success"] for r in results].count(False) == 1
    assert "1 of 4 items failed" in res.stderr
    assert len(oss_env.object_keys()) == 3
    oss_env.clear_faults()
    before = _puts(oss_env)
    res = cli("upload", "-r", str(tree), oss_env.uri("up/"), "--skip-existing", "--json")
    assert res.code == 0, res.stderr
    assert [r["status"] for r in res.json()].count("skipped") == 3
    assert _puts(oss_env) - before == 1  # only the one that failed was sent again
    assert len(oss_env.object_keys()) == 4
    _no_temporaries(oss_env)


def test_skip_existing_compares_content_not_just_names(oss_env: OssEnv, cli: Cli, tree: Path) -> None:
    assert cli("upload", "-r", str(tree), oss_env.uri("up/")).code == 0
    (tree / "a.jpg").write_bytes(os.urandom(1000))  # same size, other bytes: the MD5 ETag tells
    res = cli("upload", "-r", str(tree), oss_env.uri("up/"), "--skip-existing", "--json")
    assert res.code == 0, res.stderr
    sent = [r["source"] for r in res.json() if r["status"] != "skipped"]
    assert sent == [str(tree / "a.jpg")]
    assert oss_env.get_bytes("up/a.jpg") == (tree / "a.jpg").read_bytes()


def test_download_recursive_partial_failure_and_resume(oss_env: OssEnv, cli: Cli, tree: Path,
                                                       tmp_path: Path) -> None:
    assert cli("upload", "-r", str(tree), oss_env.uri("up/")).code == 0
    out = tmp_path / "out"
    _fail_one(oss_env, "GetObject")
    res = cli("download", "-r", oss_env.uri("up/"), str(out), "--json", "-j", "1")
    assert res.code == 8, res.stderr
    assert [r["success"] for r in res.json()].count(False) == 1
    assert len([p for p in out.rglob("*") if p.is_file()]) == 3  # no partial file for the failed one
    assert not [p for p in out.rglob("*") if p.name.startswith(".mediaproc-")]
    oss_env.clear_faults()
    res = cli("download", "-r", oss_env.uri("up/"), str(out), "--skip-existing", "--json")
    assert res.code == 0, res.stderr
    assert [r["status"] for r in res.json()].count("skipped") == 3
    for rel in ("a.jpg", "b.txt", "sub/c.jpg", "sub/deep/d.jpg"):
        assert (out / rel).read_bytes() == (tree / rel).read_bytes()
    assert not [p for p in out.rglob("*") if p.name.startswith(".mediaproc-")]


def test_downloading_a_prefix_without_r_says_how(oss_env: OssEnv, cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    res = cli("download", oss_env.uri("up/"), str(out) + "/", "--json")
    assert res.code == 2
    error = res.json()["error"]
    assert error["message"].endswith("names no object")
    assert "add -r to download everything under the prefix" in error["hint"]
    assert list(out.iterdir()) == []


def test_cp_and_mv(oss_env: OssEnv, cli: Cli, tree: Path) -> None:
    assert cli("upload", "-r", str(tree), oss_env.uri("src/")).code == 0
    res = cli("cp", oss_env.uri("src/a.jpg"), oss_env.uri("one/"), "--json")
    assert res.code == 0, res.stderr
    assert res.json()["target"] == oss_env.uri("one/a.jpg")
    assert oss_env.stats()["requests"].get("GetObject", 0) == 0  # server-side: no byte came here
    assert oss_env.get_bytes("one/a.jpg") == (tree / "a.jpg").read_bytes()

    res = cli("cp", "-r", oss_env.uri("src/"), oss_env.uri("copy/"), "--dry-run", "--json")
    assert res.code == 0 and len(res.json()) == 4
    assert not oss_env.object_keys("copy/")

    _fail_one(oss_env, "CopyObject")
    res = cli("mv", "-r", oss_env.uri("src/"), oss_env.uri("moved/"), "--json", "-j", "1")
    assert res.code == 8, res.stderr
    failed = [r["source"] for r in res.json() if not r["success"]]
    assert len(failed) == 1
    assert oss_env.object_keys("src/") == [failed[0].removeprefix(f"oss://{oss_env.bucket}/")]  # kept
    oss_env.clear_faults()
    res = cli("mv", "-r", oss_env.uri("src/"), oss_env.uri("moved/"), "--skip-existing", "--json")
    assert res.code == 0, res.stderr
    assert oss_env.object_keys("src/") == []
    assert oss_env.object_keys("moved/") == [f"moved/{k}" for k in ("a.jpg", "b.txt", "sub/c.jpg", "sub/deep/d.jpg")]
    assert oss_env.get_bytes("moved/sub/deep/d.jpg") == (tree / "sub/deep/d.jpg").read_bytes()
    _no_temporaries(oss_env)


def test_cross_cloud_copy_is_refused(oss_env: OssEnv, cli: Cli) -> None:
    res = cli("cp", oss_env.uri("a.jpg"), "cos://media-1250000000/a.jpg")
    assert res.code == 2, res.stderr
    assert "download" in res.stderr and "upload" in res.stderr and "Traceback" not in res.stderr


def test_rm_recursive_asks_lists_and_reports(oss_env: OssEnv, cli: Cli, tree: Path) -> None:
    assert cli("upload", "-r", str(tree), oss_env.uri("p/")).code == 0
    res = cli("rm", "-r", oss_env.uri("p/"))  # no terminal, no --yes
    assert res.code == 2 and "--yes" in res.stderr, res.stderr
    res = cli("rm", "-r", oss_env.uri("p/"), "--dry-run", "--json")
    assert res.code == 0 and len(res.json()) == 4
    assert len(oss_env.object_keys("p/")) == 4

    oss_env.faults(error_rate=1.0, error_status=500, operations=("DeleteMultipleObjects",))
    res = cli("rm", "-r", oss_env.uri("p/"), "--yes", "--json")
    assert res.code == 8, res.stderr
    assert not any(r["success"] for r in res.json())
    assert len(oss_env.object_keys("p/")) == 4
    oss_env.clear_faults()

    res = cli("rm", "-r", oss_env.uri("p/"), "--yes", "--json")
    assert res.code == 0, res.stderr
    assert len(res.json()) == 4 and oss_env.object_keys() == []
    assert oss_env.stats()["requests"].get("DeleteMultipleObjects", 0) >= 2


def test_cp_r_into_a_prefix_under_the_source_copies_the_source_once(oss_env: OssEnv, cli: Cli, tree: Path) -> None:
    """``cp -r oss://b/src/ oss://b/src/bak/`` a second time copied the first copies as well
    (``src/bak/bak/...``); ``mv -r`` the same way could chase its own results through the listing."""
    assert cli("upload", "-r", str(tree), oss_env.uri("src/")).code == 0
    for _ in range(2):
        res = cli("cp", "-r", oss_env.uri("src/"), oss_env.uri("src/bak/"), "--json")
        assert res.code == 0, res.stderr
        assert len(res.json()) == 4
    names = ("a.jpg", "b.txt", "sub/c.jpg", "sub/deep/d.jpg")
    res = cli("mv", "-r", oss_env.uri("src/"), oss_env.uri("src/moved/"), "--json")
    assert res.code == 0, res.stderr
    moved = sorted([*names, *(f"bak/{k}" for k in names)])
    assert sorted(r["source"] for r in res.json()) == [oss_env.uri(f"src/{k}") for k in moved]
    assert oss_env.object_keys("src/") == [f"src/moved/{k}" for k in moved]


def test_temporary_objects_of_other_runs_are_not_items(oss_env: OssEnv, cli: Cli, tmp_path: Path) -> None:
    """A source staged by a run in progress (``.mediaproc-tmp/<id>/...``) was an item of
    ``process oss://b/``, ``download -r`` and ``cp -r`` of the bucket; a folder's batch leaves our
    temporary files out."""
    from mediaproc.location import TEMP_PREFIX

    bucket = oss_env.sdk_bucket()
    bucket.put_object("a.txt", b"a")
    bucket.put_object(f"{TEMP_PREFIX}0123/staged.txt", b"staged")
    res = cli("download", "-r", oss_env.uri(""), str(tmp_path / "all") + "/", "--json")
    assert res.code == 0, res.stderr
    assert [x["source"] for x in res.json()] == [oss_env.uri("a.txt")]
    res = cli("cp", "-r", oss_env.uri(""), oss_env.uri("copy/"), "--json")
    assert res.code == 0 and [x["source"] for x in res.json()] == [oss_env.uri("a.txt")], res.stderr
    res = cli("process", oss_env.uri(""), "image/info", "--to", str(tmp_path / "info") + "/", "--json")
    assert [x["source"] for x in res.json()] == [oss_env.uri("a.txt"), oss_env.uri("copy/a.txt")]
