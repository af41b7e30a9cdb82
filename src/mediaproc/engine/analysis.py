"""One entry for the operations that answer with a JSON document instead of a file.

``info``, ``average-hue``, ``video/info``, ``audio/info``, detection (``faces``, ``codes`` ...)
and blind-watermark extraction are computed here for every caller: the local provider, serve's OSS
front (``x-oss-process`` JSON results) and its COS front (``?imageInfo``, ``?imageAve``,
``ci-process=videoinfo``, detection), and ``--verify`` reading a local result back. Each used to
pick the engine function itself, and they drifted: ``audio/info`` listed the video streams through
serve but not locally. ``audio/info`` is the audio operation, so it reports the audio streams only;
``video/info`` reports them all.

The engines are imported on the call that needs them: importing this module loads no pyvips, PyAV
or OpenCV.
"""

from __future__ import annotations

from pathlib import Path

from mediaproc import TYPE_CHECKING
from mediaproc.ops.model import Op

if TYPE_CHECKING:
    from typing import Any


def as_op(op: Op | str) -> Op:
    """A read-only operation named bare (``"info"``) takes no parameters, so its name is enough."""
    if isinstance(op, Op):
        return op
    from mediaproc.ops.catalog import get_spec

    return Op(spec=get_spec(op))


def analyze(op: Op | str, src: Path) -> dict[str, Any]:
    """The JSON document of one stand-alone JSON operation on the local file ``src``.

    Raises :class:`~mediaproc.errors.UnsupportedOperation` for an operation with no local model
    (``cars``, ``labels``) before reading anything; callers that speak a wire translate it.
    """
    op = as_op(op)
    if op.name == "info":
        from mediaproc.engine.image import image_info

        return image_info(src)
    if op.name == "average-hue":
        from mediaproc.engine.image import average_hue

        return average_hue(src)
    if op.name in ("video/info", "audio/info"):
        from mediaproc.engine.av import probe

        return probe(src, kind="audio" if op.name == "audio/info" else "video")
    from mediaproc.engine.vision import analyze as vision_analyze

    return vision_analyze(op, src)


__all__ = ["analyze", "as_op"]
