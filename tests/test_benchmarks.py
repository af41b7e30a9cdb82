"""The benchmarks' machine-readable side, which ``benchmarks/compare.py`` depends on: a benchmark's
``--json FILE`` holds the figures it prints, and the comparison's verdicts and clean-up hold. Nothing
here is timed: the figures are checked for shape and sense, never against a duration."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
SRC = ROOT / "src"


def load(name: str) -> ModuleType:
    """A module of benchmarks/ (not a package: the scripts import each other by file name)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCHMARKS / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCHMARKS))


def bench_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(SRC)}


def test_startup_json_has_the_printed_figures(tmp_path: Path) -> None:
    out = tmp_path / "startup.json"
    proc = subprocess.run([sys.executable, str(BENCHMARKS / "startup.py"), "--runs", "1", "--json", str(out)],
                          capture_output=True, text=True, env=bench_env(), timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    results = load("results")
    name, figures, doc = results.read_json(out)
    assert name == "startup" and doc["params"] == {"runs": 1} and len(doc["loadavg"]) == 3
    rows = ["python -c pass", "minimal Typer app --help", "minimal Typer app hello --help",
            "minimal Typer app completion", "mediaproc --help", "mediaproc image --help",
            "mediaproc completion (resize:)"]
    mediaproc_rows = [r for r in rows if r.startswith("mediaproc")]
    expected = {results.key(r, "ms") for r in rows} | {results.key(r, "ratio") for r in mediaproc_rows}
    assert set(figures) == expected | {"worst_ratio"}
    for row in rows:  # each figure is the number printed on its line
        fig = figures[results.key(row, "ms")]
        assert f"{row:34s} {fig.value:7.1f} ms" in proc.stdout
        assert fig.unit == "ms" and fig.value > 0 and fig.better == "lower"
        assert fig.role == ("subject" if row.startswith("mediaproc") else "reference")
    assert figures["worst_ratio"].value == max(figures[results.key(r, "ratio")].value for r in mediaproc_rows)


def test_verdicts_follow_each_figures_direction() -> None:
    compare = load("compare")

    def row(base: list[float], new: list[float], better: str = "lower", role: str = "subject") -> str:
        verdict: str = compare.Row("k", "label", "s", better, role, base, new).verdict(0.05)
        return verdict

    assert row([1.0, 1.0, 9.0], [1.04, 1.05, 1.0]) == "PASS"  # medians 1.0 and 1.04: within 5%
    assert row([1.0, 1.0, 1.0], [1.06, 1.06, 0.5]) == "SLOWER"  # an outlier does not move a median
    assert row([10.0], [9.6], better="higher") == "PASS"
    assert row([10.0], [9.4], better="higher") == "SLOWER"  # a throughput that fell by more than 5%
    assert row([1.0], [2.0], role="reference") == "ref"  # a bare tool's drift is noise, not a regression
    assert row([], [1.0]) == "n/a"


def test_unknown_baseline_is_one_line_and_exit_2(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(BENCHMARKS / "compare.py"), "--baseline", "no-such-ref-xyz"],
                          capture_output=True, text=True, env=bench_env(), timeout=60, check=False)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "no-such-ref-xyz" in proc.stderr and "hint" in proc.stderr


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs the git checkout (compare.py adds a worktree)")
def test_ctrl_c_removes_the_baseline_worktree(tmp_path: Path) -> None:
    """Interrupted while a benchmark runs: exit 130, the temporary worktree and folders gone."""
    tmp, logs = tmp_path / "tmp", tmp_path / "logs"
    tmp.mkdir()
    proc = subprocess.Popen([sys.executable, str(BENCHMARKS / "compare.py"), "--baseline", "HEAD", "--quick",
                             "--runs", "1", "--logs", str(logs), "startup"],
                            env={**bench_env(), "TMPDIR": str(tmp)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        while not (logs / "startup-baseline.log").exists() and proc.poll() is None:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, out + err
    assert "interrupted" in err
    worktrees = subprocess.run(["git", "-C", str(ROOT), "worktree", "list"], capture_output=True, text=True,
                               check=True).stdout
    assert str(tmp) not in worktrees
    assert list(tmp.iterdir()) == []
    import psutil  # the benchmark process (its argv names a file under tmp) was stopped with the harness

    left = [p.info for p in psutil.process_iter(["pid", "cmdline"]) if str(tmp) in " ".join(p.info["cmdline"] or [])]
    assert not left
