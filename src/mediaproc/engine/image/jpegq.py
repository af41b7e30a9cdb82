"""Estimate a JPEG's encoder quality from its quantization tables.

OSS's relative quality (``quality,q_N``) scales the *source's* quality, and absolute quality
(``Q_N``) is capped at it, so the engine needs the source quality. JPEG files do not store it; the
encoder derives its tables from the IJG reference tables (Annex K of ITU-T T.81) scaled by a factor
that depends on the quality, so the quality whose scaled tables are nearest to the file's tables is
the estimate. Exact for every libjpeg/libjpeg-turbo/mozjpeg/libvips/Pillow encode with standard
tables; the nearest match for encoders with their own tables (Photoshop, cameras).
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

from mediaproc.engine.image.header import DQT, add_tables, jpeg_segments

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


def _scale(quality: int) -> int:
    """libjpeg's ``jpeg_quality_scaling``: the percentage the reference tables are scaled by."""
    return 5000 // quality if quality < 50 else 200 - 2 * quality


def _scaled(base: tuple[int, ...], quality: int) -> tuple[int, ...]:
    """The table libjpeg's ``jpeg_set_quality`` builds (baseline: entries clamped to 1..255)."""
    scale = _scale(quality)
    return tuple([min(255, max(1, (v * scale + 50) // 100)) for v in base])


@lru_cache(maxsize=1)
def _candidates() -> tuple[tuple[tuple[int, ...], ...], tuple[tuple[int, ...], ...]]:
    """All 100 scaled luma and chroma tables (quality 1..100), built once per process."""
    luma = tuple(_scaled(_LUMA, q) for q in range(1, 101))
    chroma = tuple(_scaled(_CHROMA, q) for q in range(1, 101))
    return luma, chroma


def _distance(candidate: Sequence[int], table: Sequence[int]) -> int:
    return sum(map(abs, map(operator.sub, candidate, table)))  # C loops: ~1 ms for all 100 qualities


def estimate_from_tables(tables: Mapping[int, Sequence[int]]) -> int | None:
    """The IJG quality (1-100) whose tables are nearest to ``tables``; None without a usable table.

    Plain Python, not numpy: importing numpy cost a one-shot ``process`` as much as the whole
    thumbnail (benchmarks/oneshot.py)."""
    luma = tables.get(0)
    if luma is None or len(luma) != 64:
        return None
    chroma = tables.get(1)
    if chroma is not None and len(chroma) != 64:
        chroma = None
    exact = _exact_match(luma, chroma)
    if exact is not None:
        return exact
    cand_luma, cand_chroma = _candidates()
    best_q, best_err = 0, -1
    for q in range(100, 0, -1):  # highest quality among equal fits: the first minimum from the top
        err = _distance(cand_luma[q - 1], luma)
        if chroma is not None:
            err += _distance(cand_chroma[q - 1], chroma)
        if best_err < 0 or err < best_err:
            best_q, best_err = q, err
    return best_q


def _exact_match(luma: Sequence[int], chroma: Sequence[int] | None) -> int | None:
    """The highest quality whose tables equal the file's, found among the few qualities whose scale
    the first luma entry allows; None if none does (another encoder's tables: the full search).

    Every libjpeg-family encoder writes exactly the scaled tables, so this is the usual answer, for
    a handful of tables built instead of 200 (~10 ms of a one-shot run). Equal tables have equal
    first entries, so every quality that matches exactly is among the ones tried, and an exact
    match (distance 0) is what the full search would pick too."""
    t0 = luma[0]
    lo = (100 * t0 - 50) / _LUMA[0] - 1 if t0 > 1 else float("-inf")  # 1 and 255 may be clamped
    hi = (100 * t0 + 50) / _LUMA[0] + 1 if t0 < 255 else float("inf")
    want_luma, want_chroma = tuple(luma), tuple(chroma) if chroma is not None else None
    for q in range(100, 0, -1):
        if lo <= _scale(q) <= hi and _scaled(_LUMA, q) == want_luma and (
            want_chroma is None or _scaled(_CHROMA, q) == want_chroma
        ):
            return q
    return None


def read_tables(path: Path) -> dict[int, list[int]]:
    """The DQT tables of a JPEG (natural order), read from the header segments up to the first
    scan: no pixel decoding, no Pillow (whose open() would also run its decompression-bomb check)."""
    tables: dict[int, list[int]] = {}
    with open(path, "rb") as fh:
        for _code, segment in jpeg_segments(fh, lambda code: code == DQT):
            add_tables(segment, tables)
    return tables


def estimate_quality(path: Path) -> int | None:
    """Quality of a JPEG file from its header (no pixel decoding); None if it has no usable table."""
    try:
        return estimate_from_tables(read_tables(path))
    except OSError:
        return None
