"""video/snapshot, video/snapshots, video/sprite, video/animation: decoded and compared to the source.

The source ``clip`` is 25 fps with keyframes only at 0, 1.2 and 2.4 s, so "the frame shown at t" is
frame floor(t * 25) and "the keyframe at or before t" is one of frames 0, 30, 60.
"""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mediaproc.engine.av import ffmpeg_exe, media_info, run_media
from mediaproc.errors import InvalidOperation, MediaError

from .helpers import decode_frames, diff, gif_durations, leftovers, nearest, op, pixels, webp_durations


@pytest.fixture(scope="module")
def frames(clip: Path) -> list[tuple[float, np.ndarray]]:
    return decode_frames(clip)


def snap(src: Path, dst: Path, **params: object) -> np.ndarray:
    out = run_media(op("video/snapshot", **params), src, dst)
    assert out.paths == (dst,)
    return pixels(dst)


# -- video/snapshot ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("t", "index"), [(0, 0), (40, 1), (1000, 25), (1010, 25), (1030, 25), (2960, 74)])
def test_snapshot_is_the_frame_shown_at_t(clip: Path, frames: list, tmp_path: Path, t: int, index: int) -> None:
    img = snap(clip, tmp_path / "s.png", t=t, f="png")
    i, d = nearest(img, frames)
    assert (i, d < 3) == (index, True)


def test_snapshot_past_the_end_is_the_last_frame(clip: Path, frames: list, tmp_path: Path) -> None:
    img = snap(clip, tmp_path / "s.png", t=60_000, f="png")
    assert nearest(img, frames)[0] == len(frames) - 1


def test_snapshots_at_different_times_differ(clip: Path, tmp_path: Path) -> None:
    a = snap(clip, tmp_path / "a.jpg", t=500)
    b = snap(clip, tmp_path / "b.jpg", t=2500)
    assert diff(a, b) > 5
    with Image.open(tmp_path / "a.jpg") as im:
        assert im.format == "JPEG" and im.size == (320, 240)


@pytest.mark.parametrize(("t", "key_index"), [(1000, 0), (1200, 30), (2000, 30), (2399, 30), (2900, 60)])
def test_fast_mode_takes_the_keyframe_at_or_before_t(
    clip: Path, frames: list, tmp_path: Path, t: int, key_index: int
) -> None:
    fast = snap(clip, tmp_path / "fast.png", t=t, m="fast", f="png")
    key = snap(clip, tmp_path / "key.png", t=round(frames[key_index][0] * 1000), f="png")
    exact = snap(clip, tmp_path / "exact.png", t=t, f="png")
    assert nearest(fast, frames)[0] == key_index
    assert diff(fast, key) < 1
    if nearest(exact, frames)[0] != key_index:
        assert diff(fast, exact) > 2


@pytest.mark.parametrize(("w", "h", "size"), [(100, 0, (100, 75)), (0, 60, (80, 60)), (100, 100, (100, 100))])
def test_snapshot_size(clip: Path, tmp_path: Path, w: int, h: int, size: tuple[int, int]) -> None:
    img = snap(clip, tmp_path / "s.jpg", t=0, w=w, h=h)
    assert (img.shape[1], img.shape[0]) == size


def test_snapshot_honours_rotation(phone: Path, clip: Path, tmp_path: Path) -> None:
    upright = snap(phone, tmp_path / "p.png", t=0, f="png")
    assert upright.shape[:2] == (320, 240)
    # rotated 90 degrees clockwise back by hand, it is the source frame
    source = snap(clip, tmp_path / "c.png", t=0, f="png")
    assert diff(np.rot90(upright, k=1), source) < 3
    landscape = snap(phone, tmp_path / "w.png", t=0, f="png", ar="w")
    assert landscape.shape[:2] == (240, 320)


def test_snapshot_of_audio_is_refused(tone: Path, tmp_path: Path) -> None:
    with pytest.raises(MediaError):
        run_media(op("video/snapshot", t=0), tone, tmp_path / "s.jpg")
    assert not (tmp_path / "s.jpg").exists()


