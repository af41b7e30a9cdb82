"""Nothing gets slower: the benchmarks run against a baseline checkout and this working tree, side by side.

Issue 23's acceptance asks that the existing benchmarks (thumbnail floor, start-up, batch, transcode)
stay within 5% of their medians over 5 runs. This harness measures exactly that: it checks the
baseline out as a temporary ``git worktree`` (removed at the end, also on Ctrl-C or SIGTERM), then
runs each named benchmark ``--runs`` times (5) for each checkout, the two taking turns run by run
(baseline, new, new, baseline, ...: a load spike or a slow drift hits both alike). Every run is a fresh
process of *this* tree's benchmark script (one measurement applied to both) with
``PYTHONPATH=<checkout>/src``, so only the code under test differs; each script writes its key
figures with ``--json`` (``benchmarks/results.py``). For each figure the table gives both medians, new
/ baseline, the spread (min-max over the runs) and a verdict: SLOWER when the new median is more than
``--tolerance`` (5%) worse than the baseline's (higher for times, lower for a throughput or speed-up),
PASS otherwise. Rows that do not measure mediaproc (bare ffmpeg, ``python -c pass``, the Pillow decode
floor) are marked ``ref``: both checkouts ran the same thing, so their ratio is the run's noise. The
load average beside each benchmark says how busy the machine was; on a shared machine compare on a
quiet one before believing a SLOWER of a few percent.

The default baseline is 6256394 ("Compat flows: one step runner ..."), the last commit on main before
issue 23's work: both of its first commits ("JPEG quality estimate in plain Python", b4b95df, and
"serve at scale: a listing page costs O(page)", 32e2608) have it as their parent, and the CHANGELOG's
issue-23 section ("Faster one-shot runs, every core, serve at scale") describes only what came after
it. Work on issues 18, 20 and 22 branched from the same commit, so a difference can also come from
them; pass ``--baseline REF`` to bisect.

Where a benchmark's interface differs between the checkouts, the benchmark handles it (batch.py
starts serve through the tested checkout's own test helper, whose options changed in issue 23); a
run that fails anyway is reported with the tail of its output and the benchmark is skipped, the
others still run. Exit status: 0 all PASS, 1 something SLOWER or a benchmark failed, 2 usage error,
130 interrupted.

Run: python benchmarks/compare.py [--baseline REF] [--runs 5] [--quick] [--json FILE] [--logs DIR]
     [thumbnail startup batch transcode | local_batch oneshot | all]
``--quick`` gives each benchmark fewer rounds inside (a smoke run of the harness, not a verdict).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from results import Figure, read_json

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = Path(__file__).resolve().parent
BASELINE_REF = "6256394b5444cfcd72f3feb867383b92c7fb326d"
TOLERANCE = 0.05
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


@dataclass(frozen=True)
class Benchmark:
    """A benchmark script and the arguments of its ``--quick`` run (fewer rounds inside)."""

    name: str
    quick: tuple[str, ...]
    required: bool = True  # named by issue 23's acceptance; the others run when asked for


BENCHES: dict[str, Benchmark] = {b.name: b for b in (
    Benchmark("thumbnail", ("--repeat", "2")),
    Benchmark("startup", ("--runs", "3")),
    Benchmark("batch", ("--images", "40", "--repeat", "1")),
    Benchmark("transcode", ("--rounds", "1", "--seconds", "3")),
    Benchmark("local_batch", ("--images", "40", "--rounds", "1"), required=False),
    Benchmark("oneshot", ("--rounds", "2", "--skip-video"), required=False),
)}


@dataclass(frozen=True)
class Tree:
    label: str  # "baseline" or "new"
    root: Path
    describe: str


@dataclass
class Run:
    """One benchmark process: its figures, or why it has none."""

    figures: dict[str, Figure]
    wall: float
    cpu: float  # user + system of the process and every child it reaped (os.wait4)
    load_before: float
    load_after: float
    error: str = ""


@dataclass
class Outcome:
    runs: dict[str, list[Run]] = field(default_factory=lambda: {"baseline": [], "new": []})
    failed: str = ""


class Stopped(Exception):
    """SIGTERM or SIGHUP: leave like Ctrl-C, cleaning up on the way out."""


_CHILD: subprocess.Popen[bytes] | None = None


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True).stdout.strip()


@contextlib.contextmanager
def baseline_worktree(commit: str) -> Iterator[Path]:
    """A detached ``git worktree`` of ``commit`` in a temporary folder, removed on the way out however
    the block ends (a second Ctrl-C during the removal is ignored, so it cannot leave half a tree)."""
    tmp = Path(tempfile.mkdtemp(prefix="mediaproc-compare-"))
    path = tmp / "baseline"
    try:
        git("worktree", "add", "--detach", "--quiet", str(path), commit)
        yield path
    finally:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            if path.exists():
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)],
                               capture_output=True, check=False)
            shutil.rmtree(tmp, ignore_errors=True)
            subprocess.run(["git", "-C", str(ROOT), "worktree", "prune"], capture_output=True, check=False)
        finally:
            signal.signal(signal.SIGINT, previous)


def child_env(tree: Tree) -> dict[str, str]:
    """This environment with ``PYTHONPATH`` at the tree's source. Bytecode is written and used (an
    installed tool has it; PYTHONDONTWRITEBYTECODE would make every run recompile mediaproc)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH")}
    env["PYTHONPATH"] = str(tree.root / "src")
    return env


