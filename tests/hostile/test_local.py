"""Hostile inputs on the local provider (issue 19): each one refused before decoding, exit 2, one line
naming the limit and its value, nothing written, and the CLI's peak memory far below 1 GB.

The commands run through the real entry point in child processes (``support.rss``), all of them in one
measuring wrapper so the module costs one interpreter start per command and nothing more; each test
then reads its command's outcome.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.cli import isolate_environment
from support.hostile import CASES, Case, honest_jpeg, prepare
from support.rss import GB, Measured, run_cli

PEAK = 1 * GB


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Measured]]]:
    """Every case's outcome, run once for the module in a clean environment."""
    work = tmp_path_factory.mktemp("hostile-local")
    prepare(work)
    monkeypatch = pytest.MonkeyPatch()
    isolate_environment(monkeypatch, tmp_path_factory.mktemp("hostile-env"))
    try:
        results = run_cli([case.command(work) for case in CASES])
    finally:
        monkeypatch.undo()
    yield work, dict(zip((c.id for c in CASES), results, strict=True))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_refused_before_work_with_exit_2(outcomes: tuple[Path, dict[str, Measured]], case: Case) -> None:
    work, results = outcomes
    run = results[case.id]
    assert run.code == 2, run.stderr
    lines = [line for line in run.error_lines if not line.startswith("Task ID: ")]  # a local media job's id
    assert len(lines) == 2 and lines[0].startswith("Error: ") and lines[1].startswith("Hint: "), run.stderr
    assert "Traceback" not in run.stderr
    if case.limit not in ("text_bytes", "concat_inputs"):  # those two are parameter ranges of the catalogue
        assert f"over the limit {case.limit} = " in lines[0], lines[0]
    else:
        assert "64" in lines[0] or "11" in lines[0], lines[0]
    assert not (work / case.wrote).exists()
    assert not [p for p in work.iterdir() if p.name.startswith(".") and "tmp" in p.name], "a temporary file was left"
    assert run.peak < PEAK, f"{case.id}: the CLI peaked at {run.peak >> 20} MiB"


def test_a_ceiling_is_raised_by_its_variable(tmp_path: Path) -> None:
    """The hint's variable works verbatim: with MEDIAPROC_MAX_CHAIN_OPS=50, 40 operations run."""
    src = tmp_path / "a.jpg"
    src.write_bytes(honest_jpeg())
    chain = ["bright:v=1"] * 40
    (refused,) = run_cli([["process", str(src), *chain, "--to", str(tmp_path / "no.jpg")]])
    raised = {"MEDIAPROC_MAX_CHAIN_OPS": "50"}
    (allowed,) = run_cli([["process", str(src), *chain, "--to", str(tmp_path / "yes.jpg")]], env=raised)
    assert refused.code == 2 and "MEDIAPROC_MAX_CHAIN_OPS=N" in refused.stderr
    assert allowed.code == 0, allowed.stderr
    assert (tmp_path / "yes.jpg").stat().st_size > 0 and not (tmp_path / "no.jpg").exists()
