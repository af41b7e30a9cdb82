"""Batch mode on the local provider: every item processed or reported, exit 8 on partial failure,
resume with --skip-existing, globs, refused keys, and a clean Ctrl-C."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from mediaproc.services.batch import unsafe_relative

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    for i, name in enumerate(["astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg"]):
        with Image.open(DATA / name) as im:
            im.convert("RGB").resize((200, 100 + 10 * i)).save(src / f"img{i}.png")
    with Image.open(DATA / "rocket.jpg") as im:
        im.resize((120, 80)).save(src / "sub" / "deep.jpg")
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nthis is not really a png")
    return src


def test_partial_failure_exit_8_and_json_array(cli, folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = cli("process", str(folder), "resize:w=50", "format:target=webp", "--to", str(out), "--json")
    assert r.code == 8, r.stderr
    results = r.json()
    assert isinstance(results, list) and len(results) == 6
    by_source = {Path(x["source"]).name: x for x in results}
    assert by_source["broken.png"]["success"] is False
    assert by_source["broken.png"]["error"]["message"]
    assert "broken.png" in r.stderr and "1 of 6 items failed" in r.stderr
    ok = [x for x in results if x["success"]]
    assert len(ok) == 5
    for x in ok:
        with Image.open(x["path"]) as im:
            assert im.format == "WEBP" and im.width == 50
    assert (out / "sub" / "deep.webp").is_file()
    assert not (out / "broken.webp").exists()
    assert not [p for p in out.rglob("*") if p.name.startswith(".mediaproc-")]


def test_skip_existing_resumes(cli, folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (folder / "broken.png").unlink()
    assert cli("process", str(folder), "resize:w=40", "--to", str(out), "--json").code == 0
    (out / "img1.png").unlink()
    r = cli("process", str(folder), "resize:w=40", "--to", str(out), "--json", "--skip-existing")
    assert r.code == 0, r.stderr
    status = {Path(x["source"]).name: x["status"] for x in r.json()}
    assert status["img1.png"] != "skipped"
    assert sum(1 for s in status.values() if s == "skipped") == 4
    assert (out / "img1.png").is_file()


def test_glob_selects_items(cli, folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = cli("process", str(folder / "img*.png"), "resize:w=30", "--to", str(out), "--json", "-j", "2")
    assert r.code == 0, r.stderr
    assert sorted(Path(x["source"]).name for x in r.json()) == [f"img{i}.png" for i in range(4)]


def test_nothing_matches_is_not_found(cli, folder: Path, tmp_path: Path) -> None:
    r = cli("process", str(folder / "*.tiff"), "resize:w=30", "--to", str(tmp_path / "o"))
    assert (r.code, r.first_stderr_line) == (4, f"Error: nothing matches {folder / '*.tiff'}")


@pytest.mark.parametrize("key", ["../evil.jpg", "a/../../evil.jpg", "/etc/passwd", "a\\b.jpg", "a\x00.jpg",
                                 "C:/x.jpg", "dir/"])
def test_keys_that_would_escape_are_refused(key: str) -> None:
    assert unsafe_relative(key) is not None


@pytest.mark.parametrize("key", ["a.jpg", "photos/2024/a.jpg", "..a.jpg", "a..b/c.jpg"])
def test_ordinary_keys_are_fine(key: str) -> None:
    assert unsafe_relative(key) is None


def test_ctrl_c_stops_cleanly(folder: Path, tmp_path: Path) -> None:
    many = tmp_path / "many"
    many.mkdir()
    with Image.open(DATA / "hubble_deep_field.jpg") as im:
        for i in range(120):
            im.save(many / f"p{i:03d}.png", compress_level=0)
    out = tmp_path / "out"
    env = {**os.environ, "CI": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "mediaproc", "process", str(many), "rotate:angle=33",
                             "blur:r=10,s=10", "--to", str(out), "-j", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (out.exists() and any(out.iterdir())):
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    written = [p for p in out.rglob("*") if p.is_file()]
    assert not [p for p in written if p.name.startswith(".mediaproc-")], written
    assert 0 < len(written) < 120
    for p in written:
        with Image.open(p) as im:
            im.load()
    # the summary (DESIGN.md's Ctrl-C policy): counts, names, and the command that resumes
    first = next(line for line in err.splitlines() if line.startswith("Error:"))
    assert first.startswith("Error: interrupted: ") and "not started" in first, err
    assert f"finished ({len(written)})" in err, err
    assert "not started (" in err
    resume = next(line for line in err.splitlines() if line.startswith("Resume: "))
    assert resume.endswith("--to " + shlex.quote(str(out)) + " -j 2 --skip-existing"), resume


def test_a_destination_inside_the_source_is_not_read_as_a_source(cli, folder: Path) -> None:
    """``process in/ ... --to in/thumbs/``: the results of the first run were items of the second
    (``in/thumbs/thumbs/...``), and a folder walked while the batch wrote into it could feed on the
    run's own results."""
    (folder / "broken.png").unlink()
    out = folder / "thumbs"
    first = cli("process", str(folder), "resize:w=30", "--to", f"{out}/", "--json")
    assert first.code == 0, first.stderr
    assert len(first.json()) == 5
    again = cli("process", str(folder), "resize:w=30", "--to", f"{out}/", "--json", "--skip-existing")
    assert again.code == 0, again.stderr
    assert [x["status"] for x in again.json()] == ["skipped"] * 5
    assert not (out / "thumbs").exists()
    # the destination itself as the source (a rewrite in place) still takes its own items
    inplace = cli("process", f"{out}/", "resize:w=20", "--to", f"{out}/", "--json")
    assert inplace.code == 0 and len(inplace.json()) == 5, inplace.stderr
