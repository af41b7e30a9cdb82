"""``mediaproc ls`` over 5,000 and 20,000 objects beside a bare oss2 listing loop, measured in one run.

Both run as fresh processes against ``mediaproc serve`` (a subprocess), stdout a pipe the benchmark
reads, so the times are what a user sees from process start: Python start-up, imports, client set-up,
the listing requests and the writing. Per run:

- first line: from the process start to the first bytes on its stdout (``mediaproc ls -r`` prints a
  line as soon as the first page has arrived; the bare script flushes its first key the same way, so
  its figure is "time to the first page");
- total: until the process has exited;
- peak RSS of the process (GNU ``/usr/bin/time``), at 5,000 and 20,000 objects: a streamed
  listing stays flat in the object count.

The bare loop is what the issue names: ``oss2.ObjectIteratorV2`` printing each key (ours prints four
columns per key). Objects are written straight into serve's folder (a file there is an object), so
setting up 20,000 takes a second. Runs alternate between the two clients; min and median of
``--repeat`` runs are printed, and the ratios of the medians.

Run: python benchmarks/ls.py [--repeat 5] [--sizes 5000,20000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.emulator import running_emulator  # noqa: E402

REGION = "cn-hangzhou"
BUCKET = "bench"

BARE = """
import os, sys, oss2
auth = oss2.AuthV4(os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"], os.environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"])
bucket = oss2.Bucket(auth, os.environ["MEDIAPROC_ENDPOINT"], sys.argv[1], region=os.environ["MEDIAPROC_REGION"])
first = True
for obj in oss2.ObjectIteratorV2(bucket, prefix=sys.argv[2], max_keys=1000):
    print(obj.key)
    if first:
        sys.stdout.flush()
        first = False
"""


TIME = "/usr/bin/time"  # GNU time: the peak RSS of the process it starts


def measure(cmd: list[str], env: dict[str, str], rss_file: Path) -> tuple[float, float, float, int]:
    """(first bytes on stdout, exit, peak RSS in MiB, lines) of one process, timed from its start.

    The peak RSS comes from GNU time, which forks the command itself: a child forked (or vforked)
    from this benchmark process would count this process's pages in its ``ru_maxrss``. time's own
    fork and exec cost about a millisecond and are in both clients' figures."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([TIME, "-f", "%M", "-o", str(rss_file), *cmd], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    first = os.read(fd, 1 << 16)
    t_first = time.perf_counter() - t0
    lines = first.count(b"\n")
    while chunk := os.read(fd, 1 << 16):
        lines += chunk.count(b"\n")
    code = proc.wait()
    t_total = time.perf_counter() - t0
    if code != 0:
        raise SystemExit(f"{cmd[:4]} failed ({code})")
    return t_first, t_total, int(rss_file.read_text().split()[-1]) / 1024, lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default="5000,20000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="mediaproc-bench-ls-") as tmp_s:
        tmp = Path(tmp_s)
        with running_emulator(tmp / "root", subprocess=True) as emu:
            import oss2

            oss2.Bucket(oss2.AuthV4(emu.access_key_id, emu.access_key_secret), emu.url, BUCKET,
                        region=REGION).create_bucket()
            for n in sizes:
                folder = tmp / "root" / BUCKET / f"n{n}"
                for sub in range(0, n, 1000):  # a few levels, like real keys
                    (folder / f"batch-{sub // 1000:03d}").mkdir(parents=True)
                for i in range(n):
                    (folder / f"batch-{i // 1000:03d}" / f"photo-{i:06d}-final-approved.jpg").write_bytes(b"x" * 100)
            env = {
                **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
                "CI": "1",
                "PYTHONPATH": str(ROOT / "src"),
                # bytecode as an installed package has it (the worktree may be read with
                # PYTHONDONTWRITEBYTECODE set: every import would compile its source)
                "PYTHONPYCACHEPREFIX": str(tmp / "pycache"),
                **emu.oss_cli_env(),
                "MEDIAPROC_CONFIG": str(tmp / "config.toml"),
            }
            ours = lambda n: [sys.executable, "-m", "mediaproc", "ls", f"oss://{BUCKET}/n{n}/", "-r"]  # noqa: E731
            bare = lambda n: [sys.executable, "-c", BARE, BUCKET, f"n{n}/"]  # noqa: E731
            measure(bare(sizes[0]), env, tmp / "rss")  # warm the disk cache, serve, and the bytecode of both
            measure(ours(sizes[0]), env, tmp / "rss")
            results: dict[tuple[str, int], list[tuple[float, float, float, int]]] = {}
            for n in sizes:
                for _run in range(args.repeat):
                    for name, cmd in (("mediaproc ls -r", ours(n)), ("bare oss2 loop", bare(n))):
                        results.setdefault((name, n), []).append(measure(cmd, env, tmp / "rss"))
    print(f"ls through serve, fresh processes, stdout a pipe; {args.repeat} runs each, min / median")
    print(f"{'client':18s} {'objects':>8s} {'first line s':>16s} {'total s':>16s} {'peak RSS MiB':>16s}")
    for (name, n), runs in results.items():
        firsts, totals, rss = [r[0] for r in runs], [r[1] for r in runs], [r[2] for r in runs]
        assert all(r[3] == n for r in runs), f"{name} printed {runs[0][3]} lines for {n} objects"
        print(f"{name:18s} {n:8d} {min(firsts):7.3f} / {statistics.median(firsts):6.3f} "
              f"{min(totals):7.3f} / {statistics.median(totals):6.3f} {min(rss):7.1f} / {statistics.median(rss):6.1f}")
    for n in sizes:
        ours_runs, bare_runs = results[("mediaproc ls -r", n)], results[("bare oss2 loop", n)]

        def med(runs: list[tuple[float, float, float, int]], i: int) -> float:
            return statistics.median(r[i] for r in runs)

        def best(runs: list[tuple[float, float, float, int]], i: int) -> float:
            return min(r[i] for r in runs)

        first, total = med(ours_runs, 0) / med(bare_runs, 0), med(ours_runs, 1) / med(bare_runs, 1)
        print(f"{n} objects: first line {first:.2f}x bare oss2's first page (target <= 1.2x), "
              f"total {total:.2f}x the bare loop (target <= 1.2x)  [medians; best runs: "
              f"{best(ours_runs, 0) / best(bare_runs, 0):.2f}x, {best(ours_runs, 1) / best(bare_runs, 1):.2f}x]")
    lo, hi = sizes[0], sizes[-1]
    for name in ("mediaproc ls -r", "bare oss2 loop"):
        a = statistics.median(r[2] for r in results[(name, lo)])
        b = statistics.median(r[2] for r in results[(name, hi)])
        print(f"{name}: peak RSS {a:.1f} MiB at {lo}, {b:.1f} MiB at {hi} objects ({b - a:+.1f} MiB)")


if __name__ == "__main__":
    main()
