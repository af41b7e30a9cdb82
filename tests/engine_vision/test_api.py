"""The vision API contract: dispatch, errors before work, light import, and the image chain end to end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import pyvips

from mediaproc.engine.vision import analyze, apply, is_vision_op, local_analyses
from mediaproc.errors import ExitCode, InvalidOperation, MediaError, NotFound, UnsupportedOperation

from .helpers import ASTRONAUT_FACE, DATA, contains, locate, make_op, pixels


@pytest.mark.parametrize("name", ["cars", "labels"])
def test_cloud_only_analyses_fail_before_reading_the_source(tmp_path: Path, name: str) -> None:
    with pytest.raises(UnsupportedOperation) as info:
        analyze(make_op(name), tmp_path / "does-not-exist.jpg")  # no NotFound: nothing is read
    err = info.value
    assert err.exit_code == ExitCode.USAGE
    assert err.message == f"{name} is not available on the local provider"  # validation's refusal, word for word
    assert "--provider oss" in (err.hint or "") and "--provider cos" in (err.hint or "")


def test_the_local_analyses_are_the_catalogues() -> None:
    """Which analyses run here is the catalogue's ``backends``; the engine kept its own two lists."""
    assert set(local_analyses()) == {"faces", "bodies", "codes", "score", "blindwatermark-extract"}


def test_missing_and_corrupt_sources(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        analyze(make_op("faces"), tmp_path / "missing.png")
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 this is not a jpeg")
    with pytest.raises(MediaError) as info:
        analyze(make_op("codes"), bad)
    assert info.value.exit_code == ExitCode.USAGE


def test_non_vision_operations_are_refused(astronaut: pyvips.Image) -> None:
    with pytest.raises(InvalidOperation):
        apply(astronaut, make_op("crop", g="center", w=10, h=10))
    with pytest.raises(InvalidOperation):
        analyze(make_op("info"), DATA / "astronaut.png")


def test_is_vision_op() -> None:
    assert is_vision_op(make_op("crop", g="auto"))
    assert is_vision_op(make_op("crop", g="face", p=120))
    assert is_vision_op(make_op("blur", g="faces", r=3, s=2))
    assert is_vision_op(make_op("blindwatermark-embed", content="x"))
    assert not is_vision_op(make_op("crop", g="nw", w=5))
    assert not is_vision_op(make_op("blur", r=3, s=2))


def test_animated_frames_stack_is_refused(astronaut: pyvips.Image) -> None:
    stacked = astronaut.join(astronaut, "vertical").copy()
    stacked.set_type(pyvips.GValue.gint_type, "page-height", 512)
    with pytest.raises(UnsupportedOperation):
        apply(stacked, make_op("crop", g="auto"))


def test_importing_the_package_loads_no_heavy_library() -> None:
    code = (
        "import sys, mediaproc.engine.vision\n"
        "heavy = [m for m in ('cv2', 'numpy', 'pyvips', 'zxingcpp', 'brisque', 'pywt', 'skimage', 'scipy')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_face_crop_and_watermark_through_the_image_chain(tmp_path: Path) -> None:
    from mediaproc.engine.image import process_image

    cropped = tmp_path / "face.png"
    result = process_image(DATA / "astronaut.png", [make_op("crop", g="face", w=160, h=160)], cropped)
    assert (result.width, result.height) == (160, 160)
    source = pixels(pyvips.Image.new_from_file(str(DATA / "astronaut.png")))
    left, top = locate(source, pixels(pyvips.Image.new_from_file(str(cropped))))
    assert contains((left, top, 160, 160), ASTRONAUT_FACE)

    marked = tmp_path / "marked.jpg"
    chain = [make_op("resize", w=400), make_op("blindwatermark-embed", content="chain ok", s="medium")]
    result = process_image(DATA / "rocket.jpg", chain, marked)
    assert (result.width, result.format) == (400, "jpg")
    assert analyze(make_op("blindwatermark-extract", s="medium"), marked)["Content"] == "chain ok"
