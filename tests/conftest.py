"""Fixtures shared by every test package. Heavy imports stay inside the fixtures, so collecting a test
that does not use them (the start-up tests, for instance) loads no server or SDK."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

pytest_plugins = ["support.secret_scan"]

if os.environ.get("CI"):
    # CI draws the same examples on every run, so a red CI means a regression in the change, not a new
    # random draw; local runs keep exploring (and replay what they found from .hypothesis/).
    from hypothesis import settings as hypothesis_settings

    hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
    hypothesis_settings.load_profile("ci")

if TYPE_CHECKING:
    from support.emulator import Emulator


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Emulator]:
    """``mediaproc serve`` on a free loopback port with a temp root and known keys (see support.emulator)."""
    from support.emulator import running_emulator

    with running_emulator(tmp_path / "emulator-root") as emu:
        yield emu
