"""Message catalogue hook.

Every human-facing string goes through ``_()`` with named placeholders filled *after* translation:
``_("unknown operation {name!r}").format(name=name)``. JSON field names and exit codes never do.
"""

from __future__ import annotations


def _(message: str) -> str:
    return message
