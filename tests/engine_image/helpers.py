"""Shared helpers for the image engine tests (decoding outputs, saving derived sources)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from mediaproc.engine.image import ImageOutput

DATA = Path(__file__).resolve().parents[1] / "data"

Run = Callable[..., ImageOutput]


def pixels(path: Path, mode: str = "RGB") -> np.ndarray:
    """Decoded pixels of a written file (int16 so differences do not wrap)."""
    with Image.open(path) as im:
        return np.asarray(im.convert(mode)).astype(np.int16)


def save(img: Image.Image, path: Path, **kw: object) -> Path:
    img.save(path, **kw)
    return path
