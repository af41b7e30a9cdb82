"""mediaproc.atomic: every local result is written all or nothing, with the mode ``cp`` would give it."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from mediaproc.atomic import atomic_file, write_json_atomic, write_text_atomic
from mediaproc.errors import UsageError

DATA = Path(__file__).resolve().parent / "data"


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("kind", ["path", "wb", "w"])
def test_a_new_file_honours_the_umask(tmp_path: Path, umask_022: None, kind: str) -> None:
    dest = tmp_path / "new.bin"
    if kind == "path":
        with atomic_file(dest) as tmp:
            tmp.write_bytes(b"data")
    elif kind == "wb":
        with atomic_file(dest, "wb") as fh:
            fh.write(b"data")
    else:
        with atomic_file(dest, "w") as text:
            text.write("data")
    assert dest.read_bytes() == b"data"
    assert mode_of(dest) == 0o644  # not mkstemp's 0600
    assert [p.name for p in tmp_path.iterdir()] == ["new.bin"]


def test_a_replaced_file_keeps_its_mode(tmp_path: Path, umask_022: None) -> None:
    dest = tmp_path / "kept.json"
    dest.write_text("old")
    dest.chmod(0o640)
    size = write_json_atomic(dest, {"a": "é"})
    assert json.loads(dest.read_text(encoding="utf-8")) == {"a": "é"} and size == dest.stat().st_size
    assert mode_of(dest) == 0o640
    dest.chmod(0o604)
    write_text_atomic(dest, "new\n", durable=True)
    assert dest.read_text() == "new\n" and mode_of(dest) == 0o604


@pytest.mark.parametrize("error", [RuntimeError("writer failed"), KeyboardInterrupt()])
def test_an_exception_leaves_no_temp_file_and_the_old_file_untouched(
    tmp_path: Path, error: BaseException
) -> None:
    dest = tmp_path / "result.png"
    dest.write_bytes(b"previous")
    dest.chmod(0o640)
    with pytest.raises(type(error)), atomic_file(dest, "wb", durable=True) as fh:
        fh.write(b"half of the new")
        raise error
    assert dest.read_bytes() == b"previous" and mode_of(dest) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["result.png"]
    with pytest.raises(type(error)), atomic_file(tmp_path / "fresh.png") as tmp:
        tmp.write_bytes(b"half")
        raise error
    assert [p.name for p in tmp_path.iterdir()] == ["result.png"]


def test_temp_dir_keeps_the_temporary_file_out_of_the_destination_folder(tmp_path: Path) -> None:
    side = tmp_path / "side"
    dest = tmp_path / "bucket" / "deep" / "key.json"
    seen: list[Path] = []
    with atomic_file(dest, "w", temp_dir=side) as fh:
        seen.extend(side.iterdir())
        assert not dest.parent.exists() or list(dest.parent.iterdir()) == []
        fh.write("{}")
    assert dest.read_text() == "{}" and len(seen) == 1 and list(side.iterdir()) == []


def test_an_unwritable_folder_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(UsageError) as err, atomic_file(locked / "x.txt", "w") as fh:
            fh.write("never")
        assert str(locked) in err.value.message
    finally:
        locked.chmod(0o700)


def test_processed_results_are_written_as_cp_writes(tmp_path: Path, umask_022: None) -> None:
    """Through the CLI: a new result is 0644 under umask 022; a result replaced in place keeps 0640."""
    from mediaproc.cli.app import run

    out = tmp_path / "small.png"

    def process() -> None:
        with pytest.raises(SystemExit) as done:
            run(["--provider", "local", "--quiet", "process", str(DATA / "chelsea.png"), "resize:w=40",
                 "--to", str(out)])
        assert done.value.code in (0, None)

    process()
    assert mode_of(out) == 0o644
    out.chmod(0o640)
    process()
    assert mode_of(out) == 0o640
    from PIL import Image

    with Image.open(out) as img:
        assert img.width == 40
    assert [p.name for p in tmp_path.iterdir()] == ["small.png"]
