"""On the local provider ``batch submit`` is the client-side batch, in the foreground, so a script written
against ``local`` runs unchanged; triggers are refused with a hint."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from support.cli import Cli


def _images(folder: Path, n: int) -> None:
    folder.mkdir(parents=True)
    for i in range(n):
        Image.new("RGB", (40, 30), (i * 20, 80, 160)).save(folder / f"p{i}.jpg", "JPEG")


def test_batch_submit_runs_the_chain_here(cli: Cli, tmp_path: Path) -> None:
    _images(tmp_path / "in", 4)
    res = cli("--json", "batch", "submit", f"{tmp_path}/in/", "resize:w=20", "format:target=png",
              "--to", f"{tmp_path}/out/")
    assert res.code == 0, res.stderr
    results = json.loads(res.stdout)
    assert len(results) == 4 and all(r["success"] for r in results)
    for i in range(4):
        with Image.open(tmp_path / "out" / f"p{i}.png") as img:
            assert (img.format, img.size) == ("PNG", (20, 15))


def test_a_failed_item_exits_8_as_the_client_side_batch_does(cli: Cli, tmp_path: Path) -> None:
    _images(tmp_path / "in", 2)
    (tmp_path / "in" / "broken.jpg").write_bytes(b"\xff\xd8\xff nope")
    res = cli("batch", "submit", f"{tmp_path}/in/", "resize:w=10", "--to", f"{tmp_path}/out/")
    assert res.code == 8, res.stderr
    assert (tmp_path / "out" / "p0.jpg").exists() and not (tmp_path / "out" / "broken.jpg").exists()


def test_triggers_are_refused_on_local(cli: Cli, tmp_path: Path) -> None:
    _images(tmp_path / "in", 1)
    res = cli("trigger", "create", f"{tmp_path}/in/", "resize:w=10", "--to", f"{tmp_path}/out/")
    assert res.code == 2
    assert res.first_stderr_line == "Error: triggers run on a cloud's engine; the local provider has none"
    assert "mediaproc batch submit" in res.stderr and not (tmp_path / "out").exists()


def test_listing_on_local_says_where_batches_run(cli: Cli) -> None:
    res = cli("batch", "list")
    assert res.code == 2 and "foreground" in res.stderr


def test_an_id_that_is_no_batch_is_refused(cli: Cli) -> None:
    res = cli("batch", "status", "not-an-id")
    assert res.code == 2 and "batch- or trigger-" in res.stderr
