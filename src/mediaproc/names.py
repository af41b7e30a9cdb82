"""The provider names, in the order every listing shows them.

A core module (DESIGN.md, "Layers"): configuration validates ``--provider`` against it, the lazy
registry maps each name to its class, the operation catalogue says which of them run an operation,
and ``mediaproc ops`` and shell completion list them. Keeping the one tuple here, below all of those,
is what lets config stop importing the provider registry.
"""

from __future__ import annotations

from mediaproc import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Literal

    ProviderName = Literal["local", "oss", "cos"]

PROVIDER_NAMES: tuple[ProviderName, ...] = ("local", "oss", "cos")
