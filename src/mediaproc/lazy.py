"""Package attributes imported on first use (PEP 562), so importing a package stays cheap.

Shell completion imports ``mediaproc.ops`` on every Tab press and the CLI imports
``mediaproc.engine.image`` before it knows whether a run needs pixels; both packages name their public
functions here and pay for the module behind one only when it is used.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

from mediaproc import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any


def lazy_attributes(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``where[name]`` (a module path) and returns its ``name``."""

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    return __getattr__
