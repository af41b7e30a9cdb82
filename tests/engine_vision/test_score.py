"""score: BRISQUE-based OverallQualityScore in 0..1 that ranks degraded copies below the original."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import pyvips

from mediaproc.engine.vision import analyze
from mediaproc.errors import ExitCode, MediaError

from .helpers import DATA, make_op


def _score(path: Path) -> float:
    out = analyze(make_op("score"), path)
    assert set(out) == {"ImageScore", "BrisqueScore", "Method"}
    value = out["ImageScore"]["OverallQualityScore"]
    assert isinstance(value, float) and 0.0 <= value <= 1.0
    return value


@pytest.mark.parametrize("name", ["astronaut.png", "coffee.png", "rocket.jpg"])
def test_score_ranks_blurred_and_noisy_copies_below_the_original(tmp_path: Path, name: str) -> None:
    img = pyvips.Image.new_from_file(str(DATA / name)).copy_memory()
    blurred = tmp_path / "blurred.png"
    img.gaussblur(4).write_to_file(str(blurred))
    rng = np.random.default_rng(7)
    noisy_pixels = np.clip(img.numpy().astype(np.float64) + rng.normal(0, 40, (img.height, img.width, 3)), 0, 255)
    noisy = tmp_path / "noisy.png"
    pyvips.Image.new_from_array(noisy_pixels.astype(np.uint8)).copy(interpretation="srgb").write_to_file(str(noisy))
    original = _score(DATA / name)
    assert original > 0.8
    assert _score(blurred) < original - 0.3
    assert _score(noisy) < original - 0.2


def test_flat_image_has_no_score(tmp_path: Path) -> None:
    path = tmp_path / "flat.png"
    pyvips.Image.black(64, 64, bands=3).copy(interpretation="srgb").write_to_file(str(path))
    with pytest.raises(MediaError) as info:
        analyze(make_op("score"), path)
    assert info.value.exit_code == ExitCode.USAGE
