"""One-shot commands: one ``mediaproc`` process per file, beside the bare tools doing the same, measured
side by side in one run (the commands take turns round by round; min and median of each).

Operators call the tool once per file (a shell loop, a make rule, a CI step), so what a run imports
and builds before and after the pixel work counts as much as the work. Rows:

- 12 MP JPEG -> 600 px q85: ``mediaproc image process`` (the plain-line fast path, and the full Typer
  CLI with ``MEDIAPROC_NO_FAST_PATH=1``) beside a bare ``python -c "import pyvips; thumbnail"`` process
  and ``vipsthumbnail`` (Debian's libvips-tools; the row is printed when the binary is present).
  Targets: <= 1.5x the bare pyvips process, <= 2.5x vipsthumbnail.
- ``image info --json`` beside a bare pyvips process printing the header as JSON and ``vipsheader -a``.
- ``video info --json`` and ``video snapshot`` of a 10 s clip beside the bare ffmpeg commands
  (imageio-ffmpeg's binary; it has no ffprobe, so ``ffmpeg -i`` is the probe). Target <= 1.3x. Beside
  them, the floor of any Python program: an interpreter that imports ``json`` and reads the file's head,
  and one that imports ``subprocess`` and ``pathlib`` and runs the same ffmpeg command.
- Peak RSS of a 10000x10000 JPEG -> 600 px: mediaproc beside vipsthumbnail (target <= 1.5x).

Each child's wall time, CPU time (user + system) and peak RSS are its own (``os.wait4``).
Run: python benchmarks/oneshot.py [--rounds 9] [--skip-video] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from results import Figure, add_json_option, key, write_json  # noqa: E402
from thumbnail import make_source  # noqa: E402  (the same 12 MP photo-like JPEG)

MB = 1024 * 1024
PY = sys.executable
BARE_THUMB = "import pyvips, sys; pyvips.Image.thumbnail(sys.argv[1], 600).jpegsave(sys.argv[2], Q=85)"
BARE_INFO = (
    "import json, pyvips, sys; im = pyvips.Image.new_from_file(sys.argv[1]); "
    "print(json.dumps({f: str(im.get(f)) for f in im.get_fields() if not f.endswith('-data')}))"
)


# The floor of any Python `video info`: the interpreter, `json` (which imports `re`, `enum`, `functools`)
# and reading the file's first box, nothing of mediaproc. Printed beside ffmpeg -i to show how much of
# the 1.3x target a Python program has left before it does any work.
FLOOR = "bare python: import json, read 32 bytes"
FLOOR_CODE = "import json, sys; f = open(sys.argv[1], 'rb'); print(json.dumps({'head': f.read(32).hex()}))"

# The same for `video snapshot`: an interpreter that imports what running a child and naming files
# take (subprocess, pathlib) and runs the engine's very command, nothing of mediaproc.
SNAP_FLOOR = "bare python: subprocess.run(the command)"
SNAP_FLOOR_CODE = "import pathlib, subprocess, sys; subprocess.run(sys.argv[1:], check=True)"

# Runs each command it is sent (one JSON line: argv, env) and answers one JSON line: wall s, CPU s, peak RSS
# bytes, exit code, stderr's tail. A slim process of its own: a child's ru_maxrss counts the memory of the
# process it was forked from until it execs, so the children must not be forked from this (large) one.
RUNNER = r"""
import json, os, subprocess, sys, time
for line in sys.stdin:
    argv, env = json.loads(line)
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    err = p.stderr.read()
    _pid, status, u = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    print(json.dumps([wall, u.ru_utime + u.ru_stime, u.ru_maxrss * 1024, os.waitstatus_to_exitcode(status),
                      err.decode(errors="replace")[-500:]]), flush=True)
