"""Client-side batch vs cloud batch: the same chain over 2,000 objects, side by side in one run.

Against `mediaproc serve` (a subprocess, so the server's CPU is not the client's) with 50 ms of
injected latency on every request:

- client-side: ``mediaproc process 'oss://bench/in/' resize:w=80 --to oss://bench/client/ -j 16``:
  one listing, then one ``POST ?x-oss-process`` (``sys/saveas``) per object from this machine;
- cloud: ``mediaproc batch submit oss://bench/in/ resize:w=80 --to oss://bench/cloud/ --yes``: one
  listing to count the objects, one CreateBatch, then GetBatch polls until the service's counters say
  every object is done (the work runs on the server).

Printed for each: wall time, this process's CPU time (user + system) and the number of requests the
client sent (serve's own per-operation counts). Both run through the CLI entry point in-process
(imports warm). What the comparison shows is where the work and the requests go; serve runs the
images on the same two cores, so the cloud batch's wall time here is serve's, not a cloud's.

Run: python benchmarks/cloud_batch.py [--objects 2000] [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.emulator import running_emulator  # noqa: E402

REGION = "cn-hangzhou"


def tiny_jpeg(i: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (160, 120), (i % 256, (i * 7) % 256, 90)).save(buf, "JPEG", quality=85)
    return buf.getvalue()


def run_cli(args: list[str], env: dict[str, str]) -> tuple[float, float, int]:
    """(wall seconds, client CPU seconds, exit code) of one run through the real entry point."""
    import psutil

    from mediaproc.cli.app import run

    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    me = psutil.Process()
    try:
        c0 = me.cpu_times()
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            try:
                run(args)
                code = 0
            except SystemExit as exc:
                code = int(exc.code or 0)
        wall = time.perf_counter() - t0
        c1 = me.cpu_times()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return wall, (c1.user + c1.system) - (c0.user + c0.system), code


def requests_sent(stats: dict[str, object]) -> int:
    counts = stats.get("requests") or {}
    return sum(int(v) for v in counts.values()) if isinstance(counts, dict) else 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=2000)
    parser.add_argument("--latency-ms", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    n = args.objects
    rows: list[tuple[str, float, float, int, int]] = []
    with tempfile.TemporaryDirectory(prefix="mediaproc-cloudbatch-") as tmp_s:
        tmp = Path(tmp_s)
        with running_emulator(tmp / "root", subprocess=True, workers=2) as emu:
            import oss2

            bucket = oss2.Bucket(oss2.AuthV4(emu.access_key_id, emu.access_key_secret), emu.url, "bench",
                                 region=REGION)
            bucket.create_bucket()
            with ThreadPoolExecutor(16) as pool:
                list(pool.map(lambda i: bucket.put_object(f"in/{i:05d}.jpg", tiny_jpeg(i)), range(n)))
            env = {
                **os.environ,
                "CI": "1",
                **emu.oss_cli_env("bench"),
                "MEDIAPROC_CONFIG": str(tmp / "config.toml"),
            }
            _wall, _cpu, code = run_cli(["imm", "setup", "--bucket", "bench"], env)
            assert code == 0, "imm setup failed"
            run_cli(["--no-progress", "process", "oss://bench/in/0000*.jpg", "resize:w=80", "--to",
                     "oss://bench/warm/"], env)  # imports and connections warm for both runs
            emu.set_faults(latency_ms=args.latency_ms)
            for name, argv in (
                (f"client-side batch (-j {args.concurrency})",
                 ["--no-progress", "process", "oss://bench/in/", "resize:w=80", "--to", "oss://bench/client/",
                  "-j", str(args.concurrency), "--json"]),
                ("cloud batch (IMM CreateBatch + wait)",
                 ["--no-progress", "batch", "submit", "oss://bench/in/", "resize:w=80", "--to",
                  "oss://bench/cloud/", "--yes", "--json"]),
            ):
                emu.reset_stats()
                wall, cpu, code = run_cli(argv, env)
                sent = requests_sent(emu.stats())
                rows.append((name, wall, cpu, sent, code))
            emu.clear_faults()
            outputs = {p: sum(1 for _ in oss2.ObjectIteratorV2(bucket, prefix=p)) for p in ("client/", "cloud/")}
    print(f"{n} objects, resize:w=80, serve with {args.latency_ms} ms latency per request; one run each, "
          "through the CLI entry point in-process")
    print(f"{'':40s} {'wall s':>8s} {'client CPU s':>13s} {'requests':>9s} {'exit':>5s}")
    for name, wall, cpu, sent, code in rows:
        print(f"{name:40s} {wall:8.2f} {cpu:13.2f} {sent:9d} {code:5d}")
    (_n1, wall1, cpu1, sent1, _c1), (_n2, wall2, cpu2, sent2, _c2) = rows
    print(f"cloud / client-side: wall {wall2 / wall1:.2f}x, client CPU {cpu2 / max(cpu1, 1e-9):.3f}x, "
          f"requests {sent2 / max(sent1, 1):.3f}x")
    print(f"outputs written: client-side {outputs['client/']}, cloud {outputs['cloud/']}")


if __name__ == "__main__":
    main()
