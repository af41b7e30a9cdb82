"""Local batch throughput: 200 JPEGs of 1600x1200 -> 600 px q85, the default settings beside a
single-core baseline, measured side by side in one run (the rows take turns, round by round).

- baseline: ``-j 1`` with libvips' own threads at 1 (``VIPS_CONCURRENCY=1``): one core's worth.
- ``-j 1``: one item at a time, libvips' threads as they come.
- default: no ``-j`` (one worker per core; many large local items run in worker processes).

Each batch is a fresh ``mediaproc`` process (its start-up and the workers' included), as an operator
runs it. The load average is printed beside each ratio: on a shared machine other processes take cores
too, and a ratio measured at a load of 6 on 2 cores says little about the code. Target: default >= 1.8x
the baseline's throughput on an otherwise idle 2-core machine.

Beside the wall times, the CPU time (user + system) of each batch's whole process tree: this process
becomes a child subreaper, so the workers (and a fork server and resource tracker where a pool uses
them), which may outlive the batch's own process, are reaped here and counted. From it the physical
bound of each ratio: the baseline's CPU over the row's CPU spread evenly on every core
(``cores x baseline CPU / row CPU``), what the row would reach with no start-up on the critical path, no
idle worker and no other load. CPU time moves much less with the machine's load than wall time does, so
the bound is the steadier figure on a shared machine; the ratio over the bound says how much of it the
row turns into throughput.

Run: python benchmarks/local_batch.py [--images 200] [--rounds 5] [--json FILE]
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from results import Figure, add_json_option, key, write_json

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"


def make_images(folder: Path, n: int) -> None:
    """``n`` different 1600x1200 q90 JPEGs cut from the test photos (so no two decode alike)."""
    import pyvips

    photos = [pyvips.Image.new_from_file(str(DATA / name)) for name in ("astronaut.png", "coffee.png", "chelsea.png")]
    photos = [p.resize(2000 / p.width).extract_band(0, n=3) for p in photos]
    for i in range(n):
        p = photos[i % len(photos)]
        x, y = (i * 7) % (p.width - 1600), (i * 5) % (p.height - 1200)
        p.crop(x, y, 1600, 1200).jpegsave(str(folder / f"{i:03d}.jpg"), Q=90)


def become_subreaper() -> bool:
    """Adopt the batch's orphans (its workers; a fork server and resource tracker where used), so that their
    CPU time reaches ``RUSAGE_CHILDREN`` here when :func:`reap` waits for them (Linux only)."""
    PR_SET_CHILD_SUBREAPER = 36
    try:
        return ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def reap() -> None:
    """Wait for every child and adopted orphan still running (the pool's helpers exit just after)."""
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def batch(src: Path, out: Path, extra: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Wall seconds of one batch in a fresh process, the CPU seconds of its whole process tree, and the
    load average when it ended."""
    cpu = children_cpu()
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "mediaproc", "--no-progress", "--quiet", "process", str(src),
                    "resize:w=600", "quality:Q=85", "--to", str(out), *extra], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - t
    reap()
    cpu = children_cpu() - cpu
    shutil.rmtree(out)
    return seconds, cpu, os.getloadavg()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    add_json_option(parser)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "VIPS_CONCURRENCY"}
    env["CI"] = "1"
    rows = {
        "baseline: -j 1, VIPS_CONCURRENCY=1": (["-j", "1"], {**env, "VIPS_CONCURRENCY": "1"}),
        "-j 1": (["-j", "1"], env),
        "default": ([], env),
    }
    times: dict[str, list[float]] = {name: [] for name in rows}
    cpus: dict[str, list[float]] = {name: [] for name in rows}
    loads: dict[str, list[float]] = {name: [] for name in rows}
    whole_tree = become_subreaper()
    with tempfile.TemporaryDirectory(prefix="mediaproc-bench-") as tmp_s:
        tmp = Path(tmp_s)
        src = tmp / "in"
        src.mkdir()
        make_images(src, args.images)
        batch(src, tmp / "warm", ["-j", "1"], env)  # page cache, .pyc files
        names = list(rows)
        for r in range(args.rounds):
            for name in names[r % len(names):] + names[: r % len(names)]:
                extra, row_env = rows[name]
                seconds, cpu, load = batch(src, tmp / "out", extra, row_env)
                times[name].append(seconds)
                cpus[name].append(cpu)
                loads[name].append(load)
    n = args.images
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    print(f"{n} JPEGs 1600x1200 -> 600 px q85, {args.rounds} rounds, {cores} cores; each batch a fresh process")
    print(f"  {'':36s} {'min':>7s} {'median':>7s} {'images/s':>9s} {'CPU':>7s} {'CPU/item':>9s}  "
          "load avg (1 min) at the end")
    figures: dict[str, Figure] = {}
    for name in rows:
        ts, cs = times[name], cpus[name]
        print(f"  {name:36s} {min(ts):6.2f}s {statistics.median(ts):6.2f}s {n / statistics.median(ts):9.1f} "
              f"{statistics.median(cs):6.2f}s {statistics.median(cs) / n * 1000:6.1f} ms  "
              + " ".join(f"{x:.1f}" for x in loads[name]))
        figures[key(name, "min s")] = Figure(min(ts), "s", f"{name}: min")
        figures[key(name, "median s")] = Figure(statistics.median(ts), "s", f"{name}: median")
        figures[key(name, "median CPU s")] = Figure(statistics.median(cs), "s", f"{name}: median CPU")
    if not whole_tree:
        print("  (CPU: this process and its direct children only; the pool's processes are not counted here)")
    base, base_cpu = times["baseline: -j 1, VIPS_CONCURRENCY=1"], cpus["baseline: -j 1, VIPS_CONCURRENCY=1"]
    for name in ("-j 1", "default"):
        ts = times[name]
        ratio_min, ratio_med = min(base) / min(ts), statistics.median(base) / statistics.median(ts)
        bound = cores * statistics.median(base_cpu) / statistics.median(cpus[name])
        for stat, ratio in (("min", ratio_min), ("median", ratio_med)):
            figures[key(name, "throughput over baseline", stat)] = Figure(
                ratio, "x", f"{name} throughput / baseline ({stat})", better="higher")
        figures[key(name, "physical bound")] = Figure(bound, "x", f"{name}: physical bound", better="higher")
        verdict = "meets" if ratio_med >= 1.8 else "misses"
        print(f"  {name} throughput / baseline: {ratio_min:.2f}x (min) {ratio_med:.2f}x (median)"
              + (f"   target >= 1.8x: {verdict}" if name == "default" else "")
              + f"   (load avg during the run: {statistics.median(loads[name]):.1f})")
        print(f"  {'':{len(name)}s} physical bound {cores} x baseline CPU / its CPU: {bound:.2f}x; "
              f"reached {ratio_min / bound:.0%} of it (min), {ratio_med / bound:.0%} (median)")
    write_json(args.json, "local_batch", figures, {"images": n, "rounds": args.rounds},
               {"loadavg_1min": loads, "whole_tree_cpu": whole_tree})


if __name__ == "__main__":
    main()
