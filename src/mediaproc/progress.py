"""Progress as a callback (the fsspec way): producers report, only ``output.py`` renders.

Engines, providers and jobs accept an optional :data:`ProgressCallback` and call it with a
:class:`ProgressEvent` as work advances; they never know whether a bar, plain lines or nothing is
shown.
"""

from __future__ import annotations

from collections.abc import Callable

from mediaproc.record import Record


class ProgressEvent(Record):
    """``completed``/``total`` in ``unit`` (``%``, ``bytes``, ``items``); total None = unknown."""

    completed: float
    total: float | None = 100.0
    unit: str = "%"
    label: str = ""

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return max(0.0, min(1.0, self.completed / self.total))


ProgressCallback = Callable[[ProgressEvent], None]


def percent(callback: ProgressCallback | None, value: float, label: str = "") -> None:
    """Report a percentage if anyone listens."""
    if callback is not None:
        callback(ProgressEvent(completed=value, total=100.0, unit="%", label=label))
