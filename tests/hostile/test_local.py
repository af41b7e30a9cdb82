"""Hostile inputs on the local provider (issue 19): each one refused before decoding, exit 2, one line
naming the limit and its value, nothing written, and the CLI's peak memory far below 1 GB.

The commands run through the real entry point in child processes (``support.rss``), all of them in one
measuring wrapper so the module costs one interpreter start per command and nothing more; each test
then reads its command's outcome.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.cli import isolate_environment
from support.hostile import HOSTILE_IMAGES, LONG_TEXT, flv_claiming, honest_jpeg
from support.rss import GB, Measured, run_cli

PEAK = 1 * GB


@dataclass(frozen=True)
class Case:
    """One command: what it runs (``{dir}`` is the work folder), and the limit it must trip."""

    id: str
    args: tuple[str, ...]
    limit: str
    wrote: str = "out"  # what must not exist afterwards (relative to the work folder)


CASES: tuple[Case, ...] = (
    *(Case(f"bomb-{f.name}", ("process", "{dir}/" + f.name, "resize:w=100", "--to", "{dir}/out"), f.limit)
      for f in HOSTILE_IMAGES),
    Case("info-bomb", ("image", "info", "{dir}/bomb.png"), "source_side"),
    Case("info-frames", ("image", "info", "{dir}/frames.gif"), "source_frames"),
    Case("watermark-text", ("process", "{dir}/a.jpg", f"watermark:text={LONG_TEXT},size=1000", "--to", "{dir}/out"),
         "text_bytes"),
    Case("watermark-text-area", ("process", "{dir}/a.jpg", f"watermark:text={'W' * 60},size=1000",
                                 "--to", "{dir}/out"), "text_pixels"),
    Case("watermark-native", ("process", "{dir}/a.jpg", "image/watermark,text_{text},size_1000", "--to", "{dir}/out"),
         "text_bytes"),
    Case("pad", ("process", "{dir}/a.jpg", "resize:m=pad,w=16384,h=16384,limit=0", "--to", "{dir}/out"),
         "output_pixels"),
    Case("enlarge", ("process", "{dir}/a.jpg", "resize:p=1000", "resize:p=1000", "resize:p=1000", "--to", "{dir}/out"),
         "output_pixels"),
    Case("circle-on-pad", ("process", "{dir}/a.jpg", "resize:m=pad,w=16384,h=16384,limit=0", "circle:r=4096",
                           "--to", "{dir}/out"), "output_pixels"),
    Case("chain", ("process", "{dir}/a.jpg", *(["bright:v=1"] * 40), "--to", "{dir}/out"), "chain_ops"),
    Case("process-string", ("process", "{dir}/a.jpg", "image/" + "bright,1/" * 2000, "--to", "{dir}/out"),
         "process_chars"),
    Case("duration", ("process", "{dir}/days.flv", "video/convert:f=mp4", "--to", "{dir}/out.mp4"),
         "media_seconds", "out.mp4"),
    Case("snapshots", ("process", "{dir}/hour.flv", "video/snapshots:f=jpg,inter=100", "--to", "{dir}/out/"),
         "output_frames"),
    Case("animation-frames", ("process", "{dir}/hour.flv", "video/animation:f=gif", "--to", "{dir}/out.gif"),
         "output_frames", "out.gif"),
    Case("animation-pixels", ("process", "{dir}/hour.flv", "video/animation:f=gif,w=4096,h=4096,t=10000",
                              "--to", "{dir}/out.gif"), "output_pixels", "out.gif"),
    Case("sprite", ("process", "{dir}/clip.flv", "video/sprite:f=jpg,sw=4096,sh=4096,tw=100,th=100,num=4",
                    "--to", "{dir}/out.jpg"), "sprite_side", "out.jpg"),
    Case("concat-inputs", ("process", "{dir}/clip.flv", "video/concat:f=mp4,vcodec=h264,acodec=aac",
                           *(a for _ in range(11) for a in ("--input", "{dir}/clip.flv")), "--to", "{dir}/out.mp4"),
         "concat_inputs", "out.mp4"),
)  # fmt: skip


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Measured]]]:
    """Every case's outcome, run once for the module in a clean environment."""
    from support.hostile import b64

    work = tmp_path_factory.mktemp("hostile-local")
    for f in HOSTILE_IMAGES:
        (work / f.name).write_bytes(f.make())
    (work / "a.jpg").write_bytes(honest_jpeg(400, 300))
    (work / "days.flv").write_bytes(flv_claiming(149 * 3600))
    (work / "hour.flv").write_bytes(flv_claiming(3600))
    (work / "clip.flv").write_bytes(flv_claiming(1))
    monkeypatch = pytest.MonkeyPatch()
    isolate_environment(monkeypatch, tmp_path_factory.mktemp("hostile-env"))
    try:
        commands = [[a.format(dir=work, text=b64(LONG_TEXT)) for a in case.args] for case in CASES]
        results = run_cli([["--no-progress", *cmd] for cmd in commands])
    finally:
        monkeypatch.undo()
    yield work, dict(zip((c.id for c in CASES), results, strict=True))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_refused_before_work_with_exit_2(outcomes: tuple[Path, dict[str, Measured]], case: Case) -> None:
    work, results = outcomes
    run = results[case.id]
    assert run.code == 2, run.stderr
    lines = [line for line in run.error_lines if not line.startswith("Task ID: ")]  # a local media job's id
    assert len(lines) == 2 and lines[0].startswith("Error: ") and lines[1].startswith("Hint: "), run.stderr
    assert "Traceback" not in run.stderr
    if case.limit not in ("text_bytes", "concat_inputs"):  # those two are parameter ranges of the catalogue
        assert f"over the limit {case.limit} = " in lines[0], lines[0]
    else:
        assert "64" in lines[0] or "11" in lines[0], lines[0]
    assert not (work / case.wrote).exists()
    assert not [p for p in work.iterdir() if p.name.startswith(".") and "tmp" in p.name], "a temporary file was left"
    assert run.peak < PEAK, f"{case.id}: the CLI peaked at {run.peak >> 20} MiB"


def test_a_ceiling_is_raised_by_its_variable(tmp_path: Path) -> None:
    """The hint's variable works verbatim: with MEDIAPROC_MAX_CHAIN_OPS=50, 40 operations run."""
    src = tmp_path / "a.jpg"
    src.write_bytes(honest_jpeg())
    chain = ["bright:v=1"] * 40
    (refused,) = run_cli([["process", str(src), *chain, "--to", str(tmp_path / "no.jpg")]])
    raised = {"MEDIAPROC_MAX_CHAIN_OPS": "50"}
    (allowed,) = run_cli([["process", str(src), *chain, "--to", str(tmp_path / "yes.jpg")]], env=raised)
    assert refused.code == 2 and "MEDIAPROC_MAX_CHAIN_OPS=N" in refused.stderr
    assert allowed.code == 0, allowed.stderr
    assert (tmp_path / "yes.jpg").stat().st_size > 0 and not (tmp_path / "no.jpg").exists()
