"""Run in a worker process by tests/test_worker_start.py: what the worker started as."""

from __future__ import annotations

import os
import signal
from typing import Any


def probe() -> dict[str, Any]:
    import pyvips

    return {
        "ppid": os.getppid(),
        "own_group": os.getpgid(0) == os.getpid(),
        "sigint_ignored": signal.getsignal(signal.SIGINT) is signal.SIG_IGN,
        "sigterm_default": signal.getsignal(signal.SIGTERM) is signal.SIG_DFL,
        "wakeup_fd": signal.set_wakeup_fd(-1),
        "blocked": sorted(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, set())),
        "vips_threads": int(pyvips.vips_lib.vips_concurrency_get()),
    }
