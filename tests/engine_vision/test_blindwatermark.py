"""blindwatermark-embed / -extract: round trip through JPEG q80 + 90 % resize, honest "not found"."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import pyvips

from mediaproc.engine.vision import analyze, apply
from mediaproc.errors import ExitCode, InvalidOperation, ServiceError

from .helpers import DATA, make_op, pixels

TEXT = "mediaproc ✓ 2026"


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * np.log10(255**2 / mse)


def _attack(img: pyvips.Image, tmp_path: Path) -> Path:
    """Re-encode as JPEG q80, resize to 90 %, and save as JPEG q80 again (what a re-upload does)."""
    first = tmp_path / "q80.jpg"
    img.jpegsave(str(first), Q=80)
    smaller = pyvips.Image.new_from_file(str(first)).resize(0.9)
    out = tmp_path / "q80-90pct.jpg"
    smaller.jpegsave(str(out), Q=80)
    return out


@pytest.mark.parametrize("strength", ["low", "medium", "high"])
@pytest.mark.parametrize("name", ["astronaut.png", "rocket.jpg"])
def test_round_trip_survives_jpeg_q80_and_90_percent_resize(tmp_path: Path, name: str, strength: str) -> None:
    src = pyvips.Image.new_from_file(str(DATA / name)).copy_memory()
    marked = apply(src, make_op("blindwatermark-embed", content=TEXT, s=strength))
    assert (marked.width, marked.height, marked.bands) == (src.width, src.height, src.bands)
    assert _psnr(pixels(src), pixels(marked)) > {"low": 44, "medium": 40, "high": 37}[strength]
    attacked = _attack(marked, tmp_path)
    assert pyvips.Image.new_from_file(str(attacked)).width == round(src.width * 0.9)
    result = analyze(make_op("blindwatermark-extract", s=strength), attacked)
    assert result["Content"] == TEXT
    assert result["StrengthLevel"] == strength
    assert result["Model"] == "DWT-DCT-SVD-QIM"
    assert 0 < result["Confidence"] <= 1


@pytest.mark.parametrize("name", ["astronaut.png", "coffee.png", "hubble_deep_field.jpg"])
def test_unmarked_image_says_no_watermark(name: str) -> None:
    with pytest.raises(ServiceError) as info:
        analyze(make_op("blindwatermark-extract"), DATA / name)
    assert info.value.code == "WatermarkNotFound"
    assert info.value.exit_code == ExitCode.SERVICE
    assert "no blind watermark" in info.value.message


def test_noise_image_says_no_watermark(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    path = tmp_path / "noise.png"
    noise = rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)
    pyvips.Image.new_from_array(noise).copy(interpretation="srgb").write_to_file(str(path))
    with pytest.raises(ServiceError):
        analyze(make_op("blindwatermark-extract", s="high"), path)


def test_extraction_reports_the_strength_actually_used(tmp_path: Path, astronaut: pyvips.Image) -> None:
    path = tmp_path / "marked.png"
    apply(astronaut, make_op("blindwatermark-embed", content="id=7", s="high")).write_to_file(str(path))
    result = analyze(make_op("blindwatermark-extract", s="low"), path)
    assert (result["Content"], result["StrengthLevel"]) == ("id=7", "high")


def test_alpha_and_grey_images(tmp_path: Path, astronaut: pyvips.Image) -> None:
    alpha = pyvips.Image.black(512, 512).linear(0, 200).cast("uchar")
    rgba = astronaut.bandjoin(alpha)
    marked = apply(rgba, make_op("blindwatermark-embed", content="alpha"))
    assert (marked.bands, marked.format) == (4, "uchar")
    assert np.array_equal(pixels(marked)[..., 3], pixels(rgba)[..., 3])
    path = tmp_path / "rgba.png"
    marked.write_to_file(str(path))
    assert analyze(make_op("blindwatermark-extract"), path)["Content"] == "alpha"

    grey = astronaut.colourspace("b-w")
    marked_grey = apply(grey, make_op("blindwatermark-embed", content="grey"))
    assert marked_grey.bands == 1
    path = tmp_path / "grey.jpg"
    marked_grey.jpegsave(str(path), Q=85)
    assert analyze(make_op("blindwatermark-extract"), path)["Content"] == "grey"


def test_content_too_long_for_a_small_image_is_refused(tmp_path: Path, coffee: pyvips.Image) -> None:
    small = coffee.resize(0.5)  # 300x200
    with pytest.raises(InvalidOperation) as info:
        apply(small, make_op("blindwatermark-embed", content="x" * 40))
    assert info.value.exit_code == ExitCode.USAGE
    match = re.search(r"holds at most (\d+) bytes", info.value.message)
    assert match, info.value.message
    most = int(match.group(1))
    assert most >= 10
    path = tmp_path / "full.png"
    apply(small, make_op("blindwatermark-embed", content="y" * most)).write_to_file(str(path))
    assert analyze(make_op("blindwatermark-extract"), path)["Content"] == "y" * most


def test_image_below_80_px_is_refused(coffee: pyvips.Image) -> None:
    with pytest.raises(InvalidOperation):
        apply(coffee.crop(0, 0, 200, 60), make_op("blindwatermark-embed", content="x"))


def test_image_over_10000_px_is_refused_both_ways(tmp_path: Path) -> None:
    """IMM's documented maximum side; checked from the header, before any pixel is decoded."""
    from mediaproc.errors import MediaError

    wide = (pyvips.Image.black(10_001, 80, bands=3) + 128).cast("uchar").copy(interpretation="srgb")
    with pytest.raises(MediaError) as exc:
        apply(wide, make_op("blindwatermark-embed", content="x"))
    assert exc.value.code == "ImageTooLarge" and "10001x80" in exc.value.message
    src = tmp_path / "wide.png"
    wide.write_to_file(str(src))
    with pytest.raises(MediaError) as exc:
        analyze(make_op("blindwatermark-extract"), src)
    assert exc.value.code == "ImageTooLarge" and exc.value.exit_code == ExitCode.USAGE
    edge = (pyvips.Image.black(10_000, 80, bands=3) + 128).cast("uchar").copy(interpretation="srgb")
    assert apply(edge, make_op("blindwatermark-embed", content="x")).width == 10_000


def test_embedding_keeps_the_icc_profile_and_resolution() -> None:
    src = pyvips.Image.new_from_file(str(DATA / "rocket.jpg"))
    assert "icc-profile-data" in src.get_fields()
    marked = apply(src, make_op("blindwatermark-embed", content="icc"))
    assert marked.get("icc-profile-data") == src.get("icc-profile-data")
    assert (marked.xres, marked.yres) == (src.xres, src.yres)
