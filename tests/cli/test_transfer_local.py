"""Recursive transfers, cp/mv and rm -r with the local provider (a folder is the bucket): the layout,
--dry-run, one failed item (a file where a folder must go) with exit 8, resume with --skip-existing,
no temporary file left, and the refusals (a folder without -r, rm -r without a terminal)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

NAMES = ("a.jpg", "b.txt", "sub/c.jpg", "sub/deep/d.jpg")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    for i, rel in enumerate(NAMES):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(os.urandom(500 + i))
    return root


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_upload_recursive_failure_resume_and_dry_run(cli, tree: Path, tmp_path: Path) -> None:
    store = tmp_path / "store"
    res = cli("upload", "-r", str(tree), f"{store}/", "--dry-run", "--json")
    assert res.code == 0 and len(res.json()) == 4 and not store.exists()

    store.mkdir()
    (store / "sub").write_bytes(b"in the way")  # sub/c.jpg and sub/deep/d.jpg cannot be written
    res = cli("upload", "-r", str(tree), f"{store}/", "--json")
    assert res.code == 8, res.stderr
    assert [r["success"] for r in res.json()].count(False) == 2
    assert "cannot create the folder" in res.stderr and "Traceback" not in res.stderr
    (store / "sub").unlink()
    res = cli("upload", "-r", str(tree), f"{store}/", "--skip-existing", "--json")
    assert res.code == 0, res.stderr
    assert [r["status"] for r in res.json()].count("skipped") == 2
    assert _files(store) == list(NAMES)
    assert not [p for p in store.rglob("*") if p.name.startswith(".mediaproc-")]


def test_cp_mv_download_rm(cli, tree: Path, tmp_path: Path) -> None:
    res = cli("upload", str(tree), str(tmp_path / "x"))
    assert res.code == 2 and "add -r" in res.stderr

    copy = tmp_path / "copy"
    assert cli("cp", "-r", str(tree), f"{copy}/").code == 0
    assert _files(copy) == list(NAMES)
    moved = tmp_path / "moved"
    res = cli("mv", "-r", str(copy), f"{moved}/", "--include", "sub/*", "--json")
    assert res.code == 0, res.stderr
    assert _files(moved) == ["sub/c.jpg", "sub/deep/d.jpg"] and _files(copy) == ["a.jpg", "b.txt"]
    assert (moved / "sub/deep/d.jpg").read_bytes() == (tree / "sub/deep/d.jpg").read_bytes()

    down = tmp_path / "down"
    assert cli("download", "-r", str(moved), str(down)).code == 0
    assert _files(down) == ["sub/c.jpg", "sub/deep/d.jpg"]

    res = cli("rm", "-r", str(moved))
    assert res.code == 2 and "--yes" in res.stderr and moved.is_dir()
    assert cli("rm", "-r", str(moved), "--yes").code == 0
    assert not moved.exists()


def test_rm_recursive_asks_on_a_terminal(tree: Path) -> None:
    """stdin a terminal (a pty): the objects are listed on stderr, then the question; "n" keeps them
    (exit 2), "y" deletes them."""
    import pty
    import subprocess
    import sys

    for answer, code in ((b"n\n", 2), (b"y\n", 0)):
        leader, follower = pty.openpty()
        try:
            proc = subprocess.Popen([sys.executable, "-m", "mediaproc", "rm", "-r", str(tree)], stdin=follower,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    env={**os.environ, "CI": "1"})
            os.write(leader, answer)
            _out, err = proc.communicate(timeout=60)
        finally:
            os.close(leader)
            os.close(follower)
        assert proc.returncode == code, err
        assert str(tree / "sub/deep/d.jpg") in err and "Delete these 4 objects? [y/N]" in err
        assert tree.exists() is (code == 2)


def test_rm_recursive_counts_in_words_that_agree_with_the_count(cli, tmp_path: Path) -> None:
    """"1 object", "2 objects": plural forms from the catalogue (Chinese has one)."""
    folder = tmp_path / "a"
    folder.mkdir()
    (folder / "x.txt").write_bytes(b"x")
    one = cli("rm", "-r", str(folder) + "/")
    assert one.code == 2
    assert one.first_stderr_line == "Error: rm -r would delete 1 object and there is no terminal to confirm it"
    zh = cli("--lang", "zh", "rm", "-r", str(folder) + "/")
    assert zh.first_stderr_line == "错误：rm -r 将删除 1 个对象，但没有终端可以确认"
    (folder / "y.txt").write_bytes(b"y")
    two = cli("rm", "-r", str(folder) + "/")
    assert two.first_stderr_line == "Error: rm -r would delete 2 objects and there is no terminal to confirm it"
    assert sorted(p.name for p in folder.iterdir()) == ["x.txt", "y.txt"]


def test_rm_recursive_progress_counts_what_was_deleted(cli, tmp_path: Path, monkeypatch) -> None:
    """The plain progress line of ``rm -r`` ended in its own label again (``delete: 100% 2/2, 9.0/s,
    delete``) where every other batch says how many items went well and how many failed."""
    monkeypatch.setenv("CI", "1")
    folder = tmp_path / "a"
    folder.mkdir()
    for name in ("x.txt", "y.txt"):
        (folder / name).write_bytes(b"x")
    res = cli("rm", "-r", "--yes", str(folder) + "/")
    assert res.code == 0, res.stderr
    last = [line for line in res.stderr.splitlines() if line.startswith("delete: ")][-1]
    assert last.startswith("delete: 100% 2/2, ") and last.endswith("/s, 2 ok, 0 failed"), last
