"""crop g=auto: libvips smartcrop finds an off-centre subject that a centre crop misses."""

from __future__ import annotations

import numpy as np
import pytest
import pyvips

from mediaproc.engine.vision import apply

from .helpers import contains, locate, make_op, pixels

SUBJECT_AT = (40, 110)
SUBJECT = (150, 40, 160, 180)  # the astronaut's head and shoulders: left, top, width, height


@pytest.fixture(scope="module")
def scene(astronaut: pyvips.Image, coffee: pyvips.Image) -> pyvips.Image:
    """An 800x400 desaturated, heavily blurred photo with the astronaut's head pasted off-centre."""
    background = coffee.resize(800 / coffee.width).gaussblur(25).colourspace("b-w").colourspace("srgb")
    background = background.crop(0, 0, 800, 400)
    head = astronaut.crop(*SUBJECT)
    return background.insert(head, *SUBJECT_AT).copy_memory()


def _subject_box() -> tuple[int, int, int, int]:
    return (SUBJECT_AT[0], SUBJECT_AT[1], SUBJECT[2], SUBJECT[3])


def test_smart_crop_contains_the_subject_and_differs_from_a_centre_crop(scene: pyvips.Image) -> None:
    out = apply(scene, make_op("crop", g="auto", w=300, h=300))
    assert (out.width, out.height) == (300, 300)
    left, top = locate(pixels(scene), pixels(out))
    assert contains((left, top, 300, 300), _subject_box())
    centre = pixels(scene.crop(250, 50, 300, 300))
    assert not np.array_equal(pixels(out), centre)
    assert not contains((250, 50, 300, 300), _subject_box())


def test_smart_crop_default_is_the_largest_square(scene: pyvips.Image) -> None:
    out = apply(scene, make_op("crop", g="auto"))
    assert (out.width, out.height) == (400, 400)
    left, top = locate(pixels(scene), pixels(out))
    assert top == 0 and contains((left, 0, 400, 400), _subject_box())


def test_smart_crop_with_one_side_keeps_the_other(scene: pyvips.Image) -> None:
    out = apply(scene, make_op("crop", g="auto", w=260))
    assert (out.width, out.height) == (260, 400)
    left, _top = locate(pixels(scene), pixels(out))
    assert contains((left, 0, 260, 400), _subject_box())


def test_smart_crop_larger_than_the_image_is_cut_to_it(scene: pyvips.Image) -> None:
    out = apply(scene, make_op("crop", g="auto", w=5000, h=5000))
    assert (out.width, out.height) == (800, 400)
