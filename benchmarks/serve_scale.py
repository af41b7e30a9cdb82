"""serve at scale: paging a large listing, and completing a large multipart upload.

Both run against ``mediaproc serve`` in a subprocess through the real oss2 client, measured in one run:

- **Listing**: a bucket with ``--objects`` keys in one folder (written straight into serve's root, then
  listed once so every sidecar exists), paged 1,000 keys at a time with ``ListObjects``. A listing that
  rescans and sorts the folder for every page costs more for each page than the page before it grew
  from; one that pages in O(page) costs the same for the last page as for the first. Printed: the
  median time of the first and of the last pages, their ratio (flat is 1.0), and the whole pass.
- **Processing**: ``--requests`` sync ``get_object(..., process="image/resize,w_200")`` calls on a
  1 MP JPEG from 16 client threads, against serve with ``--workers 1`` (the pixel work in serve's own
  process) and with one worker process per core; printed: requests per second of each and the ratio.
- **Multipart**: a ``--size-mb`` file uploaded with ``oss2.resumable_upload`` in 64 MB parts, beside a
  plain ``PutObject`` of the same file; printed: both times, their ratio, and the time of the
  ``CompleteMultipartUpload`` call alone (what joining the parts costs the server).

Each figure is the min/median of ``--repeat`` runs.

Run: python benchmarks/serve_scale.py [--objects 100000] [--requests 400] [--size-mb 1024] [--repeat 3]
     [--only listing|processing|multipart]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.emulator import running_emulator  # noqa: E402

PAGE = 1000
PART = 64 * 1024 * 1024


def fill_bucket(root: Path, bucket: str, n: int) -> None:
    folder = root / bucket / "many"
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"obj-{i:07d}.txt").write_bytes(b"x")


def list_pass(bucket: Any) -> list[float]:
    """Seconds per ListObjects page over the folder."""
    marker = ""
    times = []
    while True:
        t = time.perf_counter()
        result = bucket.list_objects(prefix="many/", marker=marker, max_keys=PAGE)
        times.append(time.perf_counter() - t)
        if not result.is_truncated:
            return times
        marker = result.next_marker


def fmt(values: list[float]) -> str:
    return f"min {min(values) * 1000:8.1f} ms  median {statistics.median(values) * 1000:8.1f} ms"


def bench_listing(objects: int, repeat: int) -> None:
    """Median page time in a folder of ``objects // 10`` keys and of ``objects`` keys: O(page) is flat."""
    sizes = (max(PAGE * 2, objects // 10), objects)
    medians, totals = {}, {}
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp, running_emulator(Path(tmp) / "root", subprocess=True) as emu:
            bucket = emu.oss_bucket("scale")
            fill_bucket(emu.root, "scale", n)
            list_pass(bucket)  # writes the sidecars; not measured
            pages: list[float] = []
            passes = []
            for _ in range(repeat):
                one = list_pass(bucket)
                pages.extend(one)
                passes.append(sum(one))
            medians[n], totals[n] = pages, passes
    small, large = sizes
    print(f"ListObjects, pages of {PAGE}, keys in one folder:")
    for n in sizes:
        print(f"  {n:>7} keys: page {fmt(medians[n])}   whole pass {fmt(totals[n])}")
    ratio = statistics.median(medians[large]) / statistics.median(medians[small])
    print(f"  page time at {large} / at {small} keys (O(page) = 1.0): {ratio:.2f}x")


def one_mp_jpeg() -> bytes:
    import io

    from PIL import Image

    photo = Image.open(ROOT / "tests" / "data" / "astronaut.png").convert("RGB").resize((1155, 866))
    buf = io.BytesIO()
    photo.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def bench_processing(requests: int, repeat: int) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from mediaproc.emulator.engine_pool import default_workers

    data = one_mp_jpeg()
    rates: dict[int, list[float]] = {}
    for workers in sorted({1, default_workers()}):
        with tempfile.TemporaryDirectory() as tmp, running_emulator(
            Path(tmp) / "root", subprocess=True, workers=workers
        ) as emu:
            bucket = emu.oss_bucket("proc")
            bucket.put_object("one-mp.jpg", data)

            def one(_i: int, bucket: Any = bucket) -> int:
                return len(bucket.get_object("one-mp.jpg", process="image/resize,w_200").read())

            with ThreadPoolExecutor(16) as pool:
                list(pool.map(one, range(32)))  # warm: connections, worker imports
                for _ in range(repeat):
                    t = time.perf_counter()
                    sizes = list(pool.map(one, range(requests)))
                    rates.setdefault(workers, []).append(requests / (time.perf_counter() - t))
                    assert all(sizes)
    print(f"sync image processing (1 MP JPEG -> 200 px), {requests} requests from 16 threads:")
    for workers, values in rates.items():
        print(f"  --workers {workers}: {min(values):7.1f} - {statistics.median(values):7.1f} req/s (min - median)")
    if len(rates) > 1:
        first, last = min(rates), max(rates)
        ratio = statistics.median(rates[last]) / statistics.median(rates[first])
        print(f"  --workers {last} / --workers {first}: {ratio:.2f}x (load average {os.getloadavg()[0]:.1f})")


def bench_multipart(size_mb: int, repeat: int) -> None:
    import oss2

    with tempfile.TemporaryDirectory() as tmp, running_emulator(Path(tmp) / "root", subprocess=True) as emu:
        bucket = emu.oss_bucket("big")
        src = Path(tmp) / "big.bin"
        with open(src, "wb") as f:
            block = os.urandom(1024 * 1024)
            for _ in range(size_mb):
                f.write(block)
        puts, uploads, completes = [], [], []
        original = oss2.Bucket.complete_multipart_upload

        def timed_complete(self: Any, *args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return original(self, *args, **kwargs)
            finally:
                completes.append(time.perf_counter() - t)

        setattr(oss2.Bucket, "complete_multipart_upload", timed_complete)  # noqa: B010
        try:
            for i in range(repeat):
                t = time.perf_counter()
                bucket.put_object_from_file(f"plain-{i}", str(src))
                puts.append(time.perf_counter() - t)
                t = time.perf_counter()
                oss2.resumable_upload(
                    bucket, f"multi-{i}", str(src), multipart_threshold=PART, part_size=PART, num_threads=2,
                    store=oss2.ResumableStore(root=tmp),
                )
                uploads.append(time.perf_counter() - t)
                bucket.batch_delete_objects([f"plain-{i}", f"multi-{i}"])
        finally:
            setattr(oss2.Bucket, "complete_multipart_upload", original)  # noqa: B010
        print(f"multipart upload of {size_mb} MB in {PART >> 20} MB parts vs one PutObject:")
        print(f"  PutObject              {fmt(puts)}")
        print(f"  multipart upload       {fmt(uploads)}")
        print(f"  multipart/put          {statistics.median(uploads) / statistics.median(puts):8.2f}x")
        print(f"  CompleteMultipartUpload {fmt(completes)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=100_000)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--only", choices=["listing", "processing", "multipart"])
    args = parser.parse_args()
    if args.only in (None, "listing"):
        bench_listing(args.objects, args.repeat)
    if args.only in (None, "processing"):
        bench_processing(args.requests, args.repeat)
    if args.only in (None, "multipart"):
        bench_multipart(args.size_mb, args.repeat)


if __name__ == "__main__":
    main()
