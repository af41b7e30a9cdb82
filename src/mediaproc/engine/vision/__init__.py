"""Intelligent image operations on this machine (the local provider's stand-in for IMM / Cloud Infinite).

Two entry points, both called lazily by other layers:

- :func:`apply` — operations inside an image chain, called by ``mediaproc.engine.image`` with the
  chain's current pyvips image: ``crop`` with ``g=auto`` (smartcrop) or ``g=face`` (faces),
  ``blur`` with ``g=face|faces`` (faces), ``blindwatermark-embed`` (blindwatermark).
- :func:`analyze` — stand-alone operations returning IMM-shaped JSON, called by the local provider:
  ``faces``, ``bodies``, ``codes``, ``score``, ``blindwatermark-extract``. ``cars`` and ``labels``
  raise :class:`~mediaproc.errors.UnsupportedOperation` (exit 2) before reading anything.

Every model ships inside a PyPI wheel (OpenCV's Haar cascade and HOG detector, ZXing-C++, BRISQUE's
SVR); nothing is downloaded at run time. This package imports no cv2, numpy or pyvips at import time:
the submodules do, and they are imported only when an operation runs. Output coordinates refer to
the stored pixel grid (EXIF orientation is not applied, as in the rest of the image chain).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from mediaproc.errors import InvalidOperation, UnsupportedOperation
from mediaproc.i18n import _

if TYPE_CHECKING:
    import pyvips

    from mediaproc.ops.model import Op

__all__ = ["ANALYSES", "NOT_LOCAL", "analyze", "apply", "is_vision_op"]

ANALYSES = frozenset({"faces", "bodies", "codes", "score", "blindwatermark-extract"})
NOT_LOCAL: Mapping[str, str] = MappingProxyType(
    {
        "cars": "car and licence plate detection",
        "labels": "scene and object labelling",
    }
)


def is_vision_op(op: Op) -> bool:
    """True when an operation of an image chain must be run by :func:`apply`."""
    if op.name == "crop":
        return op.get("g") in ("auto", "face")
    if op.name == "blur":
        return op.get("g") in ("face", "faces")
    return op.name == "blindwatermark-embed"


def apply(img: pyvips.Image, op: Op) -> pyvips.Image:
    """Run one intelligent operation of an image chain and return the new image."""
    from mediaproc.engine.vision.common import single_frame

    if not is_vision_op(op):
        raise InvalidOperation(
            _("{op} is not an intelligent image operation").format(op=op.name),
            hint=_("run it with the image engine"),
        )
    single_frame(img, op.name)
    img = img.copy_memory()  # detectors read the pixels, then the op reads them again
    if op.name == "crop" and op.get("g") == "auto":
        from mediaproc.engine.vision import smartcrop

        return smartcrop.crop(img, op.get("w"), op.get("h"))
    if op.name == "crop":
        from mediaproc.engine.vision import faces

        return faces.crop(img, op.get("w"), op.get("h"), op.get("p"))
    if op.name == "blur":
        from mediaproc.engine.vision import faces

        return faces.blur(img, all_faces=op.get("g") == "faces", r=op.get("r"), s=op.get("s"), p=op.get("p"))
    from mediaproc.engine.vision import blindwatermark

    return blindwatermark.embed(img, op.get("content") or "", op.get("s") or "low")


def analyze(op: Op, src: Path) -> dict[str, Any]:
    """IMM-shaped JSON for a stand-alone intelligent operation on the image file ``src``."""
    if op.name in NOT_LOCAL:
        raise UnsupportedOperation(
            _("{op} ({what}) is not available on the local provider; use --provider oss or cos").format(
                op=op.name, what=NOT_LOCAL[op.name]
            ),
            hint=_("no model for it ships in a PyPI wheel; OSS (IMM) and COS (Cloud Infinite) run it"),
        )
    if op.name not in ANALYSES:
        raise InvalidOperation(
            _("{op} is not an image analysis").format(op=op.name),
            hint=_("use one of: {names}").format(names=", ".join(sorted(ANALYSES))),
        )
    from mediaproc.engine.vision.common import load, single_frame

    img = load(src)
    single_frame(img, op.name)
    if op.name == "faces":
        from mediaproc.engine.vision import faces

        return faces.analyze(img)
    if op.name == "bodies":
        from mediaproc.engine.vision import bodies

        return bodies.analyze(img)
    if op.name == "codes":
        from mediaproc.engine.vision import codes

        return codes.analyze(img)
    if op.name == "score":
        from mediaproc.engine.vision import score

        return score.analyze(img)
    from mediaproc.engine.vision import blindwatermark

    return blindwatermark.extract(img, op.get("s"))
