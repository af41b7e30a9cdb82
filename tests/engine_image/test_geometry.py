"""crop (every gravity, offsets, clipping, out-of-image error), indexcrop, rotate, flip, auto-orient:
checked against the source's pixels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mediaproc.errors import ExitCode, InvalidOperation

from .helpers import Run, pixels

W, H = 300, 200  # coffee_small
CW, CH = 100, 60

# Expected crop origins from SPEC §4, written out by hand for a 300x200 image and a 100x60 crop.
ORIGINS = {
    "nw": (0, 0),
    "north": (100, 0),
    "ne": (200, 0),
    "west": (0, 70),
    "center": (100, 70),
    "east": (200, 70),
    "sw": (0, 140),
    "south": (100, 140),
    "se": (200, 140),
}


@pytest.mark.parametrize("gravity", list(ORIGINS))
def test_crop_gravity_origin(run: Run, coffee_small: Path, gravity: str) -> None:
    out = run(coffee_small, [f"crop:w={CW},h={CH},g={gravity}"])
    src = pixels(coffee_small)
    x, y = ORIGINS[gravity]
    got = pixels(out.path)
    assert got.shape == (CH, CW, 3)
    assert np.array_equal(got, src[y : y + CH, x : x + CW])


@pytest.mark.parametrize(("alias", "full"), [("c", "center"), ("n", "north"), ("e", "east")])
def test_crop_gravity_aliases(run: Run, coffee_small: Path, alias: str, full: str) -> None:
    a = pixels(run(coffee_small, [f"crop:w={CW},h={CH},g={alias}"], "a.png").path)
    b = pixels(run(coffee_small, [f"crop:w={CW},h={CH},g={full}"], "b.png").path)
    assert np.array_equal(a, b)


def test_crop_offsets_add_to_anchor(run: Run, coffee_small: Path) -> None:
    out = run(coffee_small, ["crop:w=50,h=40,x=7,y=11,g=center"])
    src = pixels(coffee_small)
    x, y = (W - 50) // 2 + 7, (H - 40) // 2 + 11
    assert np.array_equal(pixels(out.path), src[y : y + 40, x : x + 50])


def test_crop_clipped_at_edge(run: Run, coffee_small: Path) -> None:
    out = run(coffee_small, ["crop:w=100,h=100,x=250,y=150"])
    src = pixels(coffee_small)
    got = pixels(out.path)
    assert got.shape == (50, 50, 3)
    assert np.array_equal(got, src[150:200, 250:300])


def test_crop_defaults_to_remaining_size(run: Run, coffee_small: Path) -> None:
    out = run(coffee_small, ["crop:x=120,y=30"])
    assert np.array_equal(pixels(out.path), pixels(coffee_small)[30:, 120:])


def test_crop_origin_outside_is_an_error(run: Run, coffee_small: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidOperation) as exc:
        run(coffee_small, ["crop:w=10,h=10,x=300"], "never.png")
    assert "position is out of image" in exc.value.message
    assert exc.value.exit_code == ExitCode.USAGE
    assert exc.value.hint
    assert not (tmp_path / "never.png").exists()


def test_indexcrop_x_and_last_partial_block(run: Run, coffee_small: Path) -> None:
    src = pixels(coffee_small)
    out = run(coffee_small, ["indexcrop:x=70,i=1"], "a.png")
    assert np.array_equal(pixels(out.path), src[:, 70:140])
    last = run(coffee_small, ["indexcrop:x=70,i=4"], "b.png")  # blocks 0..4, the last 20 px wide
    assert np.array_equal(pixels(last.path), src[:, 280:300])


def test_indexcrop_y(run: Run, coffee_small: Path) -> None:
    out = run(coffee_small, ["indexcrop:y=64,i=2"])
    assert np.array_equal(pixels(out.path), pixels(coffee_small)[128:192, :])


def test_indexcrop_past_the_end_returns_source(run: Run, coffee_small: Path) -> None:
    out = run(coffee_small, ["indexcrop:x=100,i=3"])
    assert np.array_equal(pixels(out.path), pixels(coffee_small))


@pytest.fixture(scope="module")
def marked(srcdir: Path) -> Path:
    """The coffee photo (120x80) with a pure green 6x6 marker near the top-left corner."""
    from .helpers import DATA

    with Image.open(DATA / "coffee.png") as im:
        a = np.asarray(im.convert("RGB").resize((120, 80))).copy()
    a[4:10, 4:10] = (0, 255, 0)
    path = srcdir / "marked.png"
    Image.fromarray(a).save(path)
    return path


def _marker_centre(path: Path) -> tuple[float, float]:
    px = pixels(path)
    ys, xs = np.where((px[:, :, 1] > 200) & (px[:, :, 0] < 60) & (px[:, :, 2] < 60))
    assert len(xs) > 10, "marker not found"
    return float(xs.mean()), float(ys.mean())


@pytest.mark.parametrize(
    ("angle", "size", "centre"),
    [
        (90, (80, 120), (72.5, 6.5)),  # clockwise: top-left goes to top-right
        (180, (120, 80), (112.5, 72.5)),
        (270, (80, 120), (6.5, 112.5)),
    ],
)
def test_rotate_right_angles_clockwise(
    run: Run, marked: Path, angle: int, size: tuple[int, int], centre: tuple[float, float]
) -> None:
    out = run(marked, [f"rotate:angle={angle}"])
    assert Image.open(out.path).size == size
    cx, cy = _marker_centre(out.path)
    assert abs(cx - centre[0]) < 1 and abs(cy - centre[1]) < 1


def test_rotate_any_angle_enlarges_canvas_clockwise(run: Run, marked: Path) -> None:
    out = run(marked, ["rotate:angle=30"], "r.jpg", out_format="jpg")
    w, h = Image.open(out.path).size
    # Bounding box of a 120x80 rectangle turned by 30 degrees.
    assert abs(w - (120 * np.cos(np.pi / 6) + 80 * np.sin(np.pi / 6))) <= 2
    assert abs(h - (120 * np.sin(np.pi / 6) + 80 * np.cos(np.pi / 6))) <= 2
    px = pixels(out.path)
    assert (px[0, 0] > 240).all() and (px[-1, -1] > 240).all()  # white fill for jpg
    # The marker (top-left, 53 px left and 33 px above the centre) turned clockwise by 30 degrees.
    dx, dy = 7 - 60, 7 - 40
    c, s = np.cos(np.pi / 6), np.sin(np.pi / 6)
    ex, ey = w / 2 + dx * c - dy * s, h / 2 + dx * s + dy * c
    cx, cy = _marker_centre(out.path)
    assert abs(cx - ex) < 3 and abs(cy - ey) < 3


def test_rotate_keeps_transparency_with_alpha(run: Run, alpha_png: Path) -> None:
    out = run(alpha_png, ["rotate:angle=45"])
    px = pixels(out.path, "RGBA")
    assert px[0, 0, 3] == 0 and px[-1, -1, 3] == 0
    assert px[px.shape[0] // 2, px.shape[1] // 2, 3] == 255


@pytest.mark.parametrize(("v", "flipper"), [(0, np.flipud), (1, np.fliplr), (2, lambda a: a[::-1, ::-1])])
def test_flip(run: Run, coffee_small: Path, v: int, flipper: object) -> None:
    out = run(coffee_small, [f"flip:v={v}"])
    assert np.array_equal(pixels(out.path), flipper(pixels(coffee_small)))  # type: ignore[operator]


@pytest.fixture(scope="module")
def oriented_jpeg(srcdir: Path) -> Path:
    """A JPEG stored 160x100 with EXIF orientation 6 (display rotated 90 degrees clockwise)."""
    from .helpers import DATA

    with Image.open(DATA / "rocket.jpg") as im:
        img = im.convert("RGB").resize((160, 100))
    exif = Image.Exif()
    exif[0x0112] = 6
    path = srcdir / "oriented.jpg"
    img.save(path, quality=95, exif=exif)
    return path


def test_auto_orient_applies_exif(run: Run, oriented_jpeg: Path) -> None:
    out = run(oriented_jpeg, ["auto-orient"], "o.png", out_format="png")
    got = pixels(out.path)
    assert got.shape == (160, 100, 3)
    expected = np.rot90(pixels(oriented_jpeg), k=-1)  # clockwise
    assert np.abs(got - expected).mean() < 1.5


def test_auto_orient_v0_keeps_stored_pixels(run: Run, oriented_jpeg: Path) -> None:
    out = run(oriented_jpeg, ["auto-orient:v=0"], "o.png", out_format="png")
    assert Image.open(out.path).size == (160, 100)


def test_auto_orient_then_resize_uses_rotated_size(run: Run, oriented_jpeg: Path) -> None:
    out = run(oriented_jpeg, ["auto-orient", "resize:w=50"], "o.png", out_format="png")
    assert Image.open(out.path).size == (50, 80)
    upright = Image.fromarray(np.rot90(pixels(oriented_jpeg), k=-1).astype(np.uint8))
    ref = np.asarray(upright.resize((50, 80), Image.Resampling.LANCZOS)).astype(np.int16)
    assert np.abs(pixels(out.path) - ref).mean() < 4


@pytest.mark.parametrize(
    ("size", "target", "shrink"),
    [
        ((4000, 3000), (600, 450), 4),  # 1000x750 still covers 1.5x the target; 500x375 would not
        ((8000, 6000), (100, 75), 8),  # never past 1/8, the smallest DCT scale
        ((160, 120), (80, 60), 1),  # 80x60 at 1/2 is the target itself: no margin left
        ((241, 100), (80, 33), 2),  # rounded up: 121 >= 120 and 50 >= 49.5
    ],
)
def test_dct_shrink_keeps_a_margin(size: tuple[int, int], target: tuple[int, int], shrink: int) -> None:
    from mediaproc.engine.image.geometry import dct_shrink

    assert dct_shrink(*size, *target) == shrink
