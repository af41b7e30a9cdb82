"""The CLI as the tests run it, and the clean environment every test starts from.

:func:`isolate_environment` (the autouse ``isolated_env`` fixture in ``tests/conftest.py``) removes
every setting a developer's shell could leak into a test (``MEDIAPROC_*``, ``ALIBABA_CLOUD_*``,
``TENCENTCLOUD_*``, ``COS_*``) and points the profile file, the user config and cache dirs and
``HOME`` (where the cloud credential chains look) at a fresh temp folder.

:class:`Cli` (the ``cli`` fixture) runs ``mediaproc ARGS`` in-process through the real entry point
(:func:`mediaproc.cli.app.run`), so exit codes are the real ones, and returns a :class:`CliResult`.
Every run is handed to the suite's secret scan; ``url=True`` marks a run whose stdout is a signed URL
the test asked for (only stderr is scanned then, and a ``check`` hook is told so).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from support import secret_scan

SCRUBBED_PREFIXES = ("MEDIAPROC_", "ALIBABA_CLOUD_", "TENCENTCLOUD_", "COS_")
# Where fonts are describes the machine, not a setting under test: kept from the outside (.ci/run hides
# the system fonts this way). With no MEDIAPROC_FONT_PATH, the bundled CJK subset stands in for a system
# CJK font, so the suite passes on a bare machine (README's test command needs no apt step).
FONT_VARS = ("MEDIAPROC_FONT_PATH", "MEDIAPROC_FONT_DIRS")
BUNDLED_FONTS = Path(__file__).resolve().parents[1] / "data" / "fonts"
LANGUAGE_VARS = ("LANG", "LC_ALL", "LC_MESSAGES", "LANGUAGE")  # the CLI speaks English unless told


def isolate_environment(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """No cloud or mediaproc setting from the outside; config, cache and home in ``folder``."""
    for var in list(os.environ):
        if var.startswith(SCRUBBED_PREFIXES) and var not in FONT_VARS:
            monkeypatch.delenv(var, raising=False)
    if not os.environ.get("MEDIAPROC_FONT_PATH"):
        monkeypatch.setenv("MEDIAPROC_FONT_PATH", str(BUNDLED_FONTS))
    home = folder / "home"
    home.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("MEDIAPROC_CONFIG", str(folder / "mediaproc-config.toml"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder / "cache"))
    monkeypatch.setenv("HOME", str(home))
    # the servers the tests start listen on loopback: a developer's proxy must not sit in between
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    @property
    def error(self) -> dict[str, Any]:
        """The ``error`` object of a ``--json`` failure document on stdout."""
        doc = self.json()
        assert isinstance(doc, dict) and doc.get("success") is False, doc
        error: dict[str, Any] = doc["error"]
        return error

    @property
    def first_stderr_line(self) -> str:
        """The first line on stderr: ``Error: <message>`` for a mediaproc error (unless progress came first)."""
        lines = self.stderr.splitlines()
        return lines[0] if lines else ""


Check = Callable[[CliResult, bool], None]  # (result, url) -> raises AssertionError on a leak


def exit_code(exc: SystemExit) -> int:
    """The process exit status ``sys.exit(value)`` gives: an int as is, None 0, anything else 1."""
    if isinstance(exc.code, int):
        return exc.code
    return 0 if exc.code is None else 1


class Cli:
    """``cli(*args, env=None, url=False) -> CliResult``: ``env`` sets variables for this run only."""

    def __init__(self, capsys: pytest.CaptureFixture[str], *, checks: tuple[Check, ...] = ()) -> None:
        self._capsys = capsys
        self._checks = checks

    def checked(self, check: Check) -> Cli:
        """The same runner, also calling ``check(result, url)`` after every run."""
        return Cli(self._capsys, checks=(*self._checks, check))

    def __call__(self, *args: str, env: Mapping[str, str] | None = None, url: bool = False) -> CliResult:
        from mediaproc.cli.app import run

        self._capsys.readouterr()
        with pytest.MonkeyPatch.context() as mp:
            for name, value in (env or {}).items():
                mp.setenv(name, value)
            try:
                run(list(args))
                code = 0
            except SystemExit as exc:
                code = exit_code(exc)
            finally:
                # A real run is a process of its own: --debug turns the SDK loggers on for that process
                # only. In-process, put them back to silent, or the test's own SDK calls log afterwards.
                from mediaproc.sdklogs import silence_sdk_logs

                silence_sdk_logs(False)
        out, err = self._capsys.readouterr()
        where = f"cli {' '.join(args)[:80]}"
        if not url:
            secret_scan.record(out, f"{where} [stdout]")
        secret_scan.record(err, f"{where} [stderr]")
        result = CliResult(code, out, err)
        for check in self._checks:
            check(result, url)
        return result


def cli_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """What every in-process CLI run assumes: CI mode (no live progress), English."""
    for var in LANGUAGE_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("CI", "1")
