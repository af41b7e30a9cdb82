"""Which operations of an image chain need a detector or a watermark model: one rule for the image
pipeline (which hands them over) and :mod:`mediaproc.engine.vision` (which runs them).

Why a module of its own: the image pipeline asks this of every operation of every run, and a plain
resize must not import ``engine.vision`` (``tests/cli/test_fast_path.py``); the two used to keep a copy
each. Imports nothing.
"""

from __future__ import annotations

from mediaproc import TYPE_CHECKING

if TYPE_CHECKING:
    from mediaproc.ops.model import Op

__all__ = ["is_vision_op"]


def is_vision_op(op: Op) -> bool:
    """True when an operation of an image chain must be run by ``engine.vision.apply``: smart and face
    crop (``crop`` ``g=auto|face``), face blur (``blur`` ``g=face|faces``), the blind watermark."""
    if op.name == "crop":
        return op.get("g") in ("auto", "face")
    if op.name == "blur":
        return op.get("g") in ("face", "faces")
    return op.name == "blindwatermark-embed"
