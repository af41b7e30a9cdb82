"""A batch keeps no per-item state: its items stream from the listing and only failures are kept.

Count-based, not timed or RSS-based (``benchmarks/batch_memory.py`` measures peak RSS): the engine
reports through its ``retained`` hook how many items and results it holds after each item, and the
item stream records how far ahead of the report it was pulled.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

from mediaproc.config import Settings
from mediaproc.location import Location
from mediaproc.ops.parse import parse_chain
from mediaproc.providers import get_provider
from mediaproc.providers.base import Provider
from mediaproc.results import ProcessResult
from mediaproc.services import batch
from mediaproc.services.batch import BatchItem

N = 2000
CONCURRENCY = 4
FAIL_EVERY = 100


def test_a_streamed_batch_of_2000_items_holds_a_bounded_number_of_them(tmp_path: Path) -> None:
    settings = Settings()
    pulled = 0
    reported: list[int] = []  # only the count is kept here, to compare with ``pulled``
    ahead: list[int] = [0]
    retained: list[int] = [0]
    lock = threading.Lock()

    def items() -> Iterator[BatchItem]:
        nonlocal pulled
        for i in range(N):
            pulled += 1
            ahead[0] = max(ahead[0], pulled - len(reported))
            name = f"img-{i:05d}.jpg"
            yield BatchItem(Location(scheme="file", path=tmp_path / name), None, name)

    def work(p: Provider, item: BatchItem, cancel: threading.Event) -> ProcessResult:
        ok = not item.relative.endswith(tuple(f"{k:05d}.jpg" for k in range(0, N, FAIL_EVERY)))
        return ProcessResult(success=ok, mode="file", source=str(item.source),
                             error=None if ok else {"code": "Bad", "message": "bad", "hint": None,
                                                     "request_id": None})

    def on_result(res: ProcessResult) -> None:
        with lock:
            reported.append(0)

    def hold(n: int) -> None:
        retained[0] = max(retained[0], n)

    results = batch.run_items(items(), work, provider_name="local",
                              make_provider=lambda: get_provider("local", settings), concurrency=CONCURRENCY,
                              on_result=on_result, retained=hold)
    assert len(reported) == N and results.total == N
    assert len(results) == N // FAIL_EVERY and not any(r.success for r in results)  # the failures, kept
    # Held at most: the items in flight, those finished behind a slower one, and the failures.
    bound = 2 * CONCURRENCY + batch.HOLD_LIMIT + N // FAIL_EVERY
    assert retained[0] <= bound, retained[0]
    assert ahead[0] <= 2 * CONCURRENCY + batch.HOLD_LIMIT, ahead[0]


def test_a_local_batch_expands_its_items_lazily(tmp_path: Path) -> None:
    """The folder walk yields items one at a time, in sorted path order, with their destinations."""
    src = tmp_path / "in"
    (src / "b").mkdir(parents=True)
    for rel in ("a.jpg", "b/c.jpg", "b.jpg", "a0.jpg"):
        Image.new("RGB", (4, 4)).save(src / rel)
    settings = Settings()
    with get_provider("local", settings) as lister:
        stream = batch.expand(settings, str(src), str(tmp_path / "out") + "/",
                              parse_chain(["resize:w=2"]), lister)
        assert not isinstance(stream, list)
        got = [(it.relative, it.destination.path if it.destination else None) for it in stream]
    names = ["a.jpg", "a0.jpg", "b/c.jpg", "b.jpg"]  # as sorted(rglob) orders them
    assert [rel for rel, _dest in got] == names
    assert [dest for _rel, dest in got] == [tmp_path / "out" / n for n in names]
