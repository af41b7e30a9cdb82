"""Intelligent image operations on this machine (the local provider's stand-in for IMM / Cloud Infinite).

Two entry points, both called lazily by other layers:

- :func:`apply` — operations inside an image chain, called by ``mediaproc.engine.image`` with the
  chain's current pyvips image: ``crop`` with ``g=auto`` (smartcrop) or ``g=face`` (faces),
  ``blur`` with ``g=face|faces`` (faces), ``blindwatermark-embed`` (blindwatermark).
- :func:`analyze` — stand-alone operations returning IMM-shaped JSON, called by the local provider:
  ``faces``, ``bodies``, ``codes``, ``score``, ``blindwatermark-extract``. Those the catalogue does
  not give the local backend (``cars``, ``labels``) raise validation's
  :class:`~mediaproc.errors.UnsupportedOperation` (exit 2) before reading anything.

Every model ships inside a PyPI wheel (OpenCV's Haar cascade and HOG detector, ZXing-C++, BRISQUE's
SVR); nothing is downloaded at run time. This package imports no cv2, numpy or pyvips at import time:
the submodules do, and they are imported only when an operation runs. Output coordinates refer to
the stored pixel grid (EXIF orientation is not applied, as in the rest of the image chain).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediaproc.engine.intelligent import is_analysis, is_vision_op
from mediaproc.errors import InvalidOperation
from mediaproc.i18n import _
from mediaproc.ops.model import Chain
from mediaproc.ops.validate import check_backend

if TYPE_CHECKING:
    import pyvips

    from mediaproc.ops.model import Op

__all__ = ["analyze", "apply", "is_analysis", "is_vision_op", "local_analyses"]


def local_analyses() -> tuple[str, ...]:
    """The analyses :func:`analyze` runs: the catalogue's, those whose backends include ``local``
    (``cars`` and ``labels`` need a cloud model). Kept once there, not in a list of names here."""
    from mediaproc.ops.catalog import all_specs

    return tuple(spec.name for spec in all_specs() if is_analysis(spec) and "local" in spec.backends)


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
    if not is_analysis(op.spec):
        raise InvalidOperation(
            _("{op} is not an image analysis").format(op=op.name),
            hint=_("use one of: {names}").format(names=", ".join(sorted(local_analyses()))),
        )
    check_backend(Chain(ops=(op,)), "local")  # the refusal validation gives: cars and labels need a cloud model
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
