"""Which operations need a detector or a watermark model: one rule for the image pipeline (which hands
them over), :mod:`mediaproc.engine.vision` (which runs them) and the dry-run (which names the engine).

Why a module of its own: the image pipeline asks this of every operation of every run, and a plain
resize must not import ``engine.vision`` (``tests/cli/test_fast_path.py``); each used to keep a copy.
Imports only the operation model.
"""

from __future__ import annotations

from mediaproc import TYPE_CHECKING
from mediaproc.ops.model import Family, Produces

if TYPE_CHECKING:
    from mediaproc.ops.model import Op, OpSpec

__all__ = ["is_analysis", "is_vision_op"]


def is_analysis(spec: OpSpec) -> bool:
    """An intelligent operation that stands alone and answers with JSON (detection, the score, the blind
    watermark's extraction): the catalogue's family and result say which."""
    return spec.family is Family.AI and spec.produces is Produces.JSON


def is_vision_op(op: Op) -> bool:
    """True when an operation of an image chain must be run by ``engine.vision.apply``: smart and face
    crop (``crop`` ``g=auto|face``), face blur (``blur`` ``g=face|faces``), the blind watermark."""
    if op.name == "crop":
        return op.get("g") in ("auto", "face")
    if op.name == "blur":
        return op.get("g") in ("face", "faces")
    return op.name == "blindwatermark-embed"