# -- video/snapshots --------------------------------------------------------------------------------
def test_snapshots_every_interval(clip: Path, frames: list, tmp_path: Path) -> None:
    out = run_media(op("video/snapshots", f="png", inter=500), clip, tmp_path / "shots" / "frame")
    names = [p.name for p in out.paths]
    assert names == [f"frame_0_{n}.png" for n in range(1, 7)]  # OSS: <prefix>_0_<n>
    got = [nearest(pixels(p), frames)[0] for p in out.paths]
    assert got == [0, 12, 25, 37, 50, 62]  # frames shown at 0, 0.5, ..., 2.5 s
    assert leftovers(tmp_path) == []


def test_snapshots_count_spreads_evenly(clip: Path, frames: list, tmp_path: Path) -> None:
    out = run_media(op("video/snapshots", f="png", num=4), clip, tmp_path / "n")
    assert [nearest(pixels(p), frames)[0] for p in out.paths] == [0, 18, 37, 56]  # 0, .75, 1.5, 2.25 s


def test_snapshots_num_caps_interval(clip: Path, tmp_path: Path) -> None:
    out = run_media(op("video/snapshots", f="jpg", inter=500, num=2, ss=1000), clip, tmp_path / "c")
    assert len(out.paths) == 2


def test_snapshots_keyframes(clip: Path, frames: list, tmp_path: Path) -> None:
    out = run_media(op("video/snapshots", f="png", m="key"), clip, tmp_path / "k")
    assert [nearest(pixels(p), frames)[0] for p in out.paths] == [0, 30, 60]


def test_snapshots_size_and_folder_target(clip: Path, tmp_path: Path) -> None:
    folder = tmp_path / "dir"
    folder.mkdir()
    out = run_media(op("video/snapshots", f="jpg", num=2, w=64, h=64, scaletype="crop"), clip, folder)
    assert [p.name for p in out.paths] == ["clip_0_1.jpg", "clip_0_2.jpg"]
    assert all(Image.open(p).size == (64, 64) for p in out.paths)
    pct = run_media(op("video/snapshots", f="jpg", num=1, pw=50), clip, tmp_path / "pct")
    assert Image.open(pct.paths[0]).size == (160, 120)


def test_snapshots_dhash_drops_near_duplicates(scenes: Path, tmp_path: Path) -> None:
    out = run_media(op("video/snapshots", f="png", m="dhash", inter=200), scenes, tmp_path / "d")
    assert len(out.paths) == 3  # one per scene
    imgs = [pixels(p) for p in out.paths]
    assert min(diff(a, b) for a, b in [(imgs[0], imgs[1]), (imgs[1], imgs[2])]) > 20
    strict = run_media(op("video/snapshots", f="png", m="dhash", inter=200, thr=100), scenes, tmp_path / "e")
    assert len(strict.paths) == 1  # no frame differs in more than 100 % of the bits


def test_snapshots_start_past_end(clip: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidOperation):
        run_media(op("video/snapshots", f="jpg", ss=9000), clip, tmp_path / "x")


# -- video/sprite -----------------------------------------------------------------------------------
def test_sprite_sheet_geometry(clip: Path, frames: list, tmp_path: Path) -> None:
    out = run_media(
        op("video/sprite", f="png", num=10, sw=40, sh=32, tw=3, th=2, pad=2, margin=4), clip, tmp_path / "sp"
    )
    assert [p.name for p in out.paths] == ["sp_0_1.png", "sp_0_2.png"]  # 10 frames, 6 per sheet
    w, h = 3 * 40 + 2 * 2 + 2 * 4, 2 * 32 + 1 * 2 + 2 * 4
    sheets = [pixels(p) for p in out.paths]
    assert all((s.shape[1], s.shape[0]) == (w, h) for s in sheets)
    # cell (0, 0) is the first frame scaled to the cell; the 5th cell of sheet 2 is empty (black)
    first = np.asarray(Image.fromarray(frames[0][1].astype(np.uint8)).resize((40, 32), Image.Resampling.BICUBIC))
    assert diff(sheets[0][4 : 4 + 32, 4 : 4 + 40], first) < 12
    assert sheets[1][4 + 32 + 2 :, 4 + 42 :].mean() < 3
    assert sheets[0][:4].mean() < 3  # margin


