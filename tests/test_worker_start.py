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


GROUP_SIGTERM_AS_A_WORKER_STARTS = """
import json, os, signal, sys

_setpgid = os.setpgid


def setpgid(pid, pgid):  # the group's SIGTERM reaches a worker still in it (this file is the fork server's preload too)
    os.killpg(0, signal.SIGTERM)
    return _setpgid(pid, pgid)


os.setpgid = setpgid

if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda signum, frame: None)  # this process carries on: the workers are at stake
    {before}
    from mediaproc.engine.workers import _may_fork, worker_pool

    forks = _may_fork()
    results = []
    with worker_pool(2) as pool:
        for future in [pool.submit(os.getpid) for _ in range(4)]:
            try:
                results.append(future.result())
            except Exception as exc:
                results.append(type(exc).__name__)
    print(json.dumps({{"forks": forks, "results": results}}))
"""


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX process groups")
@pytest.mark.parametrize("before", ["pass", "import pyvips"], ids=["forked", "from the fork server"])
def test_a_groups_sigterm_before_a_worker_leaves_the_group_does_not_kill_it(before: str, tmp_path: Path) -> None:
    """A worker is in the parent's group from its fork until ``_warm``'s setpgid, with SIGTERM blocked: a
    group's SIGTERM then is pending, and unblocking it at its default action killed the worker (the pool
    broke: BrokenProcessPool for every item). Only the forked start discarded it."""
    script = tmp_path / "group_sigterm.py"
    script.write_text(GROUP_SIGTERM_AS_A_WORKER_STARTS.format(before=before))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), *sys.path])}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120,
                          start_new_session=True)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["forks"] is (before == "pass") or not Path("/proc/self/task").is_dir()
    assert all(isinstance(r, int) for r in result["results"]), result


MASK_CHANGE_RUNS_A_PENDING_HANDLER = """
import json, multiprocessing, signal
from mediaproc.engine import workers

real = signal.pthread_sigmask
raised = []


def pthread_sigmask(how, mask):  # as CPython does: a handler pending at the change runs inside the call
    previous = real(how, mask)
    if how == signal.SIG_BLOCK and signal.SIGINT in set(mask) and not raised:
        raised.append(True)
        raise KeyboardInterrupt
    return previous


signal.pthread_sigmask = pthread_sigmask
try:
    workers.worker_pool(2)
except KeyboardInterrupt:
    pass
print(json.dumps({"blocked": sorted(int(s) for s in real(signal.SIG_BLOCK, ())),
                  "left": len(multiprocessing.active_children())}))
"""


@pytest.mark.skipif(not Path("/proc/self/task").is_dir() or sys.version_info < (3, 11),
                    reason="forks only where it can count its threads, on Python 3.11+")
def test_an_interrupt_as_the_signals_are_blocked_for_the_fork_leaves_them_unblocked() -> None:
    """A Ctrl-C that arrived just before the block raises from the blocking call itself, before the mask to
    restore was known: the main thread kept SIGINT and SIGTERM blocked for good."""
    done = subprocess.run([sys.executable, "-c", MASK_CHANGE_RUNS_A_PENDING_HANDLER], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"blocked": [], "left": 0}


FORK_FAILS_FOR_THE_SECOND_WORKER = """
import json, multiprocessing, os
from mediaproc.engine import workers

real, calls = os.fork, []


def fork():
    calls.append(1)
    if len(calls) == 2:
        raise BlockingIOError(11, "Resource temporarily unavailable")  # EAGAIN: a cgroup's pids limit
    return real()


os.fork = fork
try:
    workers.worker_pool(2)
except OSError:
    pass
print(json.dumps({"left": len(multiprocessing.active_children())}))
"""


@pytest.mark.skipif(not Path("/proc/self/task").is_dir() or sys.version_info < (3, 11),
                    reason="forks only where it can count its threads, on Python 3.11+")
def test_a_fork_that_fails_part_way_leaves_no_worker_and_no_hang() -> None:
    """The first worker was forked, the second fork failed before the pool's thread started: the first worker
    waited for work forever, and the process hung at exit joining it (then left it orphaned)."""
    done = subprocess.run([sys.executable, "-c", FORK_FAILS_FOR_THE_SECOND_WORKER], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"left": 0}