def prepare(tree: Tree) -> None:
    """Compile the tree's source once and check that a run imports mediaproc from it, not another copy."""
    env = child_env(tree)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree.root / "src")], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    where = subprocess.run([sys.executable, "-c", "import mediaproc; print(mediaproc.__file__)"], env=env,
                           check=True, capture_output=True, text=True, cwd=tempfile.gettempdir()).stdout.strip()
    if not Path(where).resolve().is_relative_to((tree.root / "src").resolve()):
        raise SystemExit(f"error: with PYTHONPATH={tree.root / 'src'} mediaproc comes from {where}")


def stop_child() -> None:
    """Stop the benchmark in flight and everything it started (its own process group): SIGINT first,
    so its temporary folders and servers are cleaned up, then SIGKILL after 20 s."""
    child = _CHILD
    if child is None or child.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGINT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        pid, _status = os.waitpid(child.pid, os.WNOHANG)
        if pid:
            child.returncode = -1
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)
    os.waitpid(child.pid, 0)
    child.returncode = -1


def run_once(bench: Benchmark, tree: Tree, extra: list[str], work: Path, log: Path) -> Run:
    """One fresh process of this tree's benchmark script against ``tree``'s mediaproc."""
    global _CHILD
    out = work / f"{bench.name}-{tree.label}.json"
    out.unlink(missing_ok=True)
    argv = [sys.executable, str(BENCHMARKS / f"{bench.name}.py"), *extra, "--json", str(out)]
    load_before = os.getloadavg()[0]
    t = time.perf_counter()
    with log.open("ab") as sink:
        sink.write(f"\n### {tree.label}: {' '.join(argv)}\n".encode())
        sink.flush()
        # A session of its own: Ctrl-C reaches this process only, which stops the child's whole group.
        # The stop signals wait until the child is known (no child started but not yet recorded); the
        # child itself starts with them unblocked.
        held = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            _CHILD = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT,
                                      env=child_env(tree), cwd=work, start_new_session=True,
                                      preexec_fn=lambda: signal.pthread_sigmask(signal.SIG_SETMASK, held))
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
        _pid, status, usage = os.wait4(_CHILD.pid, 0)
        _CHILD.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t
    cpu = usage.ru_utime + usage.ru_stime
    code, _CHILD = _CHILD.returncode, None
    if code != 0 or not out.exists():
        tail = log.read_text(errors="replace").strip().splitlines()[-6:]
        return Run({}, wall, cpu, load_before, os.getloadavg()[0], f"exit {code}: " + " | ".join(tail))
    _name, figures, _doc = read_json(out)
    return Run(figures, wall, cpu, load_before, os.getloadavg()[0])


def measure(bench: Benchmark, trees: list[Tree], runs: int, extra: list[str], work: Path, logs: Path,
            outcome: Outcome, *, logs_kept: bool) -> None:
    """``runs`` runs per tree into ``outcome`` (which keeps what finished if this is interrupted), the
    trees taking turns and swapping who goes first every round."""
    for r in range(runs):
        for tree in trees if r % 2 == 0 else trees[::-1]:
            run = run_once(bench, tree, extra, work, logs / f"{bench.name}-{tree.label}.log")
            print(f"  {bench.name} run {r + 1}/{runs} {tree.label:8s} {run.wall:7.1f} s wall "
                  f"{run.cpu:7.1f} s CPU  load {run.load_before:.2f}->{run.load_after:.2f}"
                  + (f"  FAILED {run.error}" if run.error else ""), flush=True)
            if run.error:
                log = logs / f"{bench.name}-{tree.label}.log"
                outcome.failed = f"{tree.label} run failed ({run.error})" + (f"; log: {log}" if logs_kept else "")
                return
            outcome.runs[tree.label].append(run)


