"""Fixtures shared by every test package. Heavy imports stay inside the fixtures, so collecting a test
that does not use them (the start-up tests, for instance) loads no server or SDK."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

pytest_plugins = ["support.secret_scan"]

if TYPE_CHECKING:
    from support.emulator import Emulator


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Emulator]:
    """``mediaproc serve`` on a free loopback port with a temp root and known keys (see support.emulator)."""
    from support.emulator import running_emulator

    with running_emulator(tmp_path / "emulator-root") as emu:
        yield emu
