"""The commands a run printed: every hint that shows a command must work as printed (issue 18).

:func:`printed_commands` finds each ```mediaproc ...``` span in a run's stderr (hints, warnings,
notes); a test runs each through the same ``cli`` fixture, with nothing added, and expects success.
"""

from __future__ import annotations

import re
import shlex

_COMMAND = re.compile(r"`(mediaproc [^`]+)`")


def printed_commands(text: str) -> list[list[str]]:
    """The argument lists (without the leading ``mediaproc``) of every command ``text`` shows, once each."""
    seen: dict[str, list[str]] = {}
    for match in _COMMAND.finditer(text):
        seen.setdefault(match.group(1), shlex.split(match.group(1))[1:])
    return list(seen.values())
