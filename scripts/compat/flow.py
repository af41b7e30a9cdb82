"""What every compat flow shares: run each step, report each one, and close with the line run.py reads.

A flow runs in the compat venv as a script (``python scripts/compat/<name>_flow.py``), so this sibling
module is importable by name there.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence


def run_steps(steps: Sequence[tuple[str, Callable[[], object]]], *, detail_chars: int = 600) -> None:
    """Every step runs, whatever an earlier one raised; ``FLOW <passed> <total>`` closes the output."""
    passed = 0
    for name, step in steps:
        try:
            step()
        except Exception as exc:  # a flow reports every step, whatever it raised
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            print(f"FAIL {name}: {detail[:detail_chars]}", flush=True)
        else:
            passed += 1
            print(f"PASS {name}", flush=True)
    print(f"FLOW {passed} {len(steps)}", flush=True)
