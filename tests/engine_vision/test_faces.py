"""faces (detection JSON), crop g=face and blur g=face|faces on real photographs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import pyvips

from mediaproc.engine.vision import analyze, apply

from .helpers import ASTRONAUT_FACE, DATA, boundary, contains, iou, locate, make_op, pixels


def test_one_face_on_astronaut_overlapping_the_hand_checked_box() -> None:
    out = analyze(make_op("faces"), DATA / "astronaut.png")
    assert list(out) == ["Faces"]
    assert len(out["Faces"]) == 1
    face = out["Faces"][0]
    assert face["FigureType"] == "face"
    assert 0.5 < face["FigureConfidence"] <= 1.0
    assert set(face["Boundary"]) == {"Left", "Top", "Width", "Height"}
    assert iou(boundary(face["Boundary"]), ASTRONAUT_FACE) >= 0.6


@pytest.mark.parametrize("name", ["chelsea.png", "coffee.png", "rocket.jpg"])
def test_no_faces_in_photographs_without_people(name: str) -> None:
    assert analyze(make_op("faces"), DATA / name) == {"Faces": []}


def test_face_boxes_map_back_from_the_shrunk_search(tmp_path: Path, astronaut: pyvips.Image) -> None:
    # 1536 px is searched at 1024 px; the box must come back in the 1536 px grid.
    big = astronaut.resize(3, kernel="linear")
    path = tmp_path / "big.png"
    big.write_to_file(str(path))
    faces = analyze(make_op("faces"), path)["Faces"]
    assert len(faces) == 1
    expected = tuple(3 * v for v in ASTRONAUT_FACE)
    assert iou(boundary(faces[0]["Boundary"]), expected) >= 0.6  # type: ignore[arg-type]


def test_face_crop_with_size_contains_the_face(astronaut: pyvips.Image) -> None:
    out = apply(astronaut, make_op("crop", g="face", w=200, h=200))
    assert (out.width, out.height) == (200, 200)
    left, top = locate(pixels(astronaut), pixels(out))
    assert contains((left, top, 200, 200), ASTRONAUT_FACE)


def test_face_crop_zoom_is_relative_to_the_face_box(astronaut: pyvips.Image) -> None:
    detected = analyze(make_op("faces"), DATA / "astronaut.png")["Faces"][0]["Boundary"]
    out = apply(astronaut, make_op("crop", g="face", p=150))
    assert (out.width, out.height) == (round(detected["Width"] * 1.5), round(detected["Height"] * 1.5))
    left, top = locate(pixels(astronaut), pixels(out))
    assert contains((left, top, out.width, out.height), ASTRONAUT_FACE, slack=8)
    tight = apply(astronaut, make_op("crop", g="face"))  # p=100: exactly the detected box
    assert (tight.width, tight.height) == (detected["Width"], detected["Height"])
    assert locate(pixels(astronaut), pixels(tight)) == (detected["Left"], detected["Top"])


def test_face_crop_window_is_shifted_into_the_image(astronaut: pyvips.Image) -> None:
    out = apply(astronaut, make_op("crop", g="face", w=480, h=500))
    assert (out.width, out.height) == (480, 500)
    left, top = locate(pixels(astronaut), pixels(out))
    assert 0 <= left <= 512 - 480 and 0 <= top <= 512 - 500
    assert contains((left, top, 480, 500), ASTRONAUT_FACE)


def test_face_crop_without_a_face_falls_back_to_the_centre(coffee: pyvips.Image) -> None:
    out = apply(coffee, make_op("crop", g="face", w=200, h=100))
    assert locate(pixels(coffee), pixels(out)) == (200, 150)
    unchanged = apply(coffee, make_op("crop", g="face", p=150))
    assert np.array_equal(pixels(unchanged), pixels(coffee))


def _changed_box(a: np.ndarray, b: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(np.any(a != b, axis=2))
    return (int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))


def _sharpness(a: np.ndarray) -> float:
    import cv2

    return float(cv2.Laplacian(cv2.cvtColor(a, cv2.COLOR_RGB2GRAY), cv2.CV_64F).var())


def test_face_blur_changes_the_face_and_nothing_else(astronaut: pyvips.Image) -> None:
    detected = boundary(analyze(make_op("faces"), DATA / "astronaut.png")["Faces"][0]["Boundary"])
    src = pixels(astronaut)
    out = apply(astronaut, make_op("blur", g="face", r=10, s=8))
    assert (out.width, out.height, out.bands, out.format) == (512, 512, 3, "uchar")
    dst = pixels(out)
    changed = _changed_box(src, dst)
    assert contains(detected, changed)  # not one pixel outside the face box differs
    x, y, w, h = detected
    face_before, face_after = src[y : y + h, x : x + w], dst[y : y + h, x : x + w]
    assert np.mean(np.any(face_before != face_after, axis=2)) > 0.5
    assert _sharpness(face_after) < 0.3 * _sharpness(face_before)


def test_faces_blur_with_zoom_grows_the_region(astronaut: pyvips.Image) -> None:
    x, y, w, h = boundary(analyze(make_op("faces"), DATA / "astronaut.png")["Faces"][0]["Boundary"])
    src = pixels(astronaut)
    dst = pixels(apply(astronaut, make_op("blur", g="faces", r=5, s=5, p=200)))
    grown = (round(x + w / 2 - w), round(y + h / 2 - h), 2 * w, 2 * h)
    changed = _changed_box(src, dst)
    assert contains(grown, changed)
    assert changed[2] > 1.5 * w and changed[3] > 1.5 * h


def test_face_blur_keeps_alpha_untouched_outside(astronaut: pyvips.Image) -> None:
    rgba = astronaut.bandjoin(128)
    out = apply(rgba, make_op("blur", g="face", r=8, s=6))
    assert (out.bands, out.format) == (4, "uchar")
    assert np.all(pixels(out)[..., 3] == 128)


def test_face_blur_without_a_face_is_a_no_op(coffee: pyvips.Image) -> None:
    out = apply(coffee, make_op("blur", g="faces", r=10, s=10))
    assert np.array_equal(pixels(out), pixels(coffee))
