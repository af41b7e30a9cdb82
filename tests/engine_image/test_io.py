"""info / average-hue JSON, unreadable and oversized sources, atomic writes, animated GIFs and the
hand-off of intelligent operations to engine.vision."""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mediaproc import limits
from mediaproc.engine.image import average_hue, image_info
from mediaproc.engine.image.save import write_atomic
from mediaproc.errors import ExitCode, InvalidOperation, MediaError, NotFound, UnsupportedOperation

from .helpers import DATA, Run, pixels

# --- info and average-hue -------------------------------------------------------------------------


def test_info_shape_for_plain_jpeg() -> None:
    src = DATA / "rocket.jpg"
    info = image_info(src)
    assert info["FileSize"] == {"value": str(src.stat().st_size)}
    assert info["Format"] == {"value": "jpg"}
    assert info["ImageWidth"] == {"value": "640"}
    assert info["ImageHeight"] == {"value": "427"}
    assert info["FrameCount"] == {"value": "1"}  # always returned (OSS "Query image information")
    assert list(info) == sorted(info)
    assert all(set(v) == {"value"} and isinstance(v["value"], str) for v in info.values())
    json.dumps(info)


def test_info_png_and_gif_formats(animated_gif: Path) -> None:
    assert image_info(DATA / "chelsea.png")["Format"] == {"value": "png"}
    gif = image_info(animated_gif)
    assert gif["Format"] == {"value": "gif"}
    assert (gif["ImageWidth"], gif["ImageHeight"]) == ({"value": "120"}, {"value": "80"})  # one frame
    assert int(gif["FrameCount"]["value"]) > 1


def test_info_exif_fields(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x010F] = "TestCam"  # Make
    exif[0x0112] = 6  # Orientation
    exif.get_ifd(0x8769)[0x9003] = "2024:01:02 03:04:05"  # DateTimeOriginal
    src = tmp_path / "exif.jpg"
    with Image.open(DATA / "rocket.jpg") as im:
        im.resize((100, 67)).save(src, exif=exif, quality=90)
    info = image_info(src)
    assert info["Make"] == {"value": "TestCam"}
    assert info["Orientation"] == {"value": "6"}
    assert info["DateTimeOriginal"] == {"value": "2024:01:02 03:04:05"}
    assert info["ImageWidth"] == {"value": "100"}  # stored size, orientation not applied
    assert list(info) == sorted(info)
    assert all(isinstance(v["value"], str) for v in info.values())


def test_average_hue_matches_full_decode_mean() -> None:
    src = DATA / "rocket.jpg"
    hue = average_hue(src)
    assert set(hue) == {"RGB"}
    value = hue["RGB"]
    assert value.startswith("0x") and len(value) == 8 and value == value.lower()
    got = [int(value[i : i + 2], 16) for i in (2, 4, 6)]
    with Image.open(src) as im:
        ref = np.asarray(im.convert("RGB")).reshape(-1, 3).mean(axis=0)
    assert np.abs(np.array(got) - ref).max() <= 2


def test_average_hue_solid_colour_and_alpha(tmp_path: Path) -> None:
    a = np.zeros((40, 60, 4), np.uint8)
    a[:, :30] = (0x5C, 0x78, 0x3B, 255)
    a[:, 30:] = (255, 0, 0, 0)  # transparent pixels do not count
    src = tmp_path / "solid.png"
    Image.fromarray(a).save(src)
    assert average_hue(src) == {"RGB": "0x5c783b"}


# --- unreadable, missing and oversized sources -----------------------------------------------------


def test_missing_source(run: Run, tmp_path: Path) -> None:
    with pytest.raises(NotFound) as exc:
        run(tmp_path / "nope.jpg", ["resize:w=10"])
    assert exc.value.exit_code == ExitCode.NOT_FOUND


