"""How a pool's worker processes start (mediaproc.engine.workers): forked straight from a parent that has one
thread and no libvips (a local batch's CLI process), from the fork server otherwise; either way a worker
starts the same: out of the parent's group, deaf to SIGINT, SIGTERM at its default, no signal blocked, no
wakeup descriptor of the parent's, its share of libvips' threads. Each case runs in a fresh interpreter,
because the choice depends on what the process has loaded and started (this one has libvips)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mediaproc.engine.workers import usable_cores

TESTS = Path(__file__).resolve().parent

SCRIPT = """
import json, os, signal, socket, sys, threading
from mediaproc.signals import terminate_as_interrupt
terminate_as_interrupt()  # the CLI's SIGTERM handler: a worker must not keep it
reader, writer = socket.socketpair()
writer.setblocking(False)
signal.set_wakeup_fd(writer.fileno())  # as an event loop does: a worker must not write to it
{before}
from mediaproc.engine.workers import worker_pool
from support.worker_probe import probe
with worker_pool(2) as pool:
    parent_blocked = sorted(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, set()))
    print(json.dumps({{"pid": os.getpid(), "parent_blocked": parent_blocked,
                      "workers": [pool.submit(probe).result() for _ in range(4)]}}))
"""


def _start(before: str = "") -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), *sys.path])}
    env.pop("VIPS_CONCURRENCY", None)
    done = subprocess.run([sys.executable, "-c", SCRIPT.format(before=before)], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _same_start(result: dict[str, Any]) -> None:
    assert result["parent_blocked"] == []  # the main thread receives Ctrl-C and SIGTERM again
    for worker in result["workers"]:
        assert worker["own_group"] and worker["sigint_ignored"] and worker["sigterm_default"], worker
        assert worker["wakeup_fd"] == -1 and worker["blocked"] == [], worker
        assert worker["vips_threads"] == max(1, usable_cores() // 2)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir() or sys.version_info < (3, 11),
                    reason="forks only where it can count its threads, on Python 3.11+")
def test_a_parent_with_one_thread_and_no_libvips_forks_its_workers() -> None:
    result = _start()
    assert {w["ppid"] for w in result["workers"]} == {result["pid"]}  # children of the parent itself
    _same_start(result)


@pytest.mark.parametrize("before", [
    "threading.Thread(target=threading.Event().wait, args=(30,), daemon=True).start()",
    "import pyvips",
], ids=["a thread running", "libvips loaded"])
def test_otherwise_the_workers_come_from_the_fork_server(before: str) -> None:
    result = _start(before)
    assert result["pid"] not in {w["ppid"] for w in result["workers"]}  # the fork server's children
    _same_start(result)


INTERRUPTED_FORK = """
import json, multiprocessing, signal
from mediaproc.engine import workers
forked = workers._fork_now

def then_interrupted(pool):
    forked(pool)
    raise KeyboardInterrupt  # as a Ctrl-C delivered when the fork's signal mask is restored
workers._fork_now = then_interrupted
try:
    workers.worker_pool(2)
except KeyboardInterrupt:
    pass
print(json.dumps({"left": len(multiprocessing.active_children())}))
"""


@pytest.mark.skipif(not Path("/proc/self/task").is_dir() or sys.version_info < (3, 11),
                    reason="forks only where it can count its threads, on Python 3.11+")
def test_an_interrupt_as_the_workers_are_forked_leaves_no_worker_running() -> None:
    """The signals blocked around the fork are delivered as soon as the mask is restored, before the
    pool is handed to anyone who would shut it down: the pool shuts itself down."""
    done = subprocess.run([sys.executable, "-c", INTERRUPTED_FORK], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["left"] == 0
