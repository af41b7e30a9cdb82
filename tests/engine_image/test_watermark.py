"""Watermarks: placement by gravity and margins (pixels change only where the mark goes), image
watermarks through resolve_key with their own processing, opacity, tiling, text rotation, fonts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mediaproc.errors import ConfigError, ExitCode, UsageError
from mediaproc.ops.parse import parse_chain

from .helpers import DATA, Run, pixels

W, H = 300, 200


def _changed_bbox(a: np.ndarray, b: np.ndarray) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) inclusive of the pixels that differ; fails if none differ."""
    diff = np.abs(a - b).max(axis=2) > 0
    ys, xs = np.where(diff)
    assert len(xs), "nothing changed"
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


@pytest.fixture
def base(coffee_small: Path) -> np.ndarray:
    return pixels(coffee_small)


@pytest.mark.parametrize(
    ("g", "check"),
    [
        ("se", lambda x0, y0, x1, y1: x1 <= W - 11 and y1 <= H - 11 and x1 >= W - 16 and y1 >= H - 20 and x0 > W // 3),
        ("nw", lambda x0, y0, x1, y1: x0 >= 10 and y0 >= 10 and x0 <= 14 and y0 <= 22 and x1 < 2 * W // 3),
        ("ne", lambda x0, y0, x1, y1: x1 <= W - 11 and x1 >= W - 16 and y0 >= 10 and y0 <= 22),
        ("sw", lambda x0, y0, x1, y1: x0 >= 10 and x0 <= 14 and y1 <= H - 11 and y1 >= H - 20),
        ("center", lambda x0, y0, x1, y1: abs((x0 + x1) / 2 - W / 2) <= 3 and abs((y0 + y1) / 2 - H / 2) <= 6),
    ],
)
def test_text_placement(run: Run, coffee_small: Path, base: np.ndarray, g: str, check: object) -> None:
    out = run(coffee_small, [f"watermark:text=Mark,g={g},size=30,color=FF00FF"])
    box = _changed_bbox(pixels(out.path), base)
    assert check(*box), box  # type: ignore[operator]


def test_text_margins_x_y(run: Run, coffee_small: Path, base: np.ndarray) -> None:
    a = _changed_bbox(pixels(run(coffee_small, ["watermark:text=Mark,g=se,x=10,y=10"], "a.png").path), base)
    b = _changed_bbox(pixels(run(coffee_small, ["watermark:text=Mark,g=se,x=40,y=25"], "b.png").path), base)
    assert (a[0] - b[0], a[1] - b[1]) == (30, 15)


def test_voffset_moves_middle_row(run: Run, coffee_small: Path, base: np.ndarray) -> None:
    a = _changed_bbox(pixels(run(coffee_small, ["watermark:text=Mark,g=east"], "a.png").path), base)
    b = _changed_bbox(pixels(run(coffee_small, ["watermark:text=Mark,g=east,voffset=30"], "b.png").path), base)
    assert b[1] - a[1] == 30 and b[0] == a[0]


def test_text_rotation_turns_the_box(run: Run, coffee_small: Path, base: np.ndarray) -> None:
    flat = _changed_bbox(pixels(run(coffee_small, ["watermark:text=LONGTEXT,g=center"], "a.png").path), base)
    turned = _changed_bbox(
        pixels(run(coffee_small, ["watermark:text=LONGTEXT,g=center,rotate=90"], "b.png").path), base
    )
    assert flat[2] - flat[0] > flat[3] - flat[1]
    assert turned[3] - turned[1] > turned[2] - turned[0]


@pytest.mark.cjk_font
def test_cjk_text_uses_a_cjk_font(run: Run, coffee_small: Path, base: np.ndarray) -> None:
    out = run(coffee_small, ["watermark:text=水印测试,g=center,size=40,color=FFFFFF"])
    left, _top, right, _bottom = _changed_bbox(pixels(out.path), base)
    assert right - left > 100  # four full-width glyphs at 40 px, not a row of tofu boxes of the default font
    changed = np.abs(pixels(out.path) - base).max(axis=2) > 40
    assert changed.sum() > 300


def test_missing_cjk_font_fails_clearly(
    run: Run, coffee_small: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "nofonts"
    empty.mkdir()
    monkeypatch.setenv("MEDIAPROC_FONT_DIRS", str(empty))
    monkeypatch.setenv("MEDIAPROC_FONT_PATH", "")
    with pytest.raises(ConfigError) as exc:
        run(coffee_small, ["watermark:text=水印"], "never.png")
    assert exc.value.exit_code == ExitCode.CONFIG
    assert "水印" in exc.value.message
    assert "fonts-wqy-zenhei" in (exc.value.hint or "")
    assert not (tmp_path / "never.png").exists()
    # Latin text still renders with Pillow's built-in font.
    out = run(coffee_small, ["watermark:text=Hi,g=nw"], "latin.png")
    assert _changed_bbox(pixels(out.path), pixels(coffee_small))[0] >= 10


@pytest.mark.cjk_font
def test_font_path_env_is_used(run: Run, coffee_small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mediaproc.engine.image.fonts import find_font

    cjk = find_font("水")
    assert cjk.path is not None
    monkeypatch.setenv("MEDIAPROC_FONT_DIRS", "")
    monkeypatch.setenv("MEDIAPROC_FONT_PATH", str(cjk.path))
    assert find_font("水印").path == cjk.path


@pytest.fixture(scope="module")
def logo(srcdir: Path) -> Path:
    """A 40x30 opaque logo cut from a real photo."""
    with Image.open(DATA / "astronaut.png") as im:
        img = im.convert("RGB").crop((180, 60, 340, 180)).resize((40, 30))
    path = srcdir / "logo.png"
    img.save(path)
    return path


def _resolver(logo: Path) -> object:
    seen: list[str] = []

    def resolve(key: str) -> Path:
        seen.append(key)
        assert key == "wm/logo.png"
        return logo

    resolve.seen = seen  # type: ignore[attr-defined]
    return resolve


def test_image_watermark_exact_region(run: Run, coffee_small: Path, base: np.ndarray, logo: Path) -> None:
    resolve = _resolver(logo)
    out = run(coffee_small, ["watermark:image=wm/logo.png,g=se,x=15,y=5"], resolve_key=resolve)
    got = pixels(out.path)
    x, y = W - 40 - 15, H - 30 - 5
    assert np.array_equal(got[y : y + 30, x : x + 40], pixels(logo))
    mask = np.ones((H, W), bool)
    mask[y : y + 30, x : x + 40] = False
    assert np.array_equal(got[mask], base[mask])
    assert resolve.seen == ["wm/logo.png"]  # type: ignore[attr-defined]


def test_image_watermark_opacity(run: Run, coffee_small: Path, base: np.ndarray, logo: Path) -> None:
    out = run(coffee_small, ["watermark:image=wm/logo.png,g=nw,x=0,y=0,t=50"], resolve_key=_resolver(logo))
    region = pixels(out.path)[0:30, 0:40]
    expected = (pixels(logo) + base[0:30, 0:40]) / 2
    assert np.abs(region - expected).max() <= 2


def test_image_watermark_key_processing_percent_of_base(
    run: Run, coffee_small: Path, base: np.ndarray, logo: Path
) -> None:
    # P_20 of a 300x200 base: fit the 40x30 logo in 60x40 -> 53x40.
    word = 'watermark:image="wm/logo.png?x-oss-process=image/resize,P_20",g=nw,x=0,y=0'
    out = run(coffee_small, [word], resolve_key=_resolver(logo))
    box = _changed_bbox(pixels(out.path), base)
    assert box[0] == 0 and box[1] == 0
    assert 51 <= box[2] <= 52 and box[3] == 39


def test_image_watermark_p_param_and_rotate_subchain(
    run: Run, coffee_small: Path, base: np.ndarray, logo: Path
) -> None:
    word = 'watermark:image="wm/logo.png?x-oss-process=image/rotate,90",P=50,g=nw,x=0,y=0'
    out = run(coffee_small, [word], resolve_key=_resolver(logo))
    box = _changed_bbox(pixels(out.path), base)
    # Rotated logo is 30x40; P=50 fits it in 150x100 -> 75x100.
    assert box[2] - box[0] + 1 in (74, 75) and box[3] - box[1] + 1 in (99, 100)


def test_tiled_watermark_covers_the_image(run: Run, coffee_small: Path, base: np.ndarray, logo: Path) -> None:
    out = run(coffee_small, ["watermark:image=wm/logo.png,fill=1,padx=20,pady=10"], resolve_key=_resolver(logo))
    got = pixels(out.path)
    # Tiles every 60 px across and 40 px down, starting at the top-left.
    for ty in range(0, H - 30, 40):
        for tx in range(0, W - 40, 60):
            assert np.array_equal(got[ty : ty + 30, tx : tx + 40], pixels(logo)), (tx, ty)
    assert np.array_equal(got[30:40, 0:40], base[30:40, 0:40])  # the pady gap shows the photo


def test_text_and_image_side_by_side(run: Run, coffee_small: Path, base: np.ndarray, logo: Path) -> None:
    word = "watermark:image=wm/logo.png,text=AB,interval=5,g=nw,x=0,y=0"
    out = run(coffee_small, [word], resolve_key=_resolver(logo))
    got = pixels(out.path)
    assert np.array_equal(got[0:30, 0:40], pixels(logo))  # order 0: image first
    right = np.abs(got[:, 45:] - base[:, 45:]).max(axis=2) > 0
    assert right[:, :60].any()  # the text follows after the interval


def test_image_watermark_without_store_is_a_usage_error(run: Run, coffee_small: Path) -> None:
    with pytest.raises(UsageError):
        run(coffee_small, ["watermark:image=wm/logo.png"])


def test_watermark_multiple_ops(run: Run, coffee_small: Path, base: np.ndarray) -> None:
    out = run(coffee_small, ["watermark:text=A,g=nw", "watermark:text=B,g=se"])
    diff = np.abs(pixels(out.path) - base).max(axis=2) > 0
    assert diff[: H // 2, : W // 2].any() and diff[H // 2 :, W // 2 :].any()
    assert not diff[: H // 2, W // 2 :].any() and not diff[H // 2 :, : W // 2].any()


def test_parse_chain_is_what_tests_use() -> None:
    (op,) = parse_chain(["watermark:text=Hi,opacity=40,tile=1"])
    assert dict(op.params) == {"text": "Hi", "t": 40, "fill": 1}
