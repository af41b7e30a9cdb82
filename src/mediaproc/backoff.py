"""The one sleep between two attempts.

The OSS retry policy (:func:`mediaproc.providers.oss.errors.retry_call`) and the async-job poll loop
(:func:`mediaproc.jobs.wait`, through :meth:`mediaproc.jobs.Job.wait_changed`) wait through
:func:`sleep`, looked up at each call, never through ``time.sleep`` directly. How long they wait and
how many attempts they make stay with them; this is only where the waiting happens, so a test can
record the waits and shorten them without changing the attempts (``tests/conftest.py``,
``fast_backoff``). Production behaviour: exactly ``time.sleep``.
"""

from __future__ import annotations

import time


def sleep(seconds: float) -> None:
    """Wait ``seconds`` before the next attempt."""
    time.sleep(seconds)
