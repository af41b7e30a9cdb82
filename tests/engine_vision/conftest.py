"""Session fixtures: real photographs from tests/data, decoded once."""

from __future__ import annotations

import pytest
import pyvips

from .helpers import DATA


@pytest.fixture(scope="session")
def astronaut() -> pyvips.Image:
    return pyvips.Image.new_from_file(str(DATA / "astronaut.png")).copy_memory()


@pytest.fixture(scope="session")
def coffee() -> pyvips.Image:
    return pyvips.Image.new_from_file(str(DATA / "coffee.png")).copy_memory()
