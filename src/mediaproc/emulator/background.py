"""Background work of ``mediaproc serve``'s cloud-side batches: IMM batches and triggers, CI
workflows and inventory jobs.

A batch of 500 objects must not hold a request open, and must not crowd out the requests clients
send meanwhile. So each batch is an asyncio task on the server's own event loop: its bookkeeping
(states, counters, lists of outcomes) stays in the server's process and thread, and each object's
engine work goes through the server's processing pool (:mod:`mediaproc.emulator.admission`), at
most ``concurrency`` objects at once for all batches, triggers and workflows together: a burst of
uploads under a trigger queues here, never in the pool's queue, so a client's own processing
request still finds room there. A full pool is not an error for a batch, as it is for a client's
request: the batch waits and tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from mediaproc.emulator.admission import Admission, Busy

P = ParamSpec("P")
T = TypeVar("T")

log = logging.getLogger("mediaproc.emulator")

DEFAULT_CONCURRENCY = 4  # objects in flight at once, all batches together (the services' figures: UNVERIFIED)
BUSY_PAUSE_S = 0.05


class Background:
    """Spawns batch coroutines on the server's loop and runs their engine calls in its pool."""

    def __init__(self, admission: Admission, *, concurrency: int = DEFAULT_CONCURRENCY) -> None:
        self.admission = admission
        self.concurrency = max(1, min(concurrency, admission.max_processing))
        self._slots = asyncio.Semaphore(self.concurrency)  # shared by every batch, trigger and workflow
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        with contextlib.suppress(RuntimeError):
            self._loop = asyncio.get_running_loop()

    def spawn(self, make: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Start ``make()`` on the server's loop; callable from the loop or from a worker thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            raise RuntimeError("the server's event loop is not running")

        def start() -> None:
            task = loop.create_task(self._guard(make()))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            start()
        else:
            loop.call_soon_threadsafe(start)

    async def _guard(self, coro: Coroutine[Any, Any, None]) -> None:
        try:
            await coro
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("a background batch failed")

    async def run(self, profile: str, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn`` in the processing pool under the limits ``profile``, once one of the ``concurrency``
        background slots is free; waits while the pool is full."""
        async with self._slots:
            while True:
                try:
                    return await self.admission.run(profile, fn, *args, **kwargs)
                except Busy:
                    await asyncio.sleep(BUSY_PAUSE_S)

    def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    async def aclose(self) -> None:
        """Cancel every batch and let the cancellations run (on the loop, before it stops)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


__all__ = ["DEFAULT_CONCURRENCY", "Background"]
