"""A local batch's worker processes: items handed straight to the pool, one queued beyond those running
(so a worker never waits for a round trip through the parent), and each worker's share of libvips'
threads. Count-based, not timed (``benchmarks/local_batch.py`` measures the throughput)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from mediaproc.config import Settings
from mediaproc.engine.workers import usable_cores, worker_pool
from mediaproc.errors import UsageError
from mediaproc.location import Location
from mediaproc.providers import get_provider
from mediaproc.providers.base import Provider
from mediaproc.results import ProcessResult
from mediaproc.services import batch
from mediaproc.services.batch import BatchItem

CONCURRENCY = 2


def _no_thread_work(p: Provider, item: BatchItem, cancel: threading.Event) -> ProcessResult:
    raise AssertionError("with submit, no item runs on a worker thread")


def _items(tmp_path: Path, n: int, refused: dict[int, Exception] | None = None) -> list[BatchItem]:
    return [BatchItem(Location(scheme="file", path=tmp_path / f"{i:03d}.jpg"), None, f"{i:03d}.jpg",
                      (refused or {}).get(i)) for i in range(n)]


def _run(items: list[BatchItem], submit: Callable[[BatchItem], Future[ProcessResult]]) -> list[ProcessResult]:
    """``run_items`` with items handed to ``submit`` (as a local batch hands them to its worker pool)."""
    return batch.run_items(items, _no_thread_work, provider_name="local",
                           make_provider=lambda: get_provider("local", Settings()),
                           concurrency=CONCURRENCY, submit=submit)


def test_submitted_items_stay_at_concurrency_plus_one_and_report_in_order(tmp_path: Path) -> None:
    outstanding = 0
    most = 0
    lock = threading.Lock()
    executor = ThreadPoolExecutor(CONCURRENCY)

    def run(item: BatchItem) -> ProcessResult:
        nonlocal outstanding
        with lock:
            outstanding -= 1
        return ProcessResult(success=True, mode="file", source=str(item.source))

    def submit(item: BatchItem) -> Future[ProcessResult]:
        nonlocal outstanding, most
        with lock:
            outstanding += 1
            most = max(most, outstanding)
        return executor.submit(run, item)

    try:
        results = _run(_items(tmp_path, 60, {7: UsageError("refused key", hint="rename it")}), submit)
    finally:
        executor.shutdown()
    assert most <= CONCURRENCY + 1
    assert [Path(r.source).name for r in results] == [f"{i:03d}.jpg" for i in range(60)]  # input order
    assert [r.success for r in results].count(False) == 1 and not results[7].success
    assert results[7].error is not None and results[7].error["message"] == "refused key"


def _vips_threads() -> int:
    import pyvips

    return int(pyvips.vips_lib.vips_concurrency_get())


def test_each_worker_gets_its_share_of_libvips_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIPS_CONCURRENCY", raising=False)
    with worker_pool(2) as pool:
        assert pool.submit(_vips_threads).result() == max(1, usable_cores() // 2)
    monkeypatch.setenv("VIPS_CONCURRENCY", "3")  # the operator's own setting wins
    with worker_pool(2) as pool:
        assert pool.submit(_vips_threads).result() == 3


def _die_on_third(name: str) -> str:
    if name == "002.jpg":
        import os

        os._exit(1)  # a worker killed mid-item (a codec crash, the OOM killer)
    return name


def test_a_worker_that_dies_fails_the_items_it_takes_and_the_batch_reports_on(tmp_path: Path) -> None:
    """A crashed worker breaks a ProcessPoolExecutor: every later ``submit`` raises at once. Each item
    then fails with that reason and the batch ends with its full report (exit 8), not a traceback."""
    from concurrent.futures import ProcessPoolExecutor

    executor = ProcessPoolExecutor(CONCURRENCY)

    def submit(item: BatchItem) -> Future[ProcessResult]:
        inner = executor.submit(_die_on_third, item.rel)
        outer: Future[ProcessResult] = Future()

        def done(f: Future[str]) -> None:
            exc = f.exception()
            if exc is not None:
                outer.set_exception(exc)
            else:
                outer.set_result(ProcessResult(success=True, mode="file", source=f.result()))

        inner.add_done_callback(done)
        return outer

    try:
        results = _run(_items(tmp_path, 20), submit)
    finally:
        executor.shutdown()
    assert len(results) == 20
    assert not results[2].success and not results[-1].success  # the dying item and every one after the break
    assert all(r.error is not None for r in results if not r.success)