@dataclass(frozen=True)
class Row:
    """One figure across both checkouts' runs."""

    key: str
    label: str
    unit: str
    better: str
    role: str
    base: list[float]
    new: list[float]

    @property
    def ratio(self) -> float | None:
        if not self.base or not self.new or statistics.median(self.base) == 0:
            return None
        return statistics.median(self.new) / statistics.median(self.base)

    def verdict(self, tolerance: float) -> str:
        """PASS or SLOWER by the medians; ``ref`` for a row that does not measure mediaproc."""
        if self.ratio is None:
            return "n/a"
        if self.role != "subject":
            return "ref"
        slower = self.ratio > 1 + tolerance if self.better == "lower" else self.ratio < 1 / (1 + tolerance)
        return "SLOWER" if slower else "PASS"


def rows_of(outcome: Outcome) -> list[Row]:
    """Every figure either checkout reported, in the order the benchmark printed them, plus each run's
    own wall and CPU time (whole process, set-up included) as reference rows."""
    order: dict[str, Figure] = {}
    for label in ("new", "baseline"):
        for run in outcome.runs[label]:
            for name, fig in run.figures.items():
                order.setdefault(name, fig)
    rows = [Row(name, fig.label, fig.unit, fig.better, fig.role,
                [r.figures[name].value for r in outcome.runs["baseline"] if name in r.figures],
                [r.figures[name].value for r in outcome.runs["new"] if name in r.figures])
            for name, fig in order.items()]
    for what in ("wall", "cpu"):
        rows.append(Row(f"process_{what}_s", f"whole benchmark process: {what} (set-up included)", "s", "lower",
                        "reference", [getattr(r, what) for r in outcome.runs["baseline"]],
                        [getattr(r, what) for r in outcome.runs["new"]]))
    return rows