"""


class Runner:
    def __init__(self) -> None:
        self.proc = subprocess.Popen([PY, "-S", "-c", RUNNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)

    def run(self, argv: list[str], env: dict[str, str] | None) -> tuple[float, float, int, int, str]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps([argv, env if env is not None else dict(os.environ)]) + "\n")
        self.proc.stdin.flush()
        wall, cpu, peak, code, err = json.loads(self.proc.stdout.readline())
        return wall, cpu, peak, code, err


RUN: Runner | None = None


@dataclass
class Row:
    name: str
    argv: list[str]
    env: dict[str, str] | None = None
    ok_codes: tuple[int, ...] = (0,)
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    peaks: list[int] = field(default_factory=list)

    def run(self) -> None:
        global RUN
        RUN = RUN or Runner()
        wall, cpu, peak, code, err = RUN.run(self.argv, self.env)
        if code not in self.ok_codes:
            raise SystemExit(f"{self.name}: exit {code}: {err}")
        self.walls.append(wall)
        self.cpus.append(cpu)
        self.peaks.append(peak)


def measure(rows: list[Row], rounds: int) -> None:
    for row in rows:
        row.run()  # warm-up: page cache, .pyc files
        row.walls.clear(), row.cpus.clear(), row.peaks.clear()
    for r in range(rounds):
        order = rows[r % len(rows):] + rows[: r % len(rows)]  # rotate: no row always runs first
        for row in order:
            row.run()


def report(title: str, rows: list[Row], baselines: dict[str, float], section: str,
           figures: dict[str, Figure]) -> None:
    """Min and median of wall and CPU per row; each mediaproc row's ratio to each baseline row. The
    same figures go into ``figures`` under keys that start with ``section``."""
    print(f"\n{title}")
    print(f"  {'':34s} {'wall min':>8s} {'median':>7s} {'CPU min':>8s} {'median':>7s} {'peak RSS':>9s}")
    for row in rows:
        print(f"  {row.name:34s} {min(row.walls) * 1000:6.0f}ms {statistics.median(row.walls) * 1000:5.0f}ms "
              f"{min(row.cpus) * 1000:6.0f}ms {statistics.median(row.cpus) * 1000:5.0f}ms "
              f"{max(row.peaks) / MB:7.1f}MB")
        role = "subject" if row.name.startswith("mediaproc") else "reference"
        for what, value, unit in (("wall min", min(row.walls) * 1000, "ms"),
                                  ("wall median", statistics.median(row.walls) * 1000, "ms"),
                                  ("CPU min", min(row.cpus) * 1000, "ms"),
                                  ("CPU median", statistics.median(row.cpus) * 1000, "ms"),
                                  ("peak RSS", max(row.peaks) / MB, "MB")):
            figures[key(section, row.name, what)] = Figure(value, unit, f"{section}: {row.name}: {what}", role=role)
    by_name = {row.name: row for row in rows}
    for row in rows:
        if not row.name.startswith("mediaproc"):
            continue
        for base, target in baselines.items():
            if base not in by_name:
                continue
            b = by_name[base]
            wmin, wmed = min(row.walls) / min(b.walls), statistics.median(row.walls) / statistics.median(b.walls)
            cmin = min(row.cpus) / min(b.cpus)
            verdict = "meets" if wmed <= target else "misses"
            print(f"  {row.name} / {base}: wall {wmin:.2f}x (min) {wmed:.2f}x (median), CPU {cmin:.2f}x (min)"
                  f"   target <= {target:g}x: {verdict}")
            for what, ratio in (("wall min", wmin), ("wall median", wmed), ("CPU min", cmin)):
                figures[key(section, row.name, "over", base, what)] = Figure(
                    ratio, "x", f"{section}: {row.name} / {base}: {what}")


def print_floor(floor: Row, bare: Row, label: str, name: str, figures: dict[str, Figure]) -> None:
    """How much of a target any Python program spends before its own code: a floor row over the bare
    tool's row, min and median."""
    ratio = statistics.median(floor.walls) / statistics.median(bare.walls)
    print(f"  {floor.name} / {label}: wall {min(floor.walls) / min(bare.walls):.2f}x (min) {ratio:.2f}x (median): "
          "the Python floor, before any code of mediaproc")
    figures[name] = Figure(ratio, "x", f"{floor.name} / {label} (median)")


def image_rows(d: Path, src: Path) -> tuple[list[Row], list[Row]]:
    fast = dict(os.environ)
    fast.pop("MEDIAPROC_NO_FAST_PATH", None)
    full = {**fast, "MEDIAPROC_NO_FAST_PATH": "1"}
    out = str(d / "out.jpg")
    process = [Row("mediaproc image process", [PY, "-m", "mediaproc", "--json", "image", "process", str(src),
                                                "resize:w=600", "quality:Q=85", "--to", out], fast),
               Row("mediaproc (full CLI, no fast path)", [PY, "-m", "mediaproc", "--json", "image", "process",
                                                          str(src), "resize:w=600", "quality:Q=85", "--to", out],
                   full),
               Row("bare pyvips process", [PY, "-c", BARE_THUMB, str(src), str(d / "bare.jpg")])]
    info = [Row("mediaproc image info --json", [PY, "-m", "mediaproc", "image", "info", str(src), "--json"], fast),
            Row("mediaproc (full CLI, no fast path)", [PY, "-m", "mediaproc", "image", "info", str(src), "--json"],
                full),
            Row("bare pyvips process", [PY, "-c", BARE_INFO, str(src)])]
    if shutil.which("vipsthumbnail"):
        process.append(Row("vipsthumbnail", ["vipsthumbnail", str(src), "-s", "600", "-o", f"{d}/vt.jpg[Q=85]"]))
    if shutil.which("vipsheader"):
        info.append(Row("vipsheader -a", ["vipsheader", "-a", str(src)]))
    return process, info


def memory_rows(d: Path, src: Path) -> list[Row]:
    import pyvips

    big = d / "100mp.jpg"
    img = pyvips.Image.new_from_file(str(src))
    img.resize(10000 / img.width, vscale=10000 / img.height).jpegsave(str(big), Q=90)
    rows = [Row("mediaproc image process", [PY, "-m", "mediaproc", "--quiet", "image", "process", str(big),
                                            "resize:w=600", "--to", str(d / "big-out.jpg")]),
            Row("bare pyvips process", [PY, "-c", BARE_THUMB, str(big), str(d / "big-bare.jpg")])]
    if shutil.which("vipsthumbnail"):
        rows.append(Row("vipsthumbnail", ["vipsthumbnail", str(big), "-s", "600", "-o", f"{d}/big-vt.jpg"]))
    return rows