@pytest.mark.parametrize("words", [["resize:w=100"], ["rotate:angle=90"]])
def test_truncated_jpeg_is_a_media_error(run: Run, tmp_path: Path, words: list[str]) -> None:
    data = (DATA / "rocket.jpg").read_bytes()
    src = tmp_path / "truncated.jpg"
    src.write_bytes(data[: len(data) // 2])
    with pytest.raises(MediaError) as exc:
        run(src, words, "out.jpg")
    assert exc.value.exit_code == ExitCode.USAGE  # bad input, not a service failure
    assert "truncated.jpg" in exc.value.message and exc.value.hint
    assert not (tmp_path / "out.jpg").exists()


@pytest.mark.parametrize("content", [b"not an image at all\n" * 20, b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, b""])
def test_garbage_is_a_media_error(run: Run, tmp_path: Path, content: bytes) -> None:
    src = tmp_path / "bad.png"
    src.write_bytes(content)
    with pytest.raises(MediaError):
        run(src, ["resize:w=10"])
    with pytest.raises(MediaError):
        image_info(src)


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height but holds almost no data (a decompression bomb's
    shape): refused from the header, before anything is decoded."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.mark.parametrize(("w", "h"), [(limits.value("source_side") + 1, 10), (20_000, 20_000)])
def test_oversized_source_refused_before_decoding(run: Run, tmp_path: Path, w: int, h: int) -> None:
    src = tmp_path / "bomb.png"
    src.write_bytes(_png_header_only(w, h))
    with pytest.raises(MediaError) as exc:
        run(src, ["resize:w=100"])
    assert exc.value.code == "ImageTooLarge"
    assert f"{w}x{h}" in exc.value.message


@pytest.mark.parametrize(("width", "ok"), [(16_384, True), (16_385, False)])
def test_tiff_sources_over_16384_px_refused(run: Run, tmp_path: Path, width: int, ok: bool) -> None:
    """OSS's TIFF decode limit (0040-00000018), narrower than the 30000 px of other formats."""
    src = _strip(tmp_path / "wide.tiff", width, 2)
    if ok:
        assert run(src, ["resize:w=100", "format:target=png"]).width == 100
        return
    with pytest.raises(MediaError) as exc:
        run(src, ["resize:w=100", "format:target=png"])
    assert exc.value.code == "ImageTooLarge" and "16385x2" in exc.value.message


def test_oversized_bmp_refused(run: Run, tmp_path: Path) -> None:
    # BMP goes through Pillow: the same limits apply from its header.
    header = struct.pack("<2sIHHI", b"BM", 54, 0, 0, 54) + struct.pack(
        "<IiiHHIIiiII", 40, 40_000, 40_000, 1, 24, 0, 0, 2835, 2835, 0, 0
    )
    src = tmp_path / "bomb.bmp"
    src.write_bytes(header + b"\0" * 64)
    with pytest.raises(MediaError) as exc:
        run(src, ["resize:w=100"])
    assert exc.value.code == "ImageTooLarge"


def _strip(path: Path, width: int, height: int) -> Path:
    """A real (tiny) image of an extreme shape: a gradient, so rotations are visible."""
    ramp = np.linspace(0, 255, width, dtype=np.uint8)
    Image.fromarray(np.repeat(np.tile(ramp, (height, 1))[:, :, None], 3, axis=2)).save(path)
    return path


@pytest.mark.parametrize("small", [True, False], ids=["pillow-path", "libvips-path"])
def test_rotate_refuses_a_side_over_4096(tmp_path: Path, small: bool) -> None:
    """OSS rotates at most 4096 px a side (error 0040-00000006); a resize before it is the fix."""
    from mediaproc.engine.image.pipeline import encode_image
    from mediaproc.ops.parse import parse_chain

    src = _strip(tmp_path / "strip.png", 4097, 12)
    with pytest.raises(MediaError) as exc:
        encode_image(src, parse_chain(["rotate:angle=90"]).ops, small=small)
    assert exc.value.code == "ImageTooLarge" and exc.value.exit_code == ExitCode.USAGE
    assert "4097x12" in exc.value.message and "resize:l=4096" in (exc.value.hint or "")
    out = encode_image(src, parse_chain(["resize:l=4096", "rotate:angle=90"]).ops, small=small)
    turned = np.asarray(Image.open(io.BytesIO(out.data)).convert("L"))
    assert turned.shape == (4096, 12)  # 12 wide, 4096 tall
    assert turned[0, 0] < 10 and turned[-1, 0] > 245  # clockwise: the dark left end is now on top
    assert encode_image(src, parse_chain(["rotate:angle=0"]).ops, small=small).width == 4097  # no turn, no limit


@pytest.mark.parametrize(("width", "ok"), [(16383, True), (16384, False)])
def test_webp_refuses_a_side_over_16383(tmp_path: Path, width: int, ok: bool) -> None:
    from mediaproc.engine.image.pipeline import encode_image
    from mediaproc.ops.parse import parse_chain

    src = _strip(tmp_path / "wide.png", width, 2)
    ops = parse_chain(["format:target=webp"]).ops
    for small in (True, False):
        if ok:
            out = encode_image(src, ops, small=small)
            assert Image.open(io.BytesIO(out.data)).size == (width, 2)
            continue
        with pytest.raises(limits.LimitExceeded) as exc:
            encode_image(src, ops, small=small)
        assert "16384x2" in exc.value.message and "webp_side" in exc.value.message
        assert "resize:l=16383" in (exc.value.hint or "")


# --- atomic writes -----------------------------------------------------------------------------------


def test_failing_op_leaves_no_file(run: Run, coffee_small: Path, tmp_path: Path) -> None:
    with pytest.raises(InvalidOperation):
        run(coffee_small, ["resize:w=100", "crop:x=500"], "out.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_failure_keeps_existing_destination(run: Run, coffee_small: Path, tmp_path: Path) -> None:
    dst = tmp_path / "out.png"
    dst.write_bytes(b"previous")
    with pytest.raises(InvalidOperation):
        run(coffee_small, ["crop:y=900"], "out.png")
    assert dst.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


def test_interrupt_during_write_cleans_up(tmp_path: Path) -> None:
    dst = tmp_path / "x.jpg"

    def writer(path: Path) -> None:
        path.write_bytes(b"partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomic(dst, writer)
    assert list(tmp_path.iterdir()) == []


def test_success_replaces_destination_and_creates_folder(run: Run, coffee_small: Path, tmp_path: Path) -> None:
    out = run(coffee_small, ["resize:w=30"], "sub/dir/out.png")
    assert out.path == tmp_path / "sub/dir/out.png"
    assert Image.open(out.path).size == (30, 20)
    assert [p.name for p in out.path.parent.iterdir()] == ["out.png"]


# --- animated GIF ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def animated_gif(srcdir: Path) -> Path:
    """Three 120x80 frames cut from a real photo, 100/200/300 ms."""
    with Image.open(DATA / "coffee.png") as im:
        rgb = im.convert("RGB")
        frames = [rgb.crop((x, 50, x + 240, 210)).resize((120, 80)) for x in (0, 150, 300)]
    path = srcdir / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=[100, 200, 300], loop=0)
    return path


def _frames(path: Path) -> list[np.ndarray]:
    out = []
    with Image.open(path) as im:
        for i in range(im.n_frames):
            im.seek(i)
            out.append(np.asarray(im.convert("RGB")).astype(np.int16))
    return out


def _durations(path: Path) -> list[int]:
    with Image.open(path) as im:
        ds = []
        for i in range(im.n_frames):
            im.seek(i)
            ds.append(im.info.get("duration"))
        return ds


def test_animated_resize_keeps_frames(run: Run, animated_gif: Path) -> None:
    out = run(animated_gif, ["resize:w=60"], "a.gif")
    with Image.open(out.path) as im:
        assert im.format == "GIF" and im.n_frames == 3 and im.size == (60, 40)
    assert (out.width, out.height) == (60, 40)
    assert _durations(out.path) == [100, 200, 300]
    src, got = _frames(animated_gif), _frames(out.path)
    for s, g in zip(src, got, strict=True):  # each frame is its own source frame, shrunk
        ref = np.asarray(Image.fromarray(s.astype(np.uint8)).resize((60, 40), Image.Resampling.LANCZOS))
        assert np.abs(g - ref).mean() < 12
    assert np.abs(got[0] - got[2]).mean() > 10  # frames still differ


def test_animated_crop_and_rotate_per_frame(run: Run, animated_gif: Path) -> None:
    out = run(animated_gif, ["crop:w=50,h=40,g=se", "rotate:angle=90"], "b.gif")
    with Image.open(out.path) as im:
        assert im.n_frames == 3 and im.size == (40, 50)
    src, got = _frames(animated_gif), _frames(out.path)
    for s, g in zip(src, got, strict=True):
        assert np.abs(g - np.rot90(s[40:80, 70:120], k=-1)).mean() < 12


def test_animated_to_webp_keeps_animation(run: Run, animated_gif: Path) -> None:
    out = run(animated_gif, ["resize:w=60", "format:target=webp"], "a.webp")
    with Image.open(out.path) as im:
        assert im.format == "WEBP" and im.n_frames == 3


def test_animated_to_jpg_takes_first_frame(run: Run, animated_gif: Path) -> None:
    out = run(animated_gif, ["resize:w=60", "format:target=jpg"], "a.jpg")
    with Image.open(out.path) as im:
        assert im.format == "JPEG" and im.size == (60, 40)
    first = np.asarray(Image.fromarray(_frames(animated_gif)[0].astype(np.uint8)).resize((60, 40))).astype(np.int16)
    assert np.abs(pixels(out.path) - first).mean() < 12


# --- intelligent operations are delegated -------------------------------------------------------------


def test_smart_crop_runs_through_vision(run: Run, coffee_small: Path) -> None:
    out = run(coffee_small, ["resize:w=200", "crop:g=auto,w=80,h=80", "format:target=png"], "s.png")
    got = pixels(out.path)
    assert got.shape == (80, 80, 3)
    # The crop is a region of the resized photo.
    src = pixels(run(coffee_small, ["resize:w=200"], "r.png").path)
    found = any(
        np.array_equal(got, src[y : y + 80, x : x + 80])
        for y in range(src.shape[0] - 79)
        for x in range(src.shape[1] - 79)
        if np.array_equal(got[0, 0], src[y, x])
    )
    assert found


def test_intelligent_op_on_animation_is_refused(run: Run, animated_gif: Path) -> None:
    with pytest.raises(UnsupportedOperation):
        run(animated_gif, ["crop:g=auto,w=40,h=40"], "x.gif")
