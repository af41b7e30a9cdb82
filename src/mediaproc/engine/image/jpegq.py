"""Estimate a JPEG's encoder quality from its quantization tables.

OSS's relative quality (``quality,q_N``) scales the *source's* quality, and absolute quality
(``Q_N``) is capped at it, so the engine needs the source quality. JPEG files do not store it; the
encoder derives its tables from the IJG reference tables (Annex K of ITU-T T.81) scaled by a factor
that depends on the quality, so the quality whose scaled tables are nearest to the file's tables is
the estimate. Exact for every libjpeg/libjpeg-turbo/mozjpeg/libvips/Pillow encode with standard
tables; the nearest match for encoders with their own tables (Photoshop, cameras).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

# Annex K tables in natural (row-major) order, which is what Pillow's ``quantization`` returns.
_LUMA: tuple[int, ...] = (
    16, 11, 10, 16, 24, 40, 51, 61,
    12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56,
    14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77,
    24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101,
    72, 92, 95, 98, 112, 100, 103, 99,
)  # fmt: skip
_CHROMA: tuple[int, ...] = (
    17, 18, 24, 47, 99, 99, 99, 99,
    18, 21, 26, 66, 99, 99, 99, 99,
    24, 26, 56, 99, 99, 99, 99, 99,
    47, 66, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99,
)  # fmt: skip


def _scaled(base: tuple[int, ...], quality: int) -> tuple[int, ...]:
    """The table libjpeg's ``jpeg_set_quality`` builds (baseline: entries clamped to 1..255)."""
    scale = 5000 // quality if quality < 50 else 200 - 2 * quality
    return tuple(min(255, max(1, (v * scale + 50) // 100)) for v in base)


@lru_cache(maxsize=1)
def _candidates() -> tuple[Any, Any]:
    """All 100 scaled luma and chroma tables as (100, 64) arrays: one vectorised comparison per file."""
    import numpy as np

    luma = np.array([_scaled(_LUMA, q) for q in range(1, 101)], dtype=np.int32)
    chroma = np.array([_scaled(_CHROMA, q) for q in range(1, 101)], dtype=np.int32)
    return luma, chroma


def estimate_from_tables(tables: Mapping[int, Sequence[int]]) -> int | None:
    """The IJG quality (1-100) whose tables are nearest to ``tables``; None without a usable table."""
    import numpy as np

    luma = tables.get(0)
    if luma is None or len(luma) != 64:
        return None
    chroma = tables.get(1)
    cand_luma, cand_chroma = _candidates()
    err = np.abs(cand_luma - np.asarray(luma, dtype=np.int32)).sum(axis=1)
    if chroma is not None and len(chroma) == 64:
        err = err + np.abs(cand_chroma - np.asarray(chroma, dtype=np.int32)).sum(axis=1)
    # Highest quality among equal fits: search the reversed error vector for its first minimum.
    return int(100 - int(np.argmin(err[::-1])))


def estimate_quality(path: Path) -> int | None:
    """Quality of a JPEG file from its header (no pixel decoding); None if it is not a readable JPEG."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            if im.format != "JPEG":
                return None
            tables = getattr(im, "quantization", None)
            if not tables:
                return None
            return estimate_from_tables({k: list(v) for k, v in tables.items()})
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError):
        return None