def video_rows(d: Path) -> tuple[list[Row], list[Row]]:
    import imageio_ffmpeg

    from mediaproc.engine.av import run_media
    from mediaproc.engine.av import runner as av_runner
    from mediaproc.engine.av.synth import make_video
    from mediaproc.ops.parse import parse_op

    clip = make_video(d / "clip.mp4", size=(1280, 720), fps=30, duration=10.0)
    seen: list[list[str]] = []
    original = av_runner.FFmpeg.run

    def spy(self: av_runner.FFmpeg) -> None:
        seen.append(self.command)
        original(self)

    av_runner.FFmpeg.run = spy  # type: ignore[method-assign]
    try:
        run_media(parse_op("video/snapshot", ["t=5000"]), clip, d / "warm.jpg")
    finally:
        av_runner.FFmpeg.run = original  # type: ignore[method-assign]
    command = seen[-1]
    staged = next(a for a in command if a.endswith(".part") or a.endswith(".jpg"))
    direct = [a if a != staged else str(d / "direct.jpg") for a in command]
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    info = [Row("mediaproc video info --json", [PY, "-m", "mediaproc", "video", "info", str(clip), "--json"]),
            Row("ffmpeg -i (bare probe)", [ffmpeg, "-hide_banner", "-i", str(clip)], ok_codes=(1,)),
            Row(FLOOR, [PY, "-c", FLOOR_CODE, str(clip)])]
    snap = [Row("mediaproc video snapshot", [PY, "-m", "mediaproc", "--quiet", "video", "snapshot", str(clip),
                                             "t=5000", "--to", str(d / "snap.jpg")]),
            Row("ffmpeg (the engine's command)", direct),
            Row(SNAP_FLOOR, [PY, "-c", SNAP_FLOOR_CODE, *direct])]
    print("snapshot command: ffmpeg " + " ".join(direct[1:]))
    return info, snap


def installed_like(d: Path) -> None:
    """Children run as an installed tool does: with compiled bytecode (pip writes .pyc files at install
    time). Under ``PYTHONDONTWRITEBYTECODE`` every child would compile each imported module from
    source (~100 ms for mediaproc's), which measures the environment, not the tool; the bytecode goes
    to a folder of the run (``PYTHONPYCACHEPREFIX``), never into the source tree, and the warm-up
    round writes it, for every row alike."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(d / "pycache")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--skip-video", action="store_true")
    add_json_option(parser)
    args = parser.parse_args()
    print(f"{args.rounds} rounds; load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    figures: dict[str, Figure] = {}
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        installed_like(d)
        src = make_source(d)
        process, info = image_rows(d, src)
        vt = {"bare pyvips process": 1.5, "vipsthumbnail": 2.5}
        measure(process, args.rounds)
        report("12 MP JPEG -> 600 px q85, one process each", process, vt, "process", figures)
        measure(info, args.rounds)
        report("image info --json, one process each", info, {"bare pyvips process": 1.5, "vipsheader -a": 2.5},
               "info", figures)
        mem = memory_rows(d, src)
        measure(mem, max(3, args.rounds // 3))
        report("10000x10000 JPEG -> 600 px (peak RSS is the row's largest)", mem, {}, "10000px", figures)
        peaks = {row.name: max(row.peaks) for row in mem}
        if "vipsthumbnail" in peaks:
            ratio = peaks["mediaproc image process"] / peaks["vipsthumbnail"]
            print(f"  peak RSS mediaproc / vipsthumbnail: {ratio:.2f}x   target <= 1.5x: "
                  f"{'meets' if ratio <= 1.5 else 'misses'}")
            figures["10000px_peak_rss_over_vipsthumbnail"] = Figure(ratio, "x", "peak RSS mediaproc / vipsthumbnail")
        if not args.skip_video:
            vinfo, snap = video_rows(d)
            measure(vinfo, args.rounds)
            report("video info --json of a 10 s 720p clip", vinfo, {"ffmpeg -i (bare probe)": 1.3}, "video info",
                   figures)
            print_floor(vinfo[2], vinfo[1], "ffmpeg -i", "video_info_python_floor_over_ffmpeg", figures)
            measure(snap, args.rounds)
            report("video snapshot t=5000 of a 10 s 720p clip", snap, {"ffmpeg (the engine's command)": 1.3},
                   "snapshot", figures)
            print_floor(snap[2], snap[1], "ffmpeg", "video_snapshot_python_floor_over_ffmpeg", figures)
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    write_json(args.json, "oneshot", figures, {"rounds": args.rounds, "skip_video": args.skip_video})


if __name__ == "__main__":
    main()
