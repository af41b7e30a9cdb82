"""Face detection, face crop (crop g=face) and face blur (blur g=face|faces).

Detector: OpenCV's Viola-Jones Haar cascade ``haarcascade_frontalface_alt.xml``, which ships in
the ``opencv-python-headless`` 4.x wheel (``cv2.data.haarcascades``; the 5.x wheels dropped the
cascades and the ``CascadeClassifier`` class, hence the ``<5`` bound in pyproject.toml). Of the
bundled frontal cascades it made no false detection on tests/data at 0.5x-6x scales (``default``
made 13, ``alt2`` 2) while finding astronaut.png's face at every scale. It finds upright frontal
faces down to 24x24 px; profiles and strongly tilted faces are missed. The image is equalised and
searched at most 1024 px on its long side (boxes are mapped back), so a 12 MP photo costs about
what a 1 MP one does.

``FigureConfidence`` is ``1 - exp(-n / 10)`` with ``n`` the number of overlapping raw windows
merged into the detection (``detectMultiScale2``; at least ``MIN_NEIGHBORS`` = 5, i.e. 0.39):
astronaut.png's face gathers about 40 (0.98). It orders detections; it is not a calibrated
probability. IMM's attribute fields (Age, Gender, Emotion, Mouth, Beard, Hat,
Mask, Glasses, HeadPose, FaceQuality, Sharpness, Attractive, FigureId, FigureClusterId) need
models no PyPI wheel carries and are left out rather than invented.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediaproc.engine.vision.common import Box, place, shrink, to_gray, to_rgb

if TYPE_CHECKING:
    import numpy as np
    import pyvips

CASCADE = "haarcascade_frontalface_alt.xml"
MAX_SIDE = 1024
MIN_FACE = 24
SCALE_FACTOR = 1.1
MIN_NEIGHBORS = 5
NEIGHBOR_SCALE = 10.0  # see the module docstring
DEFAULT_BLUR_R = 25
DEFAULT_BLUR_S = 25


@dataclass(frozen=True)
class Face:
    box: Box
    confidence: float

    def to_imm(self) -> dict[str, Any]:
        """One IMM ``Figure`` (DetectImageFaces ``Faces[]``): only the fields a local detector knows."""
        return {
            "FigureType": "face",
            "FigureConfidence": round(self.confidence, 4),
            "Boundary": self.box.boundary(),
        }


@lru_cache(maxsize=1)
def _cascade() -> Any:
    import cv2

    from mediaproc.errors import ServiceError
    from mediaproc.i18n import _

    path = str(Path(cv2.__file__).parent / "data" / CASCADE)  # what cv2.data.haarcascades names
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise ServiceError(
            _("the face model {name} is missing from the installed OpenCV").format(name=CASCADE),
            hint=_("reinstall opencv-python-headless 4.x (pip install 'opencv-python-headless>=4.9,<5')"),
        )
    return cascade


def detect(rgb: np.ndarray) -> list[Face]:
    """Faces in an 8-bit RGB array, largest first."""
    import cv2
    import numpy as np

    small, scale = shrink(rgb, MAX_SIDE)
    gray = cv2.equalizeHist(to_gray(small))
    rects, neighbors = _cascade().detectMultiScale2(
        gray, scaleFactor=SCALE_FACTOR, minNeighbors=MIN_NEIGHBORS, minSize=(MIN_FACE, MIN_FACE)
    )
    faces = []
    h, w = rgb.shape[:2]
    for (x, y, bw, bh), n in zip(rects, np.ravel(neighbors) if len(rects) else [], strict=True):
        box = Box(round(x / scale), round(y / scale), round(bw / scale), round(bh / scale)).clip(w, h)
        faces.append(Face(box, 1.0 - math.exp(-float(n) / NEIGHBOR_SCALE)))
    faces.sort(key=lambda f: (-f.box.area, -f.confidence))
    return faces


def analyze(img: pyvips.Image) -> dict[str, Any]:
    """IMM DetectImageFaces shape: ``{"Faces": [Figure, ...]}``, largest face first."""
    return {"Faces": [face.to_imm() for face in detect(to_rgb(img))]}


def crop(img: pyvips.Image, w: int | None, h: int | None, p: int | None) -> pyvips.Image:
    """crop g=face: a window centred on the largest face.

    Window size: ``w`` x ``h`` where given; a missing side is the face box's side times ``p``/100
    (``p`` 1-200, default 100 = exactly the face box). The window is shifted, not clipped, to stay
    inside the image, and is cut to the image when larger. ``x``/``y`` offsets do not apply to
    face gravity. Without a detectable face the window is centred on the image instead (what
    face-aware croppers commonly fall back to), and with neither ``w``/``h`` nor a face the image is
    returned unchanged.
    """
    faces = detect(to_rgb(img))
    zoom = (p if p is not None else 100) / 100
    if faces:
        face = faces[0].box
        width = w if w is not None else max(1, round(face.width * zoom))
        height = h if h is not None else max(1, round(face.height * zoom))
        center = face.center
    else:
        if w is None and h is None:
            return img
        width = w if w is not None else img.width
        height = h if h is not None else img.height
        center = (img.width / 2, img.height / 2)
    box = place(center, width, height, img.width, img.height)
    return img.crop(box.left, box.top, box.width, box.height)


def blur(img: pyvips.Image, *, all_faces: bool, r: int | None, s: int | None, p: int | None) -> pyvips.Image:
    """blur g=face (largest) / g=faces (all): Gaussian blur inside the face boxes only.

    Each box is grown by ``p``/100 around its centre (default 100). The blur has standard deviation
    ``s`` and a kernel cut at radius ``r`` (OSS's two blur parameters; defaults 25/25 when absent),
    computed from a margin of ``r`` pixels around the box so the box edge is not darkened by the
    image border, and only the box is written back: pixels outside every box are untouched. No
    face, no change.
    """
    faces = detect(to_rgb(img))
    if not faces:
        return img
    if not all_faces:
        faces = faces[:1]
    zoom = (p if p is not None else 100) / 100
    radius = r if r is not None else DEFAULT_BLUR_R
    sigma = s if s is not None else DEFAULT_BLUR_S
    mask = _kernel(radius, sigma)
    out = img
    for face in faces:
        box = face.box.scaled(zoom).clip(img.width, img.height)
        if box.area == 0:
            continue
        out = out.insert(_blur_region(out, box, radius, mask), box.left, box.top)
    return out


def _kernel(radius: int, sigma: float) -> pyvips.Image:
    import math

    import pyvips

    coeffs = [math.exp(-(i * i) / (2 * sigma * sigma)) for i in range(-radius, radius + 1)]
    total = sum(coeffs)
    return pyvips.Image.new_from_list([[c / total for c in coeffs]], scale=1)


def _blur_region(img: pyvips.Image, box: Box, radius: int, mask: pyvips.Image) -> pyvips.Image:
    outer = Box(box.left - radius, box.top - radius, box.width + 2 * radius, box.height + 2 * radius)
    outer = outer.clip(img.width, img.height)
    region = img.crop(outer.left, outer.top, outer.width, outer.height)
    # Pad by mirroring where the margin ran off the image, so the kernel always has real-looking data.
    pad = radius
    padded = region.embed(pad, pad, region.width + 2 * pad, region.height + 2 * pad, extend="mirror")
    blurred = padded.convsep(mask, precision="float")
    blurred = blurred.crop(pad, pad, region.width, region.height)
    inner = blurred.crop(box.left - outer.left, box.top - outer.top, box.width, box.height)
    if inner.format != img.format:
        inner = inner.rint().cast(img.format) if img.format not in ("float", "double") else inner.cast(img.format)
    return inner.copy(interpretation=img.interpretation)
