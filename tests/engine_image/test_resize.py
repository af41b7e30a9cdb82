"""resize: every row of the SPEC §4 table, both through shrink-on-load (resize first) and in-chain
(after a no-op rotate), plus pad colour pixels, fill's centre crop and the pure size rules."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mediaproc.engine.image.geometry import resize_plan, round_half_up

from .helpers import Run, pixels

SPEC_TABLE = [
    # (source, parameters, expected output)
    ("200x100", "mode=lfit,w=150,h=80", (150, 75)),
    ("200x100", "mode=mfit,w=150,h=80", (160, 80)),
    ("200x100", "mode=fill,w=150,h=80", (150, 80)),
    ("200x100", "mode=pad,w=150,h=80", (150, 80)),
    ("200x100", "mode=fixed,w=150,h=80", (150, 80)),
    ("400x267", "p=50", (200, 134)),
    ("400x267", "l=100", (100, 67)),
    ("400x267", "s=100", (150, 100)),
    ("400x267", "w=500", (400, 267)),
    ("400x267", "w=500,limit=0", (500, 334)),
]

PREFIXES = {"shrink-on-load": [], "in-chain": ["rotate:angle=360"]}


@pytest.mark.parametrize("prefix", list(PREFIXES))
@pytest.mark.parametrize(("source", "params", "expected"), SPEC_TABLE)
def test_spec_table(
    request: pytest.FixtureRequest, run: Run, prefix: str, source: str, params: str, expected: tuple[int, int]
) -> None:
    # JPEG sources, so the first-op path really goes through the DCT-scaled decode.
    src: Path = request.getfixturevalue("jpeg_200x100" if source == "200x100" else "jpeg_400x267")
    out = run(src, [*PREFIXES[prefix], f"resize:{params}"], "out.png", out_format="png")
    with Image.open(out.path) as im:
        assert im.size == expected
        assert im.format == "PNG"
    assert (out.width, out.height) == expected


def test_png_source_same_sizes(run: Run, png_400x267: Path) -> None:
    for params, expected in (("p=50", (200, 134)), ("l=100", (100, 67)), ("s=100", (150, 100))):
        out = run(png_400x267, [f"resize:{params}"])
        with Image.open(out.path) as im:
            assert im.size == expected


def test_pad_colour_and_odd_pixel_bottom(run: Run, photo_200x100: Path) -> None:
    # 200x100 -> 150x75 centred on 150x80: 5 spare rows, 2 on top and 3 at the bottom.
    out = run(photo_200x100, ["resize:mode=pad,w=150,h=80,color=FF0000"])
    px = pixels(out.path)
    assert px.shape == (80, 150, 3)
    red = np.array([255, 0, 0])
    for row in (0, 1, 77, 78, 79):
        assert (np.abs(px[row] - red).max(axis=1) <= 1).all(), f"row {row} should be padding"
    for row in (2, 40, 76):
        assert (np.abs(px[row] - red).max(axis=1) > 30).any(), f"row {row} should be photo"


def test_pad_default_white_and_odd_pixel_right(run: Run, photo_200x100: Path) -> None:
    # 200x100 -> h=51 gives 102x51 on a 107x51 canvas: 2 columns left, 3 right.
    out = run(photo_200x100, ["resize:mode=pad,w=107,h=51"])
    px = pixels(out.path)
    assert px.shape == (51, 107, 3)
    for col in (0, 1, 104, 105, 106):
        assert (px[:, col] >= 254).all(), f"column {col} should be white padding"
    assert (px[:, 2] < 250).any()


def test_fill_is_centre_crop(run: Run, photo_200x100: Path) -> None:
    # 200x100 fill 150x80: scale by 0.8 to 160x80, keep columns 5..154.
    out = run(photo_200x100, ["resize:mode=fill,w=150,h=80"])
    with Image.open(photo_200x100) as im:
        ref = np.asarray(im.resize((160, 80), Image.Resampling.LANCZOS)).astype(np.int16)[:, 5:155]
    got = pixels(out.path)
    assert got.shape == ref.shape
    assert np.abs(got - ref).mean() < 4  # same region (a shifted crop differs by far more)
    shifted = np.asarray(Image.open(photo_200x100).resize((160, 80))).astype(np.int16)[:, 0:150]
    assert np.abs(got - shifted).mean() > np.abs(got - ref).mean() + 2


def test_resized_pixels_match_reference(run: Run, jpeg_400x267: Path) -> None:
    out = run(jpeg_400x267, ["resize:w=200"], out_format="png")
    with Image.open(jpeg_400x267) as im:
        ref = np.asarray(im.convert("RGB").resize((200, 134), Image.Resampling.LANCZOS)).astype(np.int16)
    assert np.abs(pixels(out.path) - ref).mean() < 3


def test_p_may_enlarge_under_limit(run: Run, photo_200x100: Path) -> None:
    out = run(photo_200x100, ["resize:p=150"])
    assert Image.open(out.path).size == (300, 150)


def test_round_half_up() -> None:
    assert round_half_up(Fraction(267, 2)) == 134
    assert round_half_up(Fraction(265, 2)) == 133  # Python's round() would give 132
    assert round_half_up(Fraction(333, 1)) == 333


@pytest.mark.parametrize(
    ("params", "scaled", "canvas"),
    [
        ({"l": 100, "s": 100}, (100, 67), (100, 67)),  # lfit: the smaller of the two factors
        ({"l": 100, "s": 100, "mode": "mfit"}, (150, 100), (150, 100)),  # mfit: the larger
        ({"w": 100, "l": 50}, (100, 67), (100, 67)),  # w/h win over l/s
        ({"mode": "fixed", "w": 100}, (100, 267), (100, 267)),  # a missing side keeps the source's
        ({"mode": "fixed", "w": 100, "h": 300}, (400, 267), (400, 267)),  # limit_1 never enlarges
        ({"mode": "fixed", "w": 100, "h": 300, "limit": 0}, (100, 300), (100, 300)),
        ({"mode": "pad", "w": 100}, (100, 67), (100, 67)),  # one side: nothing to pad
        ({"mode": "fill", "w": 100, "h": 100}, (150, 100), (100, 100)),
        ({"h": 1000, "limit": 0}, (1498, 1000), (1498, 1000)),
        ({"p": 1}, (4, 3), (4, 3)),
    ],
)
def test_resize_plan_rules(params: dict[str, object], scaled: tuple[int, int], canvas: tuple[int, int]) -> None:
    plan = resize_plan(400, 267, params)
    assert plan.scaled == scaled
    assert plan.canvas == canvas
