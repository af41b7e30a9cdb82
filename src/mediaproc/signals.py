"""Ctrl-C and ``kill`` (SIGTERM) as one policy: both stop the run the way Ctrl-C does.

Every cleanup path of the tool (``mediaproc.atomic``'s temporary files, a local job's ffmpeg, the
temporary objects of a cloud job, a batch's summary) is written for ``KeyboardInterrupt``. SIGTERM,
what ``timeout``, ``kill`` and a CI runner cancelling a job send, used to end the process on the spot
and leave ``.mediaproc-*.part`` files and an orphaned ffmpeg behind; :func:`terminate_as_interrupt`
makes it raise :class:`Terminated`, a ``KeyboardInterrupt``, so the same paths run.

:func:`interrupts_deferred` holds both signals back while libvips computes an image: a Python signal
handler runs between bytecodes, and during a long libvips call those are the ones of pyvips' cffi log
callback, which swallows the exception ("Exception ignored from cffi callback ... KeyboardInterrupt")
and the run went on to write its result and exit 0. Held back, the signal is delivered again as soon
as the call returns, inside the caller's atomic write, which then removes its temporary file.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would raise ``KeyboardInterrupt`` (the CLI exits 143 for it)."""


_terminated = False


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    global _terminated
    _terminated = True
    raise Terminated()


def was_terminated() -> bool:
    """Whether SIGTERM arrived during this run: Typer turns any ``KeyboardInterrupt`` that reaches it
    into exit 130 and drops the exception, so the CLI asks here whether it was SIGTERM (exit 143)."""
    return _terminated


def terminate_as_interrupt() -> None:
    """From now on SIGTERM raises :class:`Terminated` in the main thread (a no-op elsewhere, or
    where SIGTERM is ignored: a parent that chose to ignore it is obeyed)."""
    global _terminated
    if threading.current_thread() is not threading.main_thread():
        return
    _terminated = False  # a new run (tests run many in one process)
    if signal.getsignal(signal.SIGTERM) is signal.SIG_IGN:
        return
    signal.signal(signal.SIGTERM, _raise_terminated)


@contextmanager
def interrupts_deferred(*, deliver: bool = True) -> Iterator[None]:
    """SIGINT and SIGTERM that arrive inside the block are delivered when it ends (see the module
    doc), or, with ``deliver=False``, dropped: for the cleanup that an interrupt already started,
    which a second one (``timeout`` signals the process and then its whole group; a second Ctrl-C)
    cut short, leaving ffmpeg running and its partial file behind. Only the main thread can hold
    signals; elsewhere the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        held.append(signum)

    kept = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig, handler in kept.items():
        if handler is not signal.SIG_IGN:
            signal.signal(sig, hold)
    try:
        yield
    finally:
        for sig, handler in kept.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        if held and deliver:
            signal.raise_signal(held[0])  # the handler now in place runs: KeyboardInterrupt / Terminated
