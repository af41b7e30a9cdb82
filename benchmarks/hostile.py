"""Hostile inputs: wall time, peak memory and outcome of each, locally and through ``mediaproc serve``.

Every hostile input of issue 19 (``tests/support/hostile.py``: decompression bombs of each format, a GIF
of 10,000 frames, the 4,000-character watermark at size 1000, pads and enlargements to gigapixels,
chains and process strings past their limits, media claiming 149 hours or asking for 36,000 frames) is
sent to the real CLI in a child process of its own, whose peak RSS (``ru_maxrss``) is its own; then the
image ones through a ``mediaproc serve`` child with oss2, with the server's peak read after each.

``--honest`` adds what the README's reliability paragraph quotes: the peak memory of *honest* inputs at
the limits (a 250 MP JPEG, a 1,000-frame GIF, a pad to 250 MP, the largest text, a 240-frame animation),
so the cost of the ceilings' defaults is measured, not guessed. It writes ~300 MB of test images and
needs a few GB of memory.

Run: python benchmarks/hostile.py [--honest]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.hostile import CASES, HOSTILE_IMAGES, LONG_TEXT, b64, honest_jpeg, prepare  # noqa: E402
from support.rss import run_cli, serve  # noqa: E402

MB = 1024 * 1024


def outcome(code: int, stderr: str) -> str:
    first = next((line for line in stderr.splitlines() if line.startswith("Error: ")), "")
    if code == 0:
        return "ok"
    limit = first.split("over the limit ", 1)[1].split(" =", 1)[0] if "over the limit " in first else first[7:60]
    return f"exit {code}: {limit}"


def row(name: str, seconds: float, peak: int, result: str) -> None:
    print(f"  {name:<24} {seconds:7.2f} s {peak / MB:8.0f} MiB   {result}")


def local(work: Path) -> None:
    print("local provider (each command in its own process; time includes the interpreter start):")
    prepare(work)
    for case in CASES:
        (run,) = run_cli([case.command(work)])
        row(case.id, run.elapsed, run.peak, outcome(run.code, run.stderr))


def served(work: Path) -> None:
    import oss2

    print("mediaproc serve with oss2 (the server's peak RSS so far after each request):")
    with serve(work / "root") as server:
        bucket = oss2.Bucket(oss2.AuthV4("test-key-id", "test-key-secret"), server.url, "bench", region="cn-hangzhou")
        bucket.create_bucket()
        bucket.put_object("a.jpg", honest_jpeg(400, 300))
        requests = [(f.name, f.make(), "image/resize,w_100") for f in HOSTILE_IMAGES]
        requests += [
            ("a.jpg", None, f"image/watermark,text_{b64(LONG_TEXT)},size_1000"),
            ("a.jpg", None, f"image/watermark,text_{b64('W' * 60)},size_1000"),
            ("a.jpg", None, "image/resize,m_pad,w_16384,h_16384,limit_0"),
            ("a.jpg", None, "image/resize,p_1000/resize,p_1000/resize,p_1000"),
        ]
        for key, body, process in requests:
            if body is not None:
                bucket.put_object(key, body)
            t = time.perf_counter()
            try:
                bucket.get_object(key, process=process).read()
                result = "200"
            except oss2.exceptions.ServerError as exc:
                result = f"{exc.status} {exc.code} {exc.ec}".strip()
            label = process.split(",", 1)[0].removeprefix("image/") + (f" {key}" if body is not None else "")
            row(label[:24], time.perf_counter() - t, server.peak_so_far(), result)
    print(f"  server exit {server.code}, peak {server.peak / MB:.0f} MiB, tracebacks in its log: "
          f"{server.log.count('Traceback')}")


def honest(work: Path) -> None:
    """Honest inputs at the limits: what the defaults let through, and what it costs."""
    import pyvips

    print("honest inputs at the limits (local provider):")
    big = work / "250mp.jpg"
    if not big.exists():
        side_w, side_h = 16_000, 15_600  # 249.6 MP
        (pyvips.Image.xyz(side_w, side_h)[0] % 256).cast("uchar").bandjoin([128, 64]).copy(
            interpretation="srgb"
        ).jpegsave(str(big), Q=85)
    gif = work / "1000.gif"
    frames = [pyvips.Image.black(200, 150).new_from_image([i % 256, 80, 160]).cast("uchar") for i in range(1000)]
    strip = pyvips.Image.arrayjoin(frames, across=1).copy(interpretation="srgb")
    strip.set_type(pyvips.GValue.gint_type, "page-height", 150)
    strip.gifsave(str(gif))
    import subprocess

    from mediaproc.engine.av import ffmpeg_exe

    clip = work / "clip.mp4"  # a real minute of video (5 fps): 240 frames at fps=4
    subprocess.run(
        [ffmpeg_exe(), "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x180:rate=5:duration=60",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", str(clip)],
        check=True,
    )  # fmt: skip
    small = work / "small.jpg"
    small.write_bytes(honest_jpeg(400, 300))
    cases = [
        ("250 MP JPEG -> 1000 px", [str(big), "resize:w=1000"], "out1.jpg"),
        ("250 MP JPEG -> PNG", [str(big), "format:target=png"], "out2.png"),
        ("250 MP JPEG -> 8000 px", [str(big), "resize:w=8000"], "out3.jpg"),
        ("pad to 249.6 MP", [str(small), "resize:m=pad,w=16000,h=15600,limit=0"], "out4.jpg"),
        ("text of 16.7 MP", [str(small), f"watermark:text={'W' * 20},size=790,g=nw"], "out5.jpg"),
        ("1000-frame GIF resize", [str(gif), "resize:w=100"], "out6.gif"),
        ("GIF 1280x720, 240 frames", [str(clip), "video/animation:f=gif,w=1280,h=720,fps=4"], "out7.gif"),
    ]
    for name, args, out in cases:
        (run,) = run_cli([["--no-progress", "process", *args, "--to", str(work / out)]], timeout=600)
        row(name, run.elapsed, run.peak, outcome(run.code, run.stderr))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--honest", action="store_true", help="also measure honest inputs at the limits")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mediaproc-hostile-") as tmp:
        work = Path(tmp)
        (work / "local").mkdir()
        local(work / "local")
        print()
        served(work)
        if args.honest:
            print()
            (work / "honest").mkdir()
            honest(work / "honest")


if __name__ == "__main__":
    main()
