"""A local batch of many large items runs in worker processes (services/batch.py): every item processed
or reported, the results in input order, the same exit codes as with threads; small items stay on
threads (a process's start-up would cost more than it saves)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from mediaproc.services import batch

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The worker counts of the process pools the batches of this test start."""
    started: list[int] = []
    original = batch._local_pool

    def spy(settings, chain, concurrency):  # type: ignore[no-untyped-def]
        started.append(concurrency)
        return original(settings, chain, concurrency)

    monkeypatch.setattr(batch, "_local_pool", spy)
    return started


def _photos(folder: Path, n: int, size: tuple[int, int]) -> None:
    folder.mkdir()
    with Image.open(DATA / "hubble_deep_field.jpg") as im:
        big = im.convert("RGB").resize(size)
    for i in range(n):
        big.rotate(i, expand=False).save(folder / f"p{i:02d}.png", compress_level=0)


def test_large_items_run_in_processes(cli, pools: list[int], tmp_path: Path) -> None:
    src = tmp_path / "in"
    _photos(src, 33, (400, 300))  # 360 KB each: large enough
    (src / "p99.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 400_000)  # unreadable, as large
    out = tmp_path / "out"
    r = cli("process", str(src), "resize:w=100", "format:target=jpg", "--to", str(out), "--json", "-j", "2")
    assert pools == [2]
    assert r.code == 8, r.stderr
    results = r.json()
    assert [Path(x["source"]).name for x in results] == sorted(p.name for p in src.iterdir())  # input order
    failed = [x for x in results if not x["success"]]
    assert [Path(x["source"]).name for x in failed] == ["p99.png"]
    assert failed[0]["error"]["code"] and failed[0]["error"]["message"]
    written = sorted(out.iterdir())
    assert len(written) == 33 and not [p for p in written if p.name.startswith(".mediaproc-")]
    for path in written:
        with Image.open(path) as im:
            assert (im.format, im.size) == ("JPEG", (100, 75))


def test_small_items_stay_on_threads(cli, pools: list[int], tmp_path: Path) -> None:
    src = tmp_path / "in"
    _photos(src, 40, (64, 48))
    r = cli("process", str(src), "resize:w=32", "--to", str(tmp_path / "out"), "--json", "-j", "2")
    assert r.code == 0 and len(r.json()) == 40
    assert pools == []
