"""Where ``mediaproc serve`` runs pixel work: in the request's thread, or in N worker processes.

One process keeps the state (buckets, objects, styles, tasks, batches, jobs, the admission queue): it
parses requests, checks signatures, reads and publishes objects. Only the engine call itself (decode,
transform, encode; an analysis) is handed to a worker process (:mod:`mediaproc.engine.workers`, the same
pool a local batch uses), by function and plain arguments (paths, operations), and its result (bytes,
sizes, a JSON dict) comes back. That is what keeps one consistent view with no locking across processes:
a worker never touches the store's bookkeeping, it reads a source file by path and writes a result file
by path, both chosen by the state process. With ``--workers 1`` (the default for tests and embedding)
the call runs in the calling thread, exactly as before.

A call whose arguments include a callable (a ``resolve_key`` for a watermark that names another object,
possibly processed itself) runs in the calling thread: it needs the store, which only this process has.
So does the work on a small source (:meth:`EnginePool.for_source`): the hop to a worker and back (the
call and its result pickled, the pool's manager and feeder threads woken, ~0.8 ms of CPU measured on the
2-core machine) costs about as much as resizing a 160x120 JPEG itself (~0.9 ms), so a batch of
thumbnails spent half its engine CPU on hops; a 1 MP photo (~17 ms of engine CPU, ~175 KB) still goes to
a worker. Only a small JPEG or PNG whose header reads cleanly (``engine/image/header.py``) stays in the
thread: small files are what a fuzzer or an attacker crafts to crash a codec, and every other one keeps a
worker's isolation.
A worker that dies (a crash in a codec) is replaced and the request fails with a service error; the next
request gets a fresh pool.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from mediaproc import limits
from mediaproc.engine.image.header import read_header
from mediaproc.engine.workers import land, ship, usable_cores, worker_pool
from mediaproc.errors import ServiceError

P = ParamSpec("P")
T = TypeVar("T")


# Sources smaller than this are processed in the request's thread even with worker processes (see the
# module docstring): a 160x120 JPEG is ~5-8 KB, a 1 MP one ~175 KB.
SMALL_SOURCE_BYTES = 32 * 1024


def default_workers() -> int:
    """One worker process per core this process may run on."""
    return usable_cores()


class EnginePool:
    """Runs engine functions for one server (see the module docstring)."""

    def __init__(self, workers: int = 1) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closed = False

    def __call__(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(*args, **kwargs)`` under the caller's limits profile, in a worker when there are workers."""
        if self.workers == 1 or any(callable(v) for v in (*args, *kwargs.values())):
            return fn(*args, **kwargs)
        pool = self._get_pool()
        call = functools.partial(_in_worker, limits.current_profile(), fn, ship(args), ship_kwargs(kwargs))
        future: Future[T] = pool.submit(call)
        try:
            return future.result()
        except BrokenProcessPool:
            self._replace(pool)
            raise ServiceError(
                "a processing worker stopped while running this request",
                hint="try again; if it happens again, the source may crash the codec",
                code="InternalError",
            ) from None

    def for_source(self, source: Path) -> EnginePool:
        """The pool to run the work on ``source`` with: this one, or (a JPEG or PNG under
        :data:`SMALL_SOURCE_BYTES`, or a source that cannot be read here) the calling thread."""
        if self.workers == 1:
            return self
        try:
            small = source.stat().st_size < SMALL_SOURCE_BYTES
        except OSError:
            return IN_THREAD  # the engine raises the service's own error for it, as in this thread
        # Only a JPEG or PNG whose header reads cleanly: the small inputs that crash codecs are crafted ones,
        # and any other small file keeps a worker's isolation (its crash fails one request, not the server).
        return IN_THREAD if small and read_header(source) is not None else self

    def warm(self) -> None:
        """Start the workers now, so the first requests do not pay for their imports."""
        if self.workers > 1:
            pool = self._get_pool()
            for future in [pool.submit(_ready) for _ in range(self.workers)]:
                future.result()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _get_pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._closed:
                raise ServiceError("the server is shutting down", code="ServiceUnavailable")
            if self._pool is None:
                self._pool = worker_pool(self.workers)
            return self._pool

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is broken:
                self._pool = None
        broken.shutdown(wait=False, cancel_futures=True)


IN_THREAD = EnginePool(1)  # runs every call in the calling thread; holds no processes


def ship_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: ship(v) for k, v in kwargs.items()}


def _ready() -> bool:
    return True


def _in_worker(profile: str, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    with limits.profile(profile):
        return fn(*land(args), **{k: land(v) for k, v in kwargs.items()})


__all__ = ["IN_THREAD", "SMALL_SOURCE_BYTES", "EnginePool", "default_workers"]
