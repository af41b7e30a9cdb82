"""quality (relative q, absolute Q capped at the source), format conversions, interlace, the
output-format precedence, and unsupported formats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mediaproc.engine.image.encode import _heif_encoder_ok
from mediaproc.engine.image.jpegq import estimate_quality
from mediaproc.errors import ExitCode, UnsupportedOperation

from .helpers import Run, pixels


def test_source_quality_estimate(jpeg_q80: Path) -> None:
    assert estimate_quality(jpeg_q80) == 80


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["quality:q=90"], 72),  # relative: 80 * 90%
        (["quality:q=50"], 40),
        (["quality:Q=90"], 80),  # absolute, but never above the source's 80
        (["quality:Q=60"], 60),
        (["quality:q=50,Q=70"], 70),  # Q wins
        ([], 80),  # no quality op: keep (at most) the source quality
    ],
)
def test_quality_relative_and_absolute(run: Run, jpeg_q80: Path, words: list[str], expected: int) -> None:
    out = run(jpeg_q80, ["resize:w=200", *words], "q.jpg")
    with Image.open(out.path) as im:
        assert im.format == "JPEG"
    assert estimate_quality(out.path) == expected


def test_quality_on_non_jpeg_source_is_absolute(run: Run, coffee_small: Path) -> None:
    out = run(coffee_small, ["quality:q=70", "format:target=jpg"], "q.jpg")
    assert estimate_quality(out.path) == 70


def test_quality_applies_to_webp(run: Run, coffee_small: Path) -> None:
    small = run(coffee_small, ["quality:Q=20", "format:target=webp"], "a.webp")
    big = run(coffee_small, ["quality:Q=95", "format:target=webp"], "b.webp")
    assert small.size < big.size


@pytest.mark.parametrize(
    ("target", "pil_format"),
    [
        ("png", "PNG"),
        ("jpg", "JPEG"),
        ("jpeg", "JPEG"),
        ("webp", "WEBP"),
        ("gif", "GIF"),
        ("tiff", "TIFF"),
        ("bmp", "BMP"),
        ("avif", "AVIF"),
    ],
)
def test_format_conversion(run: Run, jpeg_400x267: Path, target: str, pil_format: str) -> None:
    out = run(jpeg_400x267, ["resize:w=120", f"format:target={target}"], "converted")
    with Image.open(out.path) as im:
        assert im.format == pil_format
        assert im.size == (120, 80)
        im.load()
    assert out.format == {"jpeg": "jpg"}.get(target, target)
    assert out.size == out.path.stat().st_size
    # The content survived the conversion (GIF is palettised, hence the loose bound).
    with Image.open(jpeg_400x267) as src:
        ref = np.asarray(src.convert("RGB").resize((120, 80), Image.Resampling.LANCZOS)).astype(np.int16)
    assert np.abs(pixels(out.path) - ref).mean() < 12


def test_bmp_keeps_alpha_and_bmp_source_is_readable(run: Run, alpha_png: Path, tmp_path: Path) -> None:
    out = run(alpha_png, ["format:target=bmp"], "a.bmp")
    with Image.open(out.path) as im:
        assert im.format == "BMP" and im.mode == "RGBA"
    back = run(out.path, ["resize:w=80", "format:target=png"], "back.png")
    px = pixels(back.path, "RGBA")
    assert px.shape == (60, 80, 4)
    assert px[30, 2, 3] == 0 and px[30, 60, 3] == 255


def test_format_jpg_flattens_alpha_on_white(run: Run, alpha_png: Path) -> None:
    out = run(alpha_png, ["format:target=jpg"], "f.jpg")
    with Image.open(out.path) as im:
        assert im.format == "JPEG" and im.mode == "RGB"
    px = pixels(out.path)
    assert (px[:, :15] >= 250).all()  # the transparent strip became white, not black


def test_format_op_beats_out_format_beats_source(run: Run, coffee_small: Path) -> None:
    assert run(coffee_small, [], "a").format == "png"
    assert run(coffee_small, [], "b", out_format="webp").format == "webp"
    out = run(coffee_small, ["format:target=jpg"], "c", out_format="webp")
    assert out.format == "jpg"
    with Image.open(out.path) as im:
        assert im.format == "JPEG"


def test_heic_output(run: Run, coffee_small: Path, tmp_path: Path) -> None:
    if _heif_encoder_ok("hevc"):  # a libvips build with an HEVC encoder writes it
        out = run(coffee_small, ["format:target=heic"], "h.heic")
        assert out.path.stat().st_size > 0
        return
    with pytest.raises(UnsupportedOperation) as exc:
        run(coffee_small, ["format:target=heic"], "h.heic")
    assert exc.value.exit_code == ExitCode.USAGE
    assert "avif" in (exc.value.hint or "")
    assert not (tmp_path / "h.heic").exists()


def test_unknown_out_format_is_refused(run: Run, coffee_small: Path) -> None:
    with pytest.raises(UnsupportedOperation) as exc:
        run(coffee_small, [], "x", out_format="psd")
    assert exc.value.exit_code == ExitCode.USAGE


@pytest.mark.parametrize(("mode", "progressive"), [(1, True), (0, False)])
def test_interlace_progressive_jpeg(run: Run, jpeg_400x267: Path, mode: int, progressive: bool) -> None:
    out = run(jpeg_400x267, [f"interlace:mode={mode}"], "i.jpg")
    with Image.open(out.path) as im:
        assert bool(im.info.get("progressive")) is progressive
        assert bool(im.info.get("progression")) is progressive


def test_interlace_ignored_for_png(run: Run, coffee_small: Path) -> None:
    out = run(coffee_small, ["interlace:mode=1"], "i.png")
    with Image.open(out.path) as im:
        assert im.format == "PNG" and not im.info.get("interlace")


def test_quality_estimate_shortcut_agrees_with_the_full_search() -> None:
    """The exact-match shortcut (a few tables built) answers what the nearest-table search over all
    100 qualities answers: for every quality's own tables, luma alone or with chroma, and for
    tables off by a little (another encoder's), where the full search decides."""
    import random

    from mediaproc.engine.image import jpegq

    def full_search(tables: dict[int, list[int]]) -> int:
        def dist(a: tuple[int, ...], b: list[int]) -> int:
            return sum(abs(x - y) for x, y in zip(a, b, strict=True))

        errs = {q: dist(jpegq._scaled(jpegq._LUMA, q), tables[0])
                + (dist(jpegq._scaled(jpegq._CHROMA, q), tables[1]) if 1 in tables else 0) for q in range(1, 101)}
        best = min(errs.values())
        return max(q for q, e in errs.items() if e == best)

    rng = random.Random(7)
    cases: list[dict[int, list[int]]] = []
    for q in range(1, 101):
        cases.append({0: list(jpegq._scaled(jpegq._LUMA, q))})
        cases.append({0: list(jpegq._scaled(jpegq._LUMA, q)), 1: list(jpegq._scaled(jpegq._CHROMA, q))})
        cases.append({0: [max(1, v + rng.randint(-2, 2)) for v in jpegq._scaled(jpegq._LUMA, q)],
                      1: list(jpegq._scaled(jpegq._CHROMA, rng.randint(1, 100)))})
    for tables in cases:
        assert jpegq.estimate_from_tables(tables) == full_search(tables), tables
