"""What the Alibaba fronts' signature checks share: the one key pair, the clock window, the query.

OSS (``mediaproc.emulator.oss.auth``) and IMM (``mediaproc.emulator.imm.auth``) accept the same
access key pair and the same clock skew, and both read a repeated query parameter by its first
value; keeping that here means the two checks cannot drift apart on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MAX_SKEW_SECONDS = 15 * 60


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    access_key_secret: str
    region: str


Pairs = Iterable[tuple[str, str]]


def first_values(pairs: Pairs) -> dict[str, str]:
    """Each name's first value (what the services read when a query repeats a parameter)."""
    out: dict[str, str] = {}
    for k, v in pairs:
        out.setdefault(k, v)
    return out
