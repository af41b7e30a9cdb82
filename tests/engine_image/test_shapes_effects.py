"""circle, rounded-corners (transparency for png, white for jpg), blur, sharpen, bright, contrast."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from .helpers import Run, pixels


def test_circle_png_transparent_outside(run: Run, coffee_small: Path) -> None:
    out = run(coffee_small, ["circle:r=50", "format:target=png"])
    px = pixels(out.path, "RGBA")
    assert px.shape == (101, 101, 4)  # OSS: 2r+1 square
    for y, x in ((0, 0), (0, 100), (100, 0), (100, 100), (5, 5)):
        assert px[y, x, 3] == 0, (y, x)
    assert px[50, 50, 3] == 255 and px[50, 2, 3] == 255 and px[2, 50, 3] == 255
    # Cut from the middle: the 101x101 square starts at ((300-101)//2, (200-101)//2) = (99, 49).
    src = pixels(coffee_small)
    assert np.array_equal(px[:, :, :3][px[:, :, 3] == 255], src[49:150, 99:200][px[:, :, 3] == 255])


def test_circle_radius_clamped(run: Run, coffee_small: Path) -> None:
    out = run(coffee_small, ["circle:r=4000", "format:target=png"])
    assert Image.open(out.path).size == (199, 199)  # r = (200 - 1) // 2 = 99


def test_circle_jpg_white_outside(run: Run, coffee_small: Path) -> None:
    out = run(coffee_small, ["circle:r=40", "format:target=jpg"], "c.jpg")
    with Image.open(out.path) as im:
        assert im.format == "JPEG" and im.mode == "RGB"
    px = pixels(out.path)
    assert (px[0, 0] >= 245).all() and (px[-1, -1] >= 245).all()
    assert (px[40, 40] < 240).any()


def test_rounded_corners(run: Run, coffee_small: Path) -> None:
    out = run(coffee_small, ["rounded-corners:r=30", "format:target=png"])
    px = pixels(out.path, "RGBA")
    assert px.shape == (200, 300, 4)
    for y, x in ((0, 0), (0, 299), (199, 0), (199, 299), (3, 3)):
        assert px[y, x, 3] == 0, (y, x)
    for y, x in ((100, 150), (0, 150), (100, 0), (199, 150), (30, 30)):
        assert px[y, x, 3] == 255, (y, x)
    assert np.array_equal(px[100, 150, :3], pixels(coffee_small)[100, 150])


def test_rounded_corners_webp_keeps_alpha(run: Run, coffee_small: Path) -> None:
    out = run(coffee_small, ["rounded-corners:r=500", "format:target=webp"], "r.webp")
    with Image.open(out.path) as im:
        assert im.format == "WEBP"
        a = np.asarray(im.convert("RGBA"))
    assert a[0, 0, 3] == 0 and a[100, 150, 3] == 255


def _sharpness(px: np.ndarray) -> float:
    g = px.astype(float).mean(axis=2)
    return float(np.abs(np.diff(g, axis=0)).mean() + np.abs(np.diff(g, axis=1)).mean())


def test_blur_softens_and_keeps_mean(run: Run, coffee_small: Path) -> None:
    src = pixels(coffee_small)
    out = pixels(run(coffee_small, ["blur:r=5,s=3"]).path)
    assert out.shape == src.shape
    assert _sharpness(out) < 0.6 * _sharpness(src)
    assert abs(out.mean() - src.mean()) < 1.5


def test_stronger_blur_is_softer(run: Run, coffee_small: Path) -> None:
    weak = pixels(run(coffee_small, ["blur:r=2,s=1"], "a.png").path)
    strong = pixels(run(coffee_small, ["blur:r=20,s=10"], "b.png").path)
    assert _sharpness(strong) < _sharpness(weak)


def test_sharpen_adds_detail(run: Run, coffee_small: Path) -> None:
    src = pixels(coffee_small)
    out = pixels(run(coffee_small, ["sharpen:v=200"]).path)
    assert _sharpness(out) > 1.1 * _sharpness(src)


def test_bright(run: Run, coffee_small: Path) -> None:
    src = pixels(coffee_small)
    up = pixels(run(coffee_small, ["bright:v=20"], "a.png").path)
    down = pixels(run(coffee_small, ["bright:v=-20"], "b.png").path)
    assert up.mean() > src.mean() + 30 and down.mean() < src.mean() - 30
    white = pixels(run(coffee_small, ["bright:v=100"], "c.png").path)
    assert (white == 255).all()


def test_contrast(run: Run, coffee_small: Path) -> None:
    src = pixels(coffee_small)
    more = pixels(run(coffee_small, ["contrast:v=50"], "a.png").path)
    less = pixels(run(coffee_small, ["contrast:v=-50"], "b.png").path)
    flat = pixels(run(coffee_small, ["contrast:v=-100"], "c.png").path)
    assert more.std() > 1.3 * src.std() and less.std() < 0.5 * src.std()
    assert flat.std() < 1


def test_effects_keep_alpha(run: Run, alpha_png: Path) -> None:
    for word in ("blur:r=3,s=2", "sharpen:v=100", "bright:v=30", "contrast:v=30"):
        px = pixels(run(alpha_png, [word], "e.png").path, "RGBA")
        assert px.shape == (120, 160, 4)
        assert px[60, 5, 3] == 0 and px[60, 100, 3] == 255, word
