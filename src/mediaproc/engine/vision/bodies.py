"""Human body detection (IMM DetectImageBodies shape).

Detector: OpenCV's HOG people detector (Dalal & Triggs, linear SVM trained on the INRIA pedestrian
set), built into OpenCV as ``HOGDescriptor_getDefaultPeopleDetector()`` — no model file at all. It
finds standing or walking people seen whole, at least 64x128 px (the image is searched at most
1024 px on its long side, and upscaled 2x when smaller than 512 px so that people down to about
32x64 px are found). It does not find seated people, half-length portraits or close-ups:
tests/data/astronaut.png (a half-length portrait) yields no body, by design of the model, and
raising sensitivity only adds false boxes on objects (its space-suit helmet scores an SVM margin of
0.7, rocket.jpg's rocket 0.6), so windows below ``MIN_MARGIN`` are dropped.

``Confidence`` is ``1 / (1 + exp(-2 * (m - MIN_MARGIN)))`` with ``m`` the SVM margin of the
window, so a window at ``MIN_MARGIN`` scores 0.5; overlapping windows (IoU above 0.45) keep only
the best. It orders detections; it is not a calibrated probability.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from mediaproc.engine.vision.common import Box, logistic, shrink, to_rgb

if TYPE_CHECKING:
    import numpy as np
    import pyvips

MAX_SIDE = 1024
UPSCALE_BELOW = 512
MIN_MARGIN = 1.0
NMS_IOU = 0.45


@lru_cache(maxsize=1)
def _hog() -> Any:
    import cv2
    import numpy as np

    hog = cv2.HOGDescriptor()
    hog.setSVMDetector(np.asarray(cv2.HOGDescriptor.getDefaultPeopleDetector(), dtype=np.float32))
    return hog


def detect(rgb: np.ndarray) -> list[tuple[Box, float]]:
    """(box, confidence) of people in an 8-bit RGB array, most confident first."""
    import cv2
    import numpy as np

    small, scale = shrink(rgb, MAX_SIDE)
    if max(small.shape[:2]) < UPSCALE_BELOW:
        small = cv2.resize(small, None, fx=2, fy=2, interpolation=cv2.INTER_LINEAR)
        scale *= 2
    rects, margins = _hog().detectMultiScale(small, winStride=(8, 8), padding=(16, 16), scale=1.05)
    h, w = rgb.shape[:2]
    found = []
    for (x, y, bw, bh), margin in zip(rects, np.ravel(margins) if len(rects) else [], strict=True):
        if float(margin) < MIN_MARGIN:
            continue
        box = Box(round(x / scale), round(y / scale), round(bw / scale), round(bh / scale)).clip(w, h)
        found.append((box, logistic(2 * (float(margin) - MIN_MARGIN))))
    found.sort(key=lambda item: -item[1])
    kept: list[tuple[Box, float]] = []
    for box, conf in found:  # HOG reports overlapping windows for one person: keep the best
        if all(box.iou(other) < NMS_IOU for other, _c in kept):
            kept.append((box, conf))
    return kept


def analyze(img: pyvips.Image) -> dict[str, Any]:
    """IMM DetectImageBodies shape: ``{"Bodies": [{"Confidence", "Boundary"}, ...]}``."""
    return {"Bodies": [{"Confidence": round(conf, 4), "Boundary": box.boundary()} for box, conf in detect(to_rgb(img))]}
