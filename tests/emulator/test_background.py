"""serve's background runner: batch work shares one bound and waits for the processing pool instead
of filling it, so a client's processing request is never turned away because of a batch."""

from __future__ import annotations

import asyncio
import threading
import time

from mediaproc.emulator.admission import Admission, Busy
from mediaproc.emulator.background import Background


def test_batch_work_never_takes_more_than_its_slots_and_leaves_room_for_clients() -> None:
    async def main() -> None:
        admission = Admission(max_processing=3, max_queue=0)
        background = Background(admission, concurrency=2)
        peak = 0
        lock = threading.Lock()
        inside = 0

        def work(i: int) -> int:
            nonlocal peak, inside
            with lock:
                inside += 1
                peak = max(peak, inside)
            time.sleep(0.01)
            with lock:
                inside -= 1
            return i

        results = asyncio.gather(*(background.run("oss", work, i) for i in range(20)))
        await asyncio.sleep(0.005)
        # a client's request meanwhile: one slot of the three is still free for it
        assert await admission.run("oss", lambda: "client") == "client"
        assert sorted(await results) == list(range(20))
        assert peak <= 2
        assert admission.refused == 0
        admission.close()

    asyncio.run(main())


def test_a_full_pool_makes_batch_work_wait_not_fail() -> None:
    async def main() -> None:
        admission = Admission(max_processing=1, max_queue=0)
        background = Background(admission, concurrency=1)
        gate = threading.Event()
        client = asyncio.ensure_future(admission.run("oss", gate.wait, 5))
        await asyncio.sleep(0.01)
        try:
            await admission.run("oss", lambda: None)
        except Busy:
            pass
        else:
            raise AssertionError("the pool should be full")
        batch = asyncio.ensure_future(background.run("oss", lambda: "done"))
        await asyncio.sleep(0.05)
        assert not batch.done()  # waiting for the client's request to leave the pool
        gate.set()
        assert await client is True
        assert await batch == "done"
        admission.close()

    asyncio.run(main())
