"""Recursive transfers, cp/mv and rm -r on COS through qcloud_cos against serve: layout, partial
failure (exit 8, injected by serve), resume with --skip-existing, no leftovers."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cos.conftest import BUCKET
from support.cli import CliResult

Cli = Callable[..., CliResult]
NAMES = ("a.jpg", "b.txt", "sub/c.jpg", "sub/deep/d.jpg")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    for i, rel in enumerate(NAMES):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(os.urandom(1000 + i))
    return root


@pytest.fixture
def faults(emu: Any) -> Iterator[Callable[..., None]]:
    yield emu.set_faults
    emu.clear_faults()


def _keys(sdk: Any, prefix: str) -> list[str]:
    return sorted(o["Key"] for o in sdk.list_objects(Bucket=BUCKET, Prefix=prefix).get("Contents") or [])


def _uri(key: str) -> str:
    return f"cos://{BUCKET}/{key}"


def test_upload_download_recursive_with_a_failure_and_resume(
    cli: Cli, sdk: Any, prefix: str, tree: Path, tmp_path: Path, faults: Callable[..., None]
) -> None:
    faults(error_rate=1.0, error_status=403, times=1, operations=("PutObject",))
    res = cli("upload", "-r", str(tree), _uri(f"{prefix}up/"), "--json", "-j", "1")
    assert res.code == 8, res.stderr
    assert [r["success"] for r in res.json()].count(False) == 1
    faults()
    res = cli("upload", "-r", str(tree), _uri(f"{prefix}up/"), "--skip-existing", "--json")
    assert res.code == 0, res.stderr
    assert [r["status"] for r in res.json()].count("skipped") == 3
    assert _keys(sdk, f"{prefix}up/") == [f"{prefix}up/{n}" for n in NAMES]

    out = tmp_path / "down"
    res = cli("download", "-r", _uri(f"{prefix}up/"), str(out), "--exclude", "*.txt", "--json")
    assert res.code == 0, res.stderr
    got = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert got == ["a.jpg", "sub/c.jpg", "sub/deep/d.jpg"]
    assert (out / "sub/deep/d.jpg").read_bytes() == (tree / "sub/deep/d.jpg").read_bytes()


def test_cp_mv_rm_recursive(cli: Cli, sdk: Any, prefix: str, tree: Path, faults: Callable[..., None]) -> None:
    assert cli("upload", "-r", str(tree), _uri(f"{prefix}src/")).code == 0
    res = cli("cp", "-r", _uri(f"{prefix}src/"), _uri(f"{prefix}copy/"), "--json")
    assert res.code == 0, res.stderr
    assert _keys(sdk, f"{prefix}copy/") == [f"{prefix}copy/{n}" for n in NAMES]

    faults(error_rate=1.0, error_status=403, times=1, operations=("PutObjectCopy",))
    res = cli("mv", "-r", _uri(f"{prefix}src/"), _uri(f"{prefix}moved/"), "--json", "-j", "1")
    assert res.code == 8, res.stderr
    assert len(_keys(sdk, f"{prefix}src/")) == 1  # the failed one stays where it was
    faults()
    res = cli("mv", "-r", _uri(f"{prefix}src/"), _uri(f"{prefix}moved/"), "--skip-existing")
    assert res.code == 0, res.stderr
    assert _keys(sdk, f"{prefix}src/") == []
    body = sdk.get_object(Bucket=BUCKET, Key=f"{prefix}moved/b.txt")["Body"].get_raw_stream().read()
    assert body == (tree / "b.txt").read_bytes()

    res = cli("rm", "-r", _uri(f"{prefix}moved/"))
    assert res.code == 2 and "--yes" in res.stderr
    res = cli("rm", "-r", _uri(prefix), "--yes", "--json")
    assert res.code == 0, res.stderr
    assert len(res.json()) == 8 and _keys(sdk, prefix) == []
    assert not sdk.list_multipart_uploads(Bucket=BUCKET, Prefix=prefix).get("Upload")
    from mediaproc.location import TEMP_PREFIX

    assert _keys(sdk, TEMP_PREFIX) == []
