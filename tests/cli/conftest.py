"""Run the CLI in-process through its real entry point (`run`), so exit codes are the real ones."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mediaproc.cli.app import run
from support import secret_scan


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
        ) -> Callable[..., CliResult]:
    for var in list(os.environ):
        if var.startswith(("MEDIAPROC_", "ALIBABA_CLOUD_", "TENCENTCLOUD_", "COS_")):
            monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MEDIAPROC_CONFIG", str(tmp_path / "mediaproc-config.toml"))
    monkeypatch.setenv("CI", "1")

    def invoke(*args: str) -> CliResult:
        capsys.readouterr()
        try:
            run(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        secret_scan.record(out, f"cli {' '.join(args)[:80]} [stdout]")
        secret_scan.record(err, f"cli {' '.join(args)[:80]} [stderr]")
        return CliResult(code, out, err)

    return invoke
