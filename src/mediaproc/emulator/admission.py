"""How many processing requests ``mediaproc serve`` runs at once, how many wait, and who is turned away.

Processing (an image chain, a snapshot, ``imageInfo``, a detector) costs CPU and memory; a plain GET or
PUT costs a file handle. They used to share asyncio's default thread pool: 200 processing requests
queued there in front of every file read, so one client's burst stalled every other client's
downloads, and nothing ever said "no". Now processing runs in a pool of its own:

* ``max_processing`` requests run at once (default 16: a batch at concurrency 16 keeps its speed);
* up to ``max_queue`` more wait their turn (default 256: a burst of 200 waits rather than fails);
* past that, the request is answered at once with the service's own throttling answer, ``503
  SlowDown`` and a ``Retry-After`` header, which the SDKs' retry logic understands.

Plain object requests never enter here, so downloads and uploads keep their pace under any
processing load. The per-request budget (pixels, frames, text, duration) is :mod:`mediaproc.limits`,
checked before a pixel is decoded; this module bounds how many such budgets are spent at once.
Counters live on the event loop's thread only, so they need no lock.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from mediaproc import limits

if TYPE_CHECKING:  # the pool (multiprocessing, pickle) is imported when a server starts, not by `mediaproc --help`
    from mediaproc.emulator.engine_pool import EnginePool

P = ParamSpec("P")
T = TypeVar("T")

DEFAULT_MAX_PROCESSING = 16
DEFAULT_MAX_QUEUE = 256
RETRY_AFTER_SECONDS = 1


class Busy(Exception):
    """Every processing slot and every queue place is taken: answer ``503 SlowDown``."""

    def __init__(self, running: int, waiting: int) -> None:
        super().__init__(f"{running} processing requests run and {waiting} wait; try again shortly")
        self.running = running
        self.waiting = waiting
        self.retry_after = RETRY_AFTER_SECONDS


class Admission:
    """The processing pool of one server (see the module docstring)."""

    def __init__(
        self, max_processing: int = DEFAULT_MAX_PROCESSING, max_queue: int = DEFAULT_MAX_QUEUE, *, workers: int = 1
    ) -> None:
        if max_processing < 1 or max_queue < 0:
            raise ValueError("max_processing must be at least 1 and max_queue at least 0")
        self.max_processing = max_processing
        self.max_queue = max_queue
        from mediaproc.emulator.engine_pool import EnginePool

        self.engine: EnginePool = EnginePool(workers)  # where the admitted requests' pixel work runs
        self._pool = ThreadPoolExecutor(max_processing, thread_name_prefix="mediaproc-process")
        self._inside = 0  # running + waiting
        self.refused = 0

    @property
    def inside(self) -> int:
        return self._inside

    async def run(self, profile: str, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn`` in the processing pool under the limits ``profile`` (``oss`` or ``cos``), or raise
        :class:`Busy` at once when the pool and its queue are full."""
        if self._inside >= self.max_processing + self.max_queue:
            self.refused += 1
            running = min(self._inside, self.max_processing)
            raise Busy(running, self._inside - running)
        self._inside += 1
        try:
            call = functools.partial(_under, profile, fn, *args, **kwargs)
            ctx = contextvars.copy_context()
            import asyncio  # loaded by the running server; not at import, where `mediaproc --help` would pay ~25 ms

            return await asyncio.get_running_loop().run_in_executor(self._pool, ctx.run, call)
        finally:
            self._inside -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.engine.close()


def _under(profile: str, fn: Callable[..., T], *args: object, **kwargs: object) -> T:
    with limits.profile(profile):
        return fn(*args, **kwargs)


__all__ = ["DEFAULT_MAX_PROCESSING", "DEFAULT_MAX_QUEUE", "Admission", "Busy"]
