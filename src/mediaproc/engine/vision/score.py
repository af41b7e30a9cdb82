"""No-reference image quality score (IMM DetectImageScore shape).

Method: BRISQUE (Mittal, Moorthy & Bovik, "No-Reference Image Quality Assessment in the Spatial
Domain", IEEE TIP 2012) from the PyPI package ``brisque`` (Apache-2.0), whose wheel carries the
LIVE-trained SVR model (``brisque/models/svm.txt`` and ``normalize.pickle``). BRISQUE rates
*technical* quality — blur, noise, compression artefacts — on a scale of about 0 (pristine) to 100
(very distorted); IMM's ``OverallQualityScore`` (0-1, higher is better) also weighs aesthetics
such as composition, which no local model here judges.

Mapping: ``OverallQualityScore = clamp(1 - brisque / 100, 0, 1)``, rounded to 3 decimals; the raw
value is given as ``BrisqueScore`` and the method as ``Method`` (extra, provider-neutral fields).
The image is flattened on white, converted to 8-bit RGB and shrunk to at most 1024 px on its long
side first (BRISQUE's cost grows with the pixel count; its features are multi-scale).

Measured on tests/data (raw BRISQUE, original / Gaussian blur sigma 4 / Gaussian noise sigma 40):
astronaut 10.8 / 83.1 / 61.2, chelsea 2.9 / 87.3 / 64.1, coffee 3.1 / 82.6 / 59.3.

``brisque`` 0.2.0 turns each feature into a float with ``float(array)``, which NumPy 2.4 rejects for
the 1-element arrays its own feature code makes; ``_Brisque`` flattens them first (same numbers).
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from mediaproc.engine.vision.common import shrink, to_rgb

if TYPE_CHECKING:
    import pyvips

MAX_SIDE = 1024
METHOD = "BRISQUE (brisque, LIVE SVR); OverallQualityScore = clamp(1 - BRISQUE/100, 0, 1)"


@lru_cache(maxsize=1)
def _model() -> Any:
    import warnings

    import numpy as np

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # brisque imports scipy.ndimage.filters
        from brisque import BRISQUE

    class _Brisque(BRISQUE):
        def scale_features(self, features: Any) -> Any:
            flat = [float(np.asarray(f, dtype=np.float64).reshape(-1)[0]) for f in features]
            return super().scale_features(flat)

    return _Brisque(url=False)


def brisque(rgb: Any) -> float:
    """Raw BRISQUE of an 8-bit RGB array (lower is better); NaN for an image without texture."""
    import numpy as np

    small, _scale = shrink(rgb, MAX_SIDE)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(_model().score(small))


def analyze(img: pyvips.Image) -> dict[str, Any]:
    """``{"ImageScore": {"OverallQualityScore": 0..1}, "BrisqueScore": raw, "Method": ...}``."""
    from mediaproc.errors import MediaError
    from mediaproc.i18n import _

    if img.width < 16 or img.height < 16:
        raise MediaError(
            _("the image is {w}x{h} px; the quality score needs at least 16x16").format(w=img.width, h=img.height),
            hint=_("score a larger image"),
        )
    raw = brisque(to_rgb(img))
    if not math.isfinite(raw):
        raise MediaError(
            _("the quality score is undefined for an image without texture (one flat colour)"),
            hint=_("score a photograph; BRISQUE measures the statistics of local contrast"),
        )
    overall = min(1.0, max(0.0, 1.0 - raw / 100.0))
    return {
        "ImageScore": {"OverallQualityScore": round(overall, 3)},
        "BrisqueScore": round(raw, 3),
        "Method": METHOD,
    }
