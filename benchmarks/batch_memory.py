"""A local batch's peak RSS and wall time at 1,000 and 5,000 tiny images, before and after the
streamed report, measured side by side in one run.

"before" runs the code of another checkout (``--before``, default ``/work/main/src``: the main
branch as it stands), "after" this one's. Each run is a fresh ``mediaproc process DIR resize:w=8
--to OUT`` process with stdout to a file (the TSV report) or with ``--json``; peak RSS from GNU
``/usr/bin/time``. A report that keeps every result grows by several KB per item; a streamed one
(each result written as it finishes, only failures kept) over a lazily expanded item stream
should not grow with the item count at all. Min and median of ``--repeat`` runs.

Run: python benchmarks/batch_memory.py [--repeat 3] [--sizes 1000,5000] [--before /work/main/src]
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIME = "/usr/bin/time"


def make_images(folder: Path, n: int) -> None:
    from PIL import Image

    folder.mkdir(parents=True)
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 80, 40)).save(buf, "JPEG", quality=80)
    data = buf.getvalue()
    for i in range(n):
        (folder / f"img-{i:05d}.jpg").write_bytes(data)


def run(src: Path, images: Path, out: Path, env: dict[str, str], json_out: bool, tmp: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of one batch process."""
    rss = tmp / "rss"
    args = [sys.executable, "-m", "mediaproc", "--no-progress", "process", str(images), "resize:w=8",
            "--to", str(out), "-j", "2", *(["--json"] if json_out else [])]
    report = tmp / "report"
    with report.open("wb") as sink:
        t0 = time.perf_counter()
        code = subprocess.call([TIME, "-f", "%M", "-o", str(rss), *args], env={**env, "PYTHONPATH": str(src)},
                               stdout=sink, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
    if code != 0:
        raise SystemExit(f"batch failed ({code}) with {src}")
    shutil.rmtree(out)
    return wall, int(rss.read_text().split()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sizes", default="1000,5000")
    parser.add_argument("--before", default="/work/main/src")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    codes = {"before": Path(args.before), "after": ROOT / "src"}
    results: dict[tuple[str, str, int], list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="mediaproc-bench-mem-") as tmp_s:
        tmp = Path(tmp_s)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env.update({"CI": "1", "MEDIAPROC_CONFIG": str(tmp / "config.toml"),
                    "PYTHONPYCACHEPREFIX": str(tmp / "pycache")})
        for n in sizes:
            make_images(tmp / f"in{n}", n)
        for src in codes.values():  # warm the bytecode of both checkouts
            run(src, tmp / f"in{sizes[0]}", tmp / "warm", env, False, tmp)
        for n in sizes:
            for _run in range(args.repeat):
                for mode in ("tsv", "json"):
                    for name, src in codes.items():
                        results.setdefault((name, mode, n), []).append(
                            run(src, tmp / f"in{n}", tmp / "out", env, mode == "json", tmp))
    print(f"local batch of tiny JPEGs (-j 2), fresh processes, report to a file; {args.repeat} runs, min / median")
    print(f"before: {codes['before']}   after: {codes['after']}")
    print(f"{'code':7s} {'report':6s} {'items':>6s} {'wall s':>16s} {'peak RSS MiB':>16s}")
    for (name, mode, n), runs in sorted(results.items(), key=lambda kv: (kv[0][1], kv[0][0], kv[0][2])):
        walls, rss = [r[0] for r in runs], [r[1] for r in runs]
        print(f"{name:7s} {mode:6s} {n:6d} {min(walls):7.2f} / {statistics.median(walls):6.2f} "
              f"{min(rss):7.1f} / {statistics.median(rss):6.1f}")
    lo, hi = sizes[0], sizes[-1]
    for mode in ("tsv", "json"):
        for name in codes:
            a = statistics.median(r[1] for r in results[(name, mode, lo)])
            b = statistics.median(r[1] for r in results[(name, mode, hi)])
            wa = statistics.median(r[0] for r in results[(name, mode, lo)])
            wb = statistics.median(r[0] for r in results[(name, mode, hi)])
            print(f"{name:6s} {mode:4s}: peak RSS {a:.1f} -> {b:.1f} MiB from {lo} to {hi} items "
                  f"({(b - a) * 1024 / (hi - lo):.2f} KB per item); wall {wb / wa:.2f}x for {hi / lo:.0f}x the items")
        before = statistics.median(r[0] for r in results[("before", mode, hi)])
        after = statistics.median(r[0] for r in results[("after", mode, hi)])
        print(f"{mode}: wall at {hi} items, after / before: {after / before:.2f}x")


if __name__ == "__main__":
    main()