def test_sprite_single_sheet_keeps_the_target_name(clip: Path, tmp_path: Path) -> None:
    out = run_media(op("video/sprite", f="jpg", inter=1000, sw=64, sh=48, tw=2, th=2), clip, tmp_path / "s.jpg")
    assert out.paths == (tmp_path / "s.jpg",)
    assert Image.open(out.paths[0]).size == (2 * 64 + 2 + 4, 2 * 48 + 2 + 4)  # pad and margin default 2


def test_sprite_dhash(scenes: Path, tmp_path: Path) -> None:
    out = run_media(
        op("video/sprite", f="png", m="dhash", inter=200, sw=32, sh=32, tw=4, th=1, pad=0, margin=0),
        scenes,
        tmp_path / "d",
    )
    (sheet,) = [pixels(p) for p in out.paths]
    cells = [sheet[:, 32 * i : 32 * (i + 1)] for i in range(4)]
    assert [c.mean() > 5 for c in cells] == [True, True, True, False]


# -- video/animation --------------------------------------------------------------------------------
def test_gif_by_interval(clip: Path, tmp_path: Path) -> None:
    out = run_media(op("video/animation", f="gif", inter=200, w=80), clip, tmp_path / "a.gif")
    with Image.open(out.paths[0]) as im:
        assert (im.format, im.size, im.n_frames) == ("GIF", (80, 60), math.ceil(3.0 / 0.2))
    assert set(gif_durations(out.paths[0])) == {200}


def test_gif_num_and_fps(clip: Path, frames: list, tmp_path: Path) -> None:
    out = run_media(op("video/animation", f="gif", fps=10, num=12), clip, tmp_path / "a.gif")
    with Image.open(out.paths[0]) as im:
        assert im.n_frames == 12
        im.seek(5)
        fifth = np.asarray(im.convert("RGB")).astype(np.int16)
    assert set(gif_durations(out.paths[0])) == {100}
    assert nearest(fifth, frames)[0] == 12  # sampled at 10/s: frame 5 is shown at 0.5 s


def test_webp_animation(clip: Path, tmp_path: Path) -> None:
    out = run_media(
        op("video/animation", f="webp", fps=10, num=12, w=64, h=64, scaletype="crop"), clip, tmp_path / "a.webp"
    )
    with Image.open(out.paths[0]) as im:
        assert (im.format, im.size, im.n_frames) == ("WEBP", (64, 64), 12)
    assert webp_durations(out.paths[0]) == [100] * 12


def test_animation_window(clip: Path, tmp_path: Path) -> None:
    out = run_media(op("video/animation", f="gif", ss=1000, t=1000, inter=250), clip, tmp_path / "a.gif")
    with Image.open(out.paths[0]) as im:
        assert im.n_frames == 4


@pytest.fixture(scope="module")
def ts_clip(clip: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """MPEG-TS (no index) with a single keyframe; its sound starts a little before its picture."""
    out = tmp_path_factory.mktemp("ts") / "clip.ts"
    subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-i",
            str(clip),
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "1000",
            "-sc_threshold",
            "0",
            "-c:a",
            "aac",
            "-f",
            "mpegts",
            str(out),
        ],
        check=True,
    )
    return out


@pytest.mark.parametrize("t", [0, 1000, 2000, 60_000])
def test_snapshot_from_mpegts(ts_clip: Path, tmp_path: Path, t: int) -> None:
    frames = decode_frames(ts_clip)
    start = media_info(ts_clip).start_time
    shown = max([0] + [i for i, (ft, _f) in enumerate(frames) if ft <= start + t / 1000 + 1e-6])
    img = snap(ts_clip, tmp_path / "s.png", t=t, f="png")
    assert nearest(img, frames) == (shown, pytest.approx(0, abs=3))
    assert nearest(snap(ts_clip, tmp_path / "k.png", t=t, f="png", m="fast"), frames)[0] == 0


def test_sprite_num_caps_frames_not_sheets(clip: Path, tmp_path: Path) -> None:
    out = run_media(
        op("video/sprite", f="png", inter=250, num=7, sw=32, sh=32, tw=3, th=2, pad=0, margin=0), clip, tmp_path / "s"
    )
    assert len(out.paths) == 2
    second = pixels(out.paths[1])
    filled = [second[r * 32 : (r + 1) * 32, c * 32 : (c + 1) * 32].mean() > 5 for r in range(2) for c in range(3)]
    assert filled == [True, False, False, False, False, False]  # frame 7 alone on sheet 2
