"""Helpers for the vision engine tests: ops built from the catalogue, exact crop location, box maths."""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pyvips

from mediaproc.ops.catalog import get_spec
from mediaproc.ops.model import Op

DATA = Path(__file__).resolve().parent.parent / "data"

# Hand-checked face box of tests/data/astronaut.png (Left, Top, Width, Height), read off a 10 px grid
# drawn over the image: cheek to cheek x 178-272, eyebrows to chin y 82-180.
ASTRONAUT_FACE = (178, 82, 94, 98)


def make_op(name: str, **params: Any) -> Op:
    return Op(spec=get_spec(name), params=MappingProxyType(params))


def pixels(img: pyvips.Image) -> np.ndarray:
    return np.asarray(img.numpy())


def locate(haystack: np.ndarray, needle: np.ndarray) -> tuple[int, int]:
    """(left, top) where ``needle`` sits inside ``haystack`` (exact sub-image search)."""
    import cv2

    res = cv2.matchTemplate(haystack.astype(np.float32), needle.astype(np.float32), cv2.TM_SQDIFF)
    _min, _max, loc, _maxloc = cv2.minMaxLoc(res)
    left, top = int(loc[0]), int(loc[1])
    h, w = needle.shape[:2]
    assert np.array_equal(haystack[top : top + h, left : left + w], needle), "not an exact region of the source"
    return left, top


def iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    iw = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = iw * ih
    return inter / (aw * ah + bw * bh - inter)


def contains(outer: tuple[int, int, int, int], inner: tuple[int, int, int, int], slack: int = 0) -> bool:
    ox, oy, ow, oh = outer
    ix, iy, iw, ih = inner
    return ix >= ox - slack and iy >= oy - slack and ix + iw <= ox + ow + slack and iy + ih <= oy + oh + slack


def boundary(d: dict[str, int]) -> tuple[int, int, int, int]:
    return (d["Left"], d["Top"], d["Width"], d["Height"])
