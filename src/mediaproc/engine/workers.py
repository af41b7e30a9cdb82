"""Worker processes for engine work, shared by a local batch and by ``mediaproc serve --workers``.

Why processes: libvips releases the GIL while it computes, but the Python around it (the chain, the
small-image path through Pillow, result assembly) does not, so one interpreter tops out at about one core
however many threads wait on it. What every such pool needs, decided once here:

* **fork while the parent has one thread, forkserver otherwise** (spawn where there is neither). A forked
  child of a threaded parent can inherit a lock another thread held (libvips', a progress bar's, serve's
  event loop and pools), so a pool forks only when the operating system counts one thread in this process
  and libvips is not loaded here (:func:`_may_fork`, Linux and Python 3.11+, where ``ProcessPoolExecutor``
  forks every worker before it starts its own thread); all workers are forked at once, when the pool is
  made. A local batch makes its pool before its progress bar starts, so it forks: its first item starts
  ~60-80 ms sooner than through a fork server, which must start an interpreter and import the engine
  before it forks anything, on the critical path of every batch (and no resource tracker process is
  needed). Otherwise the fork server: like any spawned child, a worker re-imports the parent's
  ``__main__``: a script that starts a pool needs the ``if __name__ == "__main__":`` guard (the console
  script has it).
* **Warm, once**: a forked worker imports the engine itself, in parallel with the others. The fork
  server imports the image engine (pyvips, Pillow, the handlers) and the module of the caller's ``setup``
  before it forks the first worker, so every worker starts with them imported (one copy of ~80 ms of
  imports, not one per worker, on the way to the first item), then runs ``setup``. The fork server is one
  per process and outlives its pools: the pool that starts it chooses what it preloads; a worker imports
  whatever else it needs itself.
* **A share of libvips' threads**: ``cores // workers`` each (unless ``VIPS_CONCURRENCY`` is set), so N
  workers do not start N x cores threads. Set in each worker with ``vips_concurrency_set``, because
  libvips read ``VIPS_CONCURRENCY`` once, in the fork server, before the worker count was known (a forked
  worker sets the variable before it imports libvips).
* **Deaf to Ctrl-C and to a group's SIGTERM**: the terminal sends SIGINT to the whole process group, and
  ``timeout``, a CI runner cancelling a job or ``kill -TERM -PGID`` send SIGTERM to it; the parent decides
  what stops (no new items, wait for those in flight, which finish or fail atomically). SIGINT is
  ignored; for SIGTERM each worker leads a process group of its own, because ignoring SIGTERM would hang
  the pool that terminates its workers when one of them died (``ProcessPoolExecutor`` sends SIGTERM).
  The fork server stays in the parent's group but starts with SIGTERM blocked (:func:`_start_fork_server`):
  its death closed every worker's sentinel, which the pool reads as its workers dying, so it broke and
  killed them. A worker killed mid-item by the group's signal left its ``.part`` file behind. A forked
  worker starts with both signals blocked (the parent blocks them around the fork) and drops one that
  reached it before it left the group; it resets every handler it inherited from the parent (the CLI turns
  SIGTERM into an interrupt; an event loop's wakeup descriptor would tell the parent of the worker's
  signals), so it is the same worker a fork server would have started.
* **Operations cross as name and parameters** (:func:`ship`, :func:`land`): an :class:`Op` holds its
  catalogue spec, whose read-only mappings do not pickle; the worker looks the spec up in the same
  catalogue, so what runs there is exactly what the parent validated.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from mediaproc.ops.model import Op


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def worker_pool(
    workers: int, *, setup: Callable[..., None] | None = None, setup_args: tuple[Any, ...] = ()
) -> ProcessPoolExecutor:
    """A pool of ``workers`` warm engine processes (see the module docstring); ``setup(*setup_args)``
    runs once in each worker after the engine is imported (it and its arguments must pickle)."""
    threads = os.environ.get("VIPS_CONCURRENCY") or str(max(1, usable_cores() // max(1, workers)))
    if _may_fork():
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), initializer=_warm,
                                   initargs=(threads, setup, ship(setup_args), True))
        try:
            _fork_now(pool)
        except BaseException:  # a SIGTERM or Ctrl-C delivered as the mask is restored: no pool left behind
            if pool._executor_manager_thread is None:  # a fork failed (EAGAIN, ENOMEM, EMFILE) part-way: the
                # workers already forked wait for work that no thread will send, and this process's exit would
                # wait for them. SIGKILL: they have taken no item, and SIGTERM is blocked or ignored until _warm.
                for process in list(pool._processes.values()):
                    process.kill()
                    process.join()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        return pool
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        context: multiprocessing.context.BaseContext = multiprocessing.get_context("forkserver")
        extra = [setup.__module__] if setup is not None else []
        context.set_forkserver_preload(["__main__", ENGINE_MODULE, *extra])  # "__main__": the default
        _start_fork_server()
    else:
        context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(
        workers, mp_context=context, initializer=_warm, initargs=(threads, setup, ship(setup_args), False)
    )


def _may_fork() -> bool:
    """Whether forking this process is safe: one thread as the operating system counts them (C libraries
    start threads ``threading`` does not know of), and no libvips here to be copied mid-state. Python
    3.11+ only: before, ``ProcessPoolExecutor`` forked its workers one by one, after its own thread had
    started (python/cpython#90622)."""
    if sys.version_info < (3, 11) or "fork" not in multiprocessing.get_all_start_methods():
        return False
    if "pyvips" in sys.modules or threading.active_count() > 1:
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:  # no /proc (not Linux): the threads cannot be counted
        return False


def _fork_now(pool: ProcessPoolExecutor) -> None:
    """Fork every worker of ``pool`` now, while this process has one thread: the first submission forks
    them all before the pool starts its own thread. SIGINT and SIGTERM are blocked meanwhile, so a worker
    starts with both blocked until :func:`_warm` has left the group (the pool's thread inherits the block
    too, so the main thread keeps receiving them). The mask is read before it changes: a signal already
    pending runs its handler inside the call that blocks (CPython checks signals after every mask change),
    and an interrupt raised there must still find the mask restored."""
    kept = signal.pthread_sigmask(signal.SIG_BLOCK, ())
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        pool.submit(os.getpid)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, kept)