def fmt(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 1000 else f"{value:.1f}" if abs(value) >= 100 else f"{value:.3g}"


def spread(values: list[float]) -> str:
    return f"{fmt(min(values))}-{fmt(max(values))}" if values else "-"


def loads(runs: list[Run]) -> str:
    values = [x for r in runs for x in (r.load_before, r.load_after)]
    return f"median {statistics.median(values):.2f} (min {min(values):.2f}, max {max(values):.2f})" if values else "-"


def report(name: str, outcome: Outcome, tolerance: float) -> list[str]:
    """Print one benchmark's table; return the labels of its SLOWER figures."""
    base_runs, new_runs = outcome.runs["baseline"], outcome.runs["new"]
    print(f"\n== {name}: {len(base_runs)} baseline and {len(new_runs)} new runs, alternating")
    print(f"   load average (1 min) during baseline runs: {loads(base_runs)}; new runs: {loads(new_runs)}")
    if outcome.failed:
        print(f"   not compared: {outcome.failed}")
        return []
    header = f"   {'figure':58s} {'unit':>4s} {'base med':>9s} {'new med':>9s} {'new/base':>8s} " \
             f"{'base min-max':>15s} {'new min-max':>15s}  verdict"
    print(header)
    slower = []
    for row in rows_of(outcome):
        ratio = row.ratio
        verdict = row.verdict(tolerance)
        label = row.label if len(row.label) <= 58 else row.label[:27] + "..." + row.label[-28:]  # ends differ
        arrow = "" if row.better == "lower" else " (higher is better)"
        print(f"   {label:58s} {row.unit:>4s} {fmt(statistics.median(row.base)) if row.base else '-':>9s} "
              f"{fmt(statistics.median(row.new)) if row.new else '-':>9s} "
              f"{f'{ratio:.3f}' if ratio is not None else '-':>8s} {spread(row.base):>15s} {spread(row.new):>15s}"
              f"  {verdict}{arrow if verdict in ('PASS', 'SLOWER') else ''}")
        if verdict == "SLOWER":
            slower.append(f"{name}: {row.label} ({ratio:.3f}x)")
    return slower


def as_json(outcomes: dict[str, Outcome], trees: list[Tree], args: argparse.Namespace) -> dict[str, Any]:
    doc: dict[str, Any] = {"trees": {t.label: {"root": str(t.root), "describe": t.describe} for t in trees},
                           "runs_per_tree": args.runs, "quick": args.quick, "tolerance": args.tolerance,
                           "benchmarks": {}}
    for name, outcome in outcomes.items():
        doc["benchmarks"][name] = {
            "failed": outcome.failed,
            "rows": [{"key": r.key, "label": r.label, "unit": r.unit, "better": r.better, "role": r.role,
                      "baseline": r.base, "new": r.new, "ratio": r.ratio, "verdict": r.verdict(args.tolerance)}
                     for r in rows_of(outcome)] if not outcome.failed else [],
            "loadavg_1min": {label: [[r.load_before, r.load_after] for r in runs]
                             for label, runs in outcome.runs.items()},
        }
    return doc


def _stopped(signum: int, _frame: FrameType | None) -> None:
    raise Stopped(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("benchmarks", nargs="*", metavar="BENCHMARK",
                        help=f"of {', '.join(BENCHES)}, or 'all' (default: the four issue 23 names)")
    parser.add_argument("--baseline", default=BASELINE_REF, metavar="REF",
                        help="git ref of the baseline (default: 6256394, the last commit before issue 23)")
    parser.add_argument("--runs", type=int, default=5, help="runs per checkout (default 5)")
    parser.add_argument("--quick", action="store_true", help="fewer rounds inside each benchmark (a smoke run)")
    parser.add_argument("--tolerance", type=float, default=TOLERANCE, help="SLOWER past this (default 0.05)")
    parser.add_argument("--json", metavar="FILE", type=Path, help="also write every run's figures to FILE")
    parser.add_argument("--logs", metavar="DIR", type=Path, help="keep each benchmark's output here")
    args = parser.parse_args(argv)
    names = args.benchmarks or [b.name for b in BENCHES.values() if b.required]
    if names == ["all"]:
        names = list(BENCHES)
    unknown = [n for n in names if n not in BENCHES]
    if unknown or args.runs < 1:
        parser.error(f"unknown benchmark {', '.join(unknown)} (known: {', '.join(BENCHES)}, all)" if unknown
                     else "--runs must be at least 1")
    try:
        commit = git("rev-parse", "--verify", "--quiet", f"{args.baseline}^{{commit}}")
    except subprocess.CalledProcessError:
        print(f"error: no commit {args.baseline!r} in {ROOT} (hint: a commit, branch or tag; "
              "git log --oneline shows them)", file=sys.stderr)
        return 2
    dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    new = Tree("new", ROOT, git("log", "-1", "--format=%h %s") + (" + uncommitted changes" if dirty else ""))
    signal.signal(signal.SIGTERM, _stopped)
    signal.signal(signal.SIGHUP, _stopped)
    outcomes: dict[str, Outcome] = {}
    trees = [new]
    interrupted = False
    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mediaproc-compare-runs-")))
        logs = args.logs or work
        logs.mkdir(parents=True, exist_ok=True)
        try:
            base_root = stack.enter_context(baseline_worktree(commit))
            base = Tree("baseline", base_root, git("log", "-1", "--format=%h %s", commit))
            trees = [base, new]
            print(f"baseline: {base.describe}\nnew:      {new.describe} ({ROOT})")
            quick = " (quick: fewer rounds inside each benchmark; a smoke run, not a verdict)" if args.quick else ""
            print(f"{args.runs} runs per checkout{quick}; "
                  f"benchmark scripts from {BENCHMARKS}; load average {os.getloadavg()[0]:.2f} "
                  f"on {os.cpu_count()} CPUs")
            for tree in trees:
                prepare(tree)
            for name in names:
                bench = BENCHES[name]
                outcomes[name] = Outcome()
                measure(bench, trees, args.runs, list(bench.quick) if args.quick else [], work, logs, outcomes[name],
                        logs_kept=args.logs is not None)
        except (KeyboardInterrupt, Stopped):
            interrupted = True
            stop_child()
            print("\ninterrupted: the tables below hold the benchmarks that finished", file=sys.stderr)
        finally:
            stop_child()
    slower: list[str] = []
    for name, outcome in outcomes.items():
        if outcome.runs["baseline"] or outcome.failed:
            slower += report(name, outcome, args.tolerance)
    if args.json and outcomes:
        args.json.write_text(json.dumps(as_json(outcomes, trees, args), indent=1) + "\n")
    failed = [name for name, o in outcomes.items() if o.failed]
    print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs "
          "(on a busy machine a few percent either way is noise: see the ref rows)")
    print(f"SLOWER (> {args.tolerance:.0%} worse median): " + ("; ".join(slower) if slower else "none")
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    if interrupted:
        return 130
    return 1 if slower or failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
