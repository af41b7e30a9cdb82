"""See DESIGN.md for this layer's role.

:func:`analyze` is the one entry for the operations that answer with JSON (see
:mod:`mediaproc.engine.analysis`); it imports no engine until it runs.
"""

from mediaproc.engine.analysis import analyze

__all__ = ["analyze"]
