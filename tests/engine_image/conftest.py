"""Fixtures for the local image engine tests: small real-photo sources and a chain runner.

Every test decodes what the engine wrote (Pillow or numpy) instead of trusting the engine's return
value; sources are derived from the photos in tests/data, resized small so the suite stays fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mediaproc.engine.image import ImageOutput, process_image
from mediaproc.ops.parse import parse_chain

from .helpers import DATA, Run, save


@pytest.fixture(scope="session")
def srcdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("img_src")


@pytest.fixture(scope="session")
def photo_200x100(srcdir: Path) -> Path:
    """The SPEC §4 200x100 source, from the chelsea photo (PNG: lossless, so crops compare exactly)."""
    with Image.open(DATA / "chelsea.png") as im:
        return save(im.convert("RGB").resize((200, 100), Image.Resampling.LANCZOS), srcdir / "p200x100.png")


@pytest.fixture(scope="session")
def jpeg_200x100(srcdir: Path) -> Path:
    with Image.open(DATA / "chelsea.png") as im:
        img = im.convert("RGB").resize((200, 100), Image.Resampling.LANCZOS)
        return save(img, srcdir / "j200x100.jpg", quality=90)


@pytest.fixture(scope="session")
def jpeg_400x267(srcdir: Path) -> Path:
    """The SPEC §4 400x267 source, from the rocket photo, as JPEG (exercises shrink-on-load)."""
    with Image.open(DATA / "rocket.jpg") as im:
        return save(im.convert("RGB").resize((400, 267), Image.Resampling.LANCZOS), srcdir / "j400x267.jpg", quality=90)


@pytest.fixture(scope="session")
def png_400x267(srcdir: Path) -> Path:
    with Image.open(DATA / "rocket.jpg") as im:
        return save(im.convert("RGB").resize((400, 267), Image.Resampling.LANCZOS), srcdir / "p400x267.png")


@pytest.fixture(scope="session")
def coffee_small(srcdir: Path) -> Path:
    """300x200 PNG photo (non-square, so gravities differ on both axes)."""
    with Image.open(DATA / "coffee.png") as im:
        return save(im.convert("RGB").resize((300, 200), Image.Resampling.LANCZOS), srcdir / "coffee300.png")


@pytest.fixture(scope="session")
def jpeg_q80(srcdir: Path) -> Path:
    with Image.open(DATA / "astronaut.png") as im:
        return save(im.convert("RGB").resize((256, 256)), srcdir / "astro_q80.jpg", quality=80)


@pytest.fixture(scope="session")
def alpha_png(srcdir: Path) -> Path:
    """160x120 RGBA photo with an opaque body and a fully transparent left strip."""
    with Image.open(DATA / "astronaut.png") as im:
        img = im.convert("RGBA").resize((160, 120))
    a = np.asarray(img).copy()
    a[:, :20, 3] = 0
    return save(Image.fromarray(a), srcdir / "alpha.png")


@pytest.fixture
def run(tmp_path: Path) -> Run:
    """``run(src, ["resize:w=100", ...], "out.png", **kw)`` -> ImageOutput, chain parsed by ops.parse."""

    def _run(src: Path, words: Sequence[str], name: str = "out.png", **kw: object) -> ImageOutput:
        chain = list(parse_chain(list(words))) if words else []
        return process_image(src, chain, tmp_path / name, **kw)  # type: ignore[arg-type]

    return _run
