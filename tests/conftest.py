"""Fixtures shared by every test package. Heavy imports stay inside the fixtures, so collecting a test
that does not use them (the start-up tests, for instance) loads no server or SDK."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

pytest_plugins = ["pytester", "support.secret_scan"]

if os.environ.get("CI"):
    # CI draws the same examples on every run, so a red CI means a regression in the change, not a new
    # random draw; local runs keep exploring (and replay what they found from .hypothesis/).
    from hypothesis import settings as hypothesis_settings

    hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
    hypothesis_settings.load_profile("ci")

if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    # A shell without job control starts background commands with SIGINT ignored, and an ignored signal
    # stays ignored across exec: every child would then shrug off the Ctrl-C the interrupt tests send
    # (exit 0, not 130). Handled here, the children start with the default and Python's own handler.
    signal.signal(signal.SIGINT, signal.default_int_handler)

if TYPE_CHECKING:
    from support.cli import Cli
    from support.emulator import Emulator


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every test: no MEDIAPROC_/ALIBABA_CLOUD_/TENCENTCLOUD_/COS_ variable from the outside; the profile
    file, config and cache dirs and HOME in a fresh folder of their own (not in ``tmp_path``, which stays
    the test's). Returns that folder."""
    from support.cli import isolate_environment

    folder = tmp_path_factory.mktemp("env")
    isolate_environment(monkeypatch, folder)
    return folder


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    """``mediaproc ARGS`` in-process through the real entry point (see support.cli): ``cli(*args, env=None,
    url=False) -> CliResult``. Test packages that point mediaproc at a server override this fixture
    with ``cli.checked(their leak check)``."""
    from support.cli import Cli, cli_environment

    cli_environment(monkeypatch)
    return Cli(capsys)


@pytest.fixture
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits between attempts (OSS retries, job polls: ``mediaproc.backoff.sleep``) recorded and cut to
    a hundredth: the same attempts, without sleeping through real backoff. Returns the waits asked for
    (seconds, in order)."""
    import time

    from mediaproc import backoff

    asked: list[float] = []

    def sleep(seconds: float) -> None:
        asked.append(seconds)
        time.sleep(seconds / 100)

    monkeypatch.setattr(backoff, "sleep", sleep)
    return asked


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[Emulator]:
    """``mediaproc serve`` on a free loopback port with a temp root and known keys (see support.emulator)."""
    from support.emulator import running_emulator

    with running_emulator(tmp_path / "emulator-root") as emu:
        yield emu


@pytest.fixture
def umask_022() -> Iterator[None]:
    """umask 022 for the test: files must come out as ``cp`` writes them (0644 new, a replaced file's mode kept)."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's folder as the working directory: names are typed as an operator types them."""
    monkeypatch.chdir(tmp_path)
    return tmp_path