ENGINE_MODULE = "mediaproc.engine.image.pipeline"  # pyvips, Pillow, the handlers


def _start_fork_server() -> None:
    """Start this process's fork server (a no-op once it runs) with SIGTERM blocked, which the server
    keeps and every worker it forks inherits until :func:`_warm` lets it through: a group's SIGTERM
    must not end the server (see the module docstring). It needs none to end: it exits when this
    process does, as its pipe from here closes. The mask is this thread's, restored at once; a SIGTERM
    that arrives meanwhile is delivered then."""
    from multiprocessing import forkserver, resource_tracker

    # the fork server starts the resource tracker first, which unblocks SIGTERM (not restores the mask)
    # once it has started its own process: started here, before the block, its start is a no-op inside
    resource_tracker.ensure_running()
    if not hasattr(signal, "pthread_sigmask"):
        forkserver.ensure_running()
        return
    kept = signal.pthread_sigmask(signal.SIG_BLOCK, ())  # read first: see _fork_now
    try:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
        forkserver.ensure_running()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, kept)


def _warm(vips_threads: str, setup: Callable[..., None] | None, setup_args: tuple[Any, ...], forked: bool) -> None:
    if forked:
        _forget_parent_signals()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(os, "setpgid"):
        with suppress(OSError):
            os.setpgid(0, 0)  # out of the parent's group: a group's SIGTERM reaches the parent only
    # a group's SIGTERM that came before setpgid is pending (blocked since the fork, or since the fork
    # server's start, whose workers are in the parent's group until here too): ignoring it discards it
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # blocked since the fork (server's start): the pool stops a worker with it
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.environ["VIPS_CONCURRENCY"] = vips_threads  # read if libvips starts only now (fork, spawn)
    import importlib

    import pyvips

    importlib.import_module(ENGINE_MODULE)  # already there when the fork server preloaded it
    with suppress(ValueError):
        pyvips.concurrency_set(int(vips_threads))  # libvips started in the fork server: set it now
    if setup is not None:
        setup(*land(setup_args))


def _forget_parent_signals() -> None:
    """A forked worker's signals as a fresh interpreter's: the default action for every signal the parent
    handled in Python, and no wakeup descriptor (an event loop's, shared with the parent)."""
    signal.set_wakeup_fd(-1)
    for sig in signal.valid_signals():
        with suppress(OSError, ValueError):
            if callable(signal.getsignal(sig)):
                signal.signal(sig, signal.SIG_DFL)


@dataclass(frozen=True)
class _ShippedOp:
    name: str
    params: dict[str, Any]


def ship(value: Any) -> Any:
    """``value`` with every :class:`Op` in it (also inside lists and tuples) made picklable."""
    if isinstance(value, Op):
        return _ShippedOp(value.spec.name, dict(value.params))
    if isinstance(value, (list, tuple)):
        return type(value)(ship(v) for v in value)
    return value


def land(value: Any) -> Any:
    """The inverse of :func:`ship`, in the worker."""
    if isinstance(value, _ShippedOp):
        from mediaproc.ops.catalog import get_spec

        return Op(get_spec(value.name), MappingProxyType(value.params))
    if isinstance(value, (list, tuple)):
        return type(value)(land(v) for v in value)
    return value


__all__ = ["land", "ship", "usable_cores", "worker_pool"]
