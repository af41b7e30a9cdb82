"""1080p -> 720p H.264 transcode: mediaproc (engine call and CLI) beside the same ffmpeg command run
directly, interleaved round by round in one run, so machine load hits all three alike.

The direct command is not retyped: it is the exact argument list the engine ran (recorded from the
engine's first run), pointed at another output file. Target: mediaproc <= 1.05x direct ffmpeg.

Run: python benchmarks/transcode.py [--rounds 5] [--seconds 10] [--json FILE]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from results import Figure, add_json_option, key, write_json

from mediaproc.engine.av import run_media
from mediaproc.engine.av import runner as av_runner
from mediaproc.engine.av.synth import make_video
from mediaproc.ops.parse import parse_op

PARAMS = ["f=mp4", "vcodec=h264", "s=1280x720"]


def record_engine_command(src: Path, dst: Path) -> list[str]:
    """Run the engine once and capture the ffmpeg argument list it used."""
    seen: list[list[str]] = []
    original = av_runner.FFmpeg.run

    def spy(self: av_runner.FFmpeg) -> None:
        seen.append(self.command)
        original(self)

    av_runner.FFmpeg.run = spy  # type: ignore[method-assign]
    try:
        run_media(parse_op("video/convert", PARAMS), src, dst)
    finally:
        av_runner.FFmpeg.run = original  # type: ignore[method-assign]
    (command,) = seen
    return command


def timed(fn) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Wall-clock seconds, and CPU seconds of this process plus every child it reaped (ffmpeg, CLI).

    The machine is shared, so wall time swings with other load; CPU time is the steadier measure
    of the work each variant does.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time()
    t = time.perf_counter()
    fn()
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    children = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, children + (time.process_time() - cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=10.0)
    add_json_option(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        src = make_video(d / "src1080.mp4", size=(1920, 1080), fps=30, duration=args.seconds)
        command = record_engine_command(src, d / "warmup.mp4")
        staged = next(a for a in command if a.endswith(".part"))
        direct_cmd = [a if a != staged else str(d / "direct.mp4") for a in command]
        cli_cmd = [
            sys.executable,
            "-m",
            "mediaproc",
            "video",
            "convert",
            str(src),
            *PARAMS,
            "--to",
            str(d / "cli.mp4"),
            "--quiet",
        ]
        op = parse_op("video/convert", PARAMS)

        def engine() -> None:
            run_media(op, src, d / "engine.mp4", progress=lambda event: None)

        def direct() -> None:
            subprocess.run(direct_cmd, check=True, stdout=subprocess.DEVNULL)

        def cli() -> None:
            subprocess.run(cli_cmd, check=True, stdout=subprocess.DEVNULL)

        times: dict[str, list[tuple[float, float]]] = {"ffmpeg direct": [], "mediaproc engine": [], "mediaproc CLI": []}
        for r in range(args.rounds):
            # rotate the order each round so no variant always runs first (cache, thermal, load)
            order = [("ffmpeg direct", direct), ("mediaproc engine", engine), ("mediaproc CLI", cli)]
            order = order[r % 3 :] + order[: r % 3]
            for name, fn in order:
                times[name].append(timed(fn))

    print(f"{args.seconds:g} s 1920x1080 30 fps H.264 -> 1280x720 H.264 (x264 defaults), {args.rounds} rounds")
    print("direct command: ffmpeg " + " ".join(direct_cmd[1:]))
    walls = {name: [w for w, _c in ts] for name, ts in times.items()}
    cpus = {name: [c for _w, c in ts] for name, ts in times.items()}
    base_wall = min(walls["ffmpeg direct"])
    base_cpu = min(cpus["ffmpeg direct"])
    print(f"{'':17s} {'wall min':>9s} {'median':>8s} {'ratio':>6s}   {'CPU min':>8s} {'ratio':>6s}")
    figures: dict[str, Figure] = {}
    for name in times:
        w, c = walls[name], cpus[name]
        print(
            f"{name:17s} {min(w):8.2f}s {statistics.median(w):7.2f}s {min(w) / base_wall:6.3f}   "
            f"{min(c):7.2f}s {min(c) / base_cpu:6.3f}"
        )
        role = "reference" if name == "ffmpeg direct" else "subject"
        figures[key(name, "wall min s")] = Figure(min(w), "s", f"{name}: wall min", role=role)
        figures[key(name, "wall median s")] = Figure(statistics.median(w), "s", f"{name}: wall median", role=role)
        figures[key(name, "cpu min s")] = Figure(min(c), "s", f"{name}: CPU min", role=role)
        if role == "subject":
            figures[key(name, "wall ratio")] = Figure(min(w) / base_wall, "x", f"{name}: wall min / ffmpeg direct")
            figures[key(name, "cpu ratio")] = Figure(min(c) / base_cpu, "x", f"{name}: CPU min / ffmpeg direct")
    worst = max(min(w) / base_wall for w in walls.values())
    worst_cpu = max(min(c) / base_cpu for c in cpus.values())
    verdict = "meets" if worst <= 1.05 else "misses"
    print(f"worst ratio: wall {worst:.3f} ({verdict} the 1.05 target), CPU {worst_cpu:.3f}")
    figures["worst_wall_ratio"] = Figure(worst, "x", "worst ratio: wall")
    figures["worst_cpu_ratio"] = Figure(worst_cpu, "x", "worst ratio: CPU")
    write_json(args.json, "transcode", figures, {"rounds": args.rounds, "seconds": args.seconds},
               {"direct_command": direct_cmd[1:]})


if __name__ == "__main__":
    main()
