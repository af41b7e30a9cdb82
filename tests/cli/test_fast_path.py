"""The plain one-shot path (``mediaproc/cli/fast.py``) against the full Typer CLI, and what a plain local
resize imports.

Parity: every command line of the table runs twice in this process, through the fast path (as
``mediaproc.__main__`` does: ``try_run``, else the full CLI) and through the full CLI alone; exit
code, stdout and stderr must be the same (elapsed times aside). The table holds lines the fast path
takes (and must answer exactly as the CLI does, successes and errors alike) and lines it must leave
to the CLI (usage errors, options it does not know), and says which is which.

Imports: ``python -m mediaproc`` runs a plain local resize in a child process that lists ``sys.modules``
when it ends; those modules must not include numpy, OpenCV, PyAV, a cloud SDK, rich's tables or mediaproc's
media and detection engines (nor Typer on the fast path), with ``--json`` and with ``--quiet``, and
without the fast path too; nor what the import diet of issue 23 took off the plain path (the batch
engine, the URL fetcher, the video families of the catalogue, ``tempfile``...). ``image info --json`` too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from mediaproc.engine.av.synth import make_video
from mediaproc.record import fields
from support.cli import exit_code

DATA = Path(__file__).resolve().parents[1] / "data"
SRC = str(Path(__file__).resolve().parents[2] / "src")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("fast_path")
    folder = d / "folder"
    folder.mkdir()
    with Image.open(DATA / "hubble_deep_field.jpg") as im:
        rgb = im.convert("RGB")
        rgb.resize((400, 300)).save(d / "photo.jpg", quality=90)
        rgb.resize((120, 90)).save(d / "small.png")
        rgb.resize((1600, 1200)).save(d / "large.jpg", quality=90)  # big enough for the libvips path
        rgb.resize((2403, 1801)).save(d / "odd.jpg", quality=90)  # sides no DCT scale divides
        for i in range(3):
            rgb.resize((100 + 10 * i, 80)).save(folder / f"p{i}.jpg")
    (d / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    return {"dir": d, "folder": folder, "clip": make_video(d / "clip.mp4", duration=1)}


# (command line, taken by the fast path); {d} is the fixture folder, {o} the output folder
LINES: list[tuple[str, bool]] = [
    ("process {d}/photo.jpg resize:w=120 --to {o}/a.jpg", True),
    ("--json process {d}/photo.jpg resize:w=120 quality:Q=80 --to {o}/b.jpg", True),
    ("process {d}/photo.jpg resize:w=120 --to {o}/c.webp --json", True),
    ("--quiet image process {d}/photo.jpg resize:w=60 -o {o}/d.png", True),
    ("image process {d}/photo.jpg resize:w=60 --to={o}/e.jpg -q", True),
    ("--no-progress --debug process {d}/small.png image/resize,w_50/format,jpg --to {o}/f.jpg", True),
    ("process {d}/photo.jpg resize:w=120 --to {o}/a.jpg --json", True),  # the destination exists now
    ("image info {d}/photo.jpg --json", True),
    ("--json image info {d}/small.png", True),
    ("image info {d}/photo.jpg", True),
    ("process {d}/photo.jpg resize:w=0 --to {o}/g.jpg", True),  # invalid value
    ("--json process {d}/photo.jpg nosuchop:x=1 --to {o}/h.jpg", True),  # unknown operation
    ("process {d}/missing.jpg resize:w=50 --to {o}/i.jpg --json", True),  # no such source
    ("process {d}/broken.jpg resize:w=50 --to {o}/j.jpg", True),  # unreadable source
    ("image process {d}/clip.mp4 video/snapshot,t_100 --to {o}/k.jpg", True),  # not an image operation
    ("process {d}/folder resize:w=30 --to {o}/batch --json", True),  # a batch
    ("process {d}/folder/p*.jpg resize:w=30 --to {o}/glob", True),
    ("video info {d}/clip.mp4 --json", True),
    ("--quiet video snapshot {d}/clip.mp4 t=500 --to {o}/s.jpg", True),
    ("video snapshot {d}/clip.mp4 t=soon --to {o}/t.jpg", True),  # invalid parameter
    ("video snapshot {d}/clip.mp4 --to {o}/u.png --json", True),
    ("video convert {d}/clip.mp4 f=mp4 vcodec=h264 s=160x120 --to {o}/v.mp4 --quiet", True),
    # left to the full CLI
    ("process {d}/photo.jpg --to {o}/l.jpg", False),  # no operation: a usage error
    ("process {d}/photo.jpg resize:w=50 --to {o}/m.jpg --to {o}/n.jpg", False),  # a second --to
    ("process {d}/photo.jpg resize:w=50 --to", False),  # --to without its value
    ("process {d}/photo.jpg resize:w=50 --dry-run", False),
    ("process {d}/photo.jpg resize:w=50 --to {o}/p.jpg --verify", False),
    ("--provider local process {d}/photo.jpg resize:w=50 --to {o}/q.jpg", False),
    ("process {d}/photo.jpg resize:w=50 --bogus", False),  # an unknown option
    ("process {d}/photo.jpg -- resize:w=50", False),
    ("image info {d}/photo.jpg {d}/small.png", False),  # an extra argument
    ("image info", False),
    ("process --help", False),
    ("image process {d}/photo.jpg resize:w=50 --to -x", False),
    ("image detect {d}/photo.jpg", False),  # not a plain one-shot command
    ("process {d}/photo.jpg resize:w=50 --to {o}/s2.jpg --literal", False),  # literal sources
    ("--literal process {d}/photo.jpg resize:w=50 --to {o}/r.jpg", False),
]


def _normalise(text: str) -> str:
    """Elapsed times differ from run to run; nothing else may."""
    text = re.sub(r'"elapsed_seconds": [0-9.]+', '"elapsed_seconds": T', text)
    text = re.sub(r"[0-9.]+/s\b", "R/s", text)  # progress lines' rates
    text = re.sub(r"\bin [0-9.]+ s\b", "in T s", text)
    return re.sub(r"(Elapsed\s+)[0-9.]+ s", r"\1T s", text)


def _run(argv: list[str], capsys: pytest.CaptureFixture[str], *, fast: bool) -> tuple[bool, int, str, str]:
    """``argv`` as ``mediaproc.__main__`` runs it (``fast``) or through the full CLI alone."""
    from mediaproc.cli.app import run
    from mediaproc.cli.fast import parse, try_run

    capsys.readouterr()
    taken, code = fast and parse(argv) is not None, 0
    try:
        if not (fast and try_run(argv)):
            run(argv)
    except SystemExit as exc:
        code = exit_code(exc)
    out, err = capsys.readouterr()
    return taken, code, _normalise(out), _normalise(err)


@pytest.mark.parametrize(("line", "taken"), LINES, ids=[line for line, _ in LINES])
def test_fast_path_answers_as_the_full_cli(
    line: str, taken: bool, files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, cli: object,  # the CLI's test environment: CI mode, English
) -> None:
    monkeypatch.chdir(tmp_path)  # a relative destination (``--to -x``) lands here
    out = tmp_path / "out"
    argv = line.format(d=files["dir"], o=out).split()
    results = []
    for fast in (False, True):
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        if "{o}/a.jpg --json" in line:  # the destination exists beforehand in this row
            shutil.copy(files["dir"] / "photo.jpg", out / "a.jpg")
        results.append((_run(argv, capsys, fast=fast), sorted(p.name for p in out.rglob("*"))))
    (full, full_files), (quick, quick_files) = results
    assert quick[0] is taken, f"fast path {'declined' if taken else 'took'} {line!r}"
    assert (quick[1], quick[2], quick[3]) == (full[1], full[2], full[3])
    assert quick_files == full_files


def test_every_shape_is_a_real_command_and_defaults_agree() -> None:
    """The fast path's commands exist in the full CLI with the options it accepts, and every option it
    leaves at its default has the same default there as in ``RunOptions``."""
    import typer

    from mediaproc.cli.app import build_app
    from mediaproc.cli.fast import COMMAND_FLAGS, ROOT_FLAGS, SHAPES, TO_OPTIONS
    from mediaproc.cli.options import SHARED
    from mediaproc.services.process import RunOptions

    defaults = {f.name: f.default for f in fields(RunOptions)}
    for shared in SHARED:
        if shared.name in defaults:
            assert shared.default == defaults[shared.name], shared.name
    root = typer.main.get_command(build_app())
    root_opts = {o for p in root.params for o in p.opts}  # type: ignore[attr-defined]
    assert set(ROOT_FLAGS) <= root_opts
    for shape in SHAPES:
        command = root
        for word in shape.words:
            command = command.commands[word]  # type: ignore[attr-defined]
        opts = {o for p in command.params for o in (*p.opts, *getattr(p, "secondary_opts", ()))}
        assert set(COMMAND_FLAGS) | set(TO_OPTIONS) <= opts, shape.words


# PIL: Pillow is for small images (engine.image.small) and the formats libvips lacks; a large JPEG
# resize is libvips alone, from the header to the encode.
FORBIDDEN_PACKAGES = ("numpy", "cv2", "av", "PIL", "oss2", "qcloud_cos", "pywt", "zxingcpp", "brisque")
# What a plain local run used to import and does not use (issue 23's import diet): mediaproc's batch engine,
# URL fetcher, styles, jobs, object options, native OSS parser and the non-image families of the catalogue,
# on either entry...
UNUSED_MEDIAPROC = (
    "mediaproc.services.batch", "mediaproc.services.sources", "mediaproc.services.styles", "mediaproc.jobs",
    "mediaproc.objectopts", "mediaproc.providers.local.styles", "mediaproc.ops.oss.native", "mediaproc.ops.b64",
)
UNUSED_FAMILIES = tuple(f"mediaproc.ops.catalog.{name}" for name in ("ai", "video", "audio", "hls", "_media"))
# ... and, on the fast path, platformdirs and the standard library modules nothing of the run needs
# (``tempfile`` pulls in ``shutil``, ``random``, ``bz2`` and ``lzma``; ``dataclasses`` pulls in ``inspect``,
# ``ast``, ``dis`` and ``copy``: the start-up path's records are ``mediaproc.record`` classes; ``typing`` is
# imported under ``mediaproc.TYPE_CHECKING`` only).
UNUSED_STDLIB = ("platformdirs", "tempfile", "shutil", "random", "bz2", "lzma", "base64", "dataclasses", "inspect",
                 "ast", "dis", "typing")


def _forbidden(module: str) -> bool:
    top = module.split(".")[0]
    return (top in FORBIDDEN_PACKAGES or top.startswith("alibabacloud") or module == "rich.table"
            or module.startswith(("mediaproc.engine.av", "mediaproc.engine.vision")))  # media, detection


# ``python -m mediaproc ARGS`` with a hook that writes every imported module's name when the process ends
_HOOK = """
import atexit, json, runpy, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
sys.argv[0] = "mediaproc"
runpy.run_module("mediaproc", run_name="__main__", alter_sys=True)
"""


def _imported(args: list[str], env: dict[str, str], listing: Path) -> set[str]:
    proc = subprocess.run([sys.executable, "-c", _HOOK, str(listing), *args], capture_output=True, text=True,
                          env=env, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return set(json.loads(listing.read_text()))


@pytest.mark.parametrize("mode", ["--json", "--quiet"])
@pytest.mark.parametrize("fast", [True, False], ids=["fast-path", "full-cli"])
def test_a_plain_local_resize_imports_only_what_it_uses(
    mode: str, fast: bool, files: dict[str, Path], tmp_path: Path
) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (SRC, os.environ.get("PYTHONPATH")) if p)}
    if not fast:
        env["MEDIAPROC_NO_FAST_PATH"] = "1"
    modules = _imported([mode, "image", "process", str(files["dir"] / "large.jpg"), "resize:w=600",
                         "quality:Q=85", "--to", str(tmp_path / "out.jpg")], env, tmp_path / "modules.json")
    assert "pyvips" in modules and "mediaproc.engine.image.pipeline" in modules  # the run did the work
    heavy = sorted({m if m.startswith(("rich.", "mediaproc.")) else m.split(".")[0] for m in modules if _forbidden(m)})
    assert not heavy, f"a plain local resize imported {heavy}"
    assert not modules & set(UNUSED_MEDIAPROC), sorted(modules & set(UNUSED_MEDIAPROC))
    if fast:
        assert not {"typer", "pydantic", "click"} & modules
        unused = modules & {*UNUSED_FAMILIES, *UNUSED_STDLIB}
        assert not unused, f"a plain local resize imported {sorted(unused)}"
    with Image.open(tmp_path / "out.jpg") as im:
        assert (im.format, im.size) == ("JPEG", (600, 450))


def test_a_plain_image_info_imports_only_what_it_uses(files: dict[str, Path], tmp_path: Path) -> None:
    """``image info --json`` on the fast path: the header, no pixels, no encoder, no resize arithmetic."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (SRC, os.environ.get("PYTHONPATH")) if p)}
    listing = tmp_path / "modules.json"
    proc = subprocess.run([sys.executable, "-c", _HOOK, str(listing), "image", "info", str(files["dir"] / "large.jpg"),
                           "--json"], capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout)["data"]["ImageWidth"]["value"] == "1600"
    modules = set(json.loads(listing.read_text()))
    assert "pyvips" in modules and "mediaproc.engine.image.info" in modules
    unused = {m for m in modules if _forbidden(m)} | (modules & {
        *UNUSED_MEDIAPROC, *UNUSED_FAMILIES, *UNUSED_STDLIB, "typer", "click", "pydantic", "fractions", "subprocess",
        "mediaproc.engine.image.pipeline", "mediaproc.engine.image.result", "mediaproc.engine.image.save"})
    assert not unused, f"image info imported {sorted(unused)}"


@pytest.mark.parametrize(
    ("name", "words", "size", "pillow"),
    [
        ("photo.jpg", ["resize:w=120"], (120, 90), True),  # small: decoded at 1/2 and resized by Pillow
        ("large.jpg", ["resize:w=400", "quality:Q=85"], (400, 300), False),  # libvips, 1/2 shrink-on-load
        ("odd.jpg", ["resize:w=300"], (300, 225), False),  # libvips, 1/4 shrink-on-load of odd sides
    ],
)
def test_the_decode_path_depends_on_the_image_not_on_what_was_imported(
    name: str, words: list[str], size: tuple[int, int], pillow: bool, files: dict[str, Path], tmp_path: Path
) -> None:
    """A small one-shot image takes the Pillow path and a large one never imports Pillow; and the bytes a
    one-shot run writes are the ones this process, which has Pillow loaded (as a batch, a worker or
    serve has), computes in memory: which decoder runs depends on the image and the chain only."""
    from mediaproc.engine.image import encode_image
    from mediaproc.engine.image.small import encode_small
    from mediaproc.ops.parse import parse_chain

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (SRC, os.environ.get("PYTHONPATH")) if p)}
    out = tmp_path / "out.jpg"
    modules = _imported(["--quiet", "process", str(files["dir"] / name), *words, "--to", str(out)], env,
                        tmp_path / "modules.json")
    assert ("PIL.JpegImagePlugin" in modules) is pillow
    with Image.open(out) as im:
        assert (im.format, im.size) == ("JPEG", size)
    ops = parse_chain(words).ops
    assert "PIL.Image" in sys.modules
    assert (encode_small(files["dir"] / name, ops) is not None) is pillow
    assert encode_image(files["dir"] / name, ops).data == out.read_bytes()


@pytest.mark.parametrize("raised", [KeyboardInterrupt, BrokenPipeError], ids=["ctrl-c", "closed-stdout"])
def test_a_run_ends_alike_when_interrupted_or_its_reader_leaves(
    raised: type[BaseException], files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, cli: object,
) -> None:
    """Ctrl-C that no handler of ours turned into an error, and a stdout closed by its reader, end the
    run as Typer ends a command (exit 130 silently; exit 1) on both entries."""
    from mediaproc.services import run as run_service

    def interrupted(*args: object, **kwargs: object) -> None:
        raise raised(32, "Broken pipe") if raised is BrokenPipeError else raised()

    monkeypatch.setattr(run_service, "run_chain", interrupted)
    argv = ["process", str(files["dir"] / "photo.jpg"), "resize:w=50", "--to", str(tmp_path / "x.jpg")]
    full, quick = _run(argv, capsys, fast=False), _run(argv, capsys, fast=True)
    assert quick[0] is True
    assert quick[1:] == full[1:]
    assert full[1] == (130 if raised is KeyboardInterrupt else 1)


@pytest.mark.parametrize("kind", ["info", "snapshot"])
def test_a_plain_mp4_video_info_or_snapshot_imports_no_pyav(kind: str, files: dict[str, Path], tmp_path: Path) -> None:
    """An MP4 is probed by the pure-Python reader (``engine/av/mp4.py``) and its snapshot located from
    the sample tables: no PyAV (~70 ms to import), no numpy, and no tenacity for the local job's wait;
    nor, as a plain image run (issue 23), ``dataclasses``/``inspect`` (the media and job records are
    ``mediaproc.record`` classes), ``typing`` (``mediaproc.TYPE_CHECKING``), ``uuid``/``platform``
    (the local job's task id is :func:`mediaproc.jobs.uuid4_text`) or ``logging`` (only a cloud client
    silences SDK logs: ``mediaproc.sdklogs``)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (SRC, os.environ.get("PYTHONPATH")) if p)}
    clip, out = str(files["clip"]), tmp_path / "snap.jpg"
    args = ["video", "info", clip, "--json"] if kind == "info" else ["--quiet", "video", "snapshot", clip, "t=500",
                                                                      "--to", str(out)]
    listing = tmp_path / "modules.json"
    proc = subprocess.run([sys.executable, "-c", _HOOK, str(listing), *args], capture_output=True, text=True,
                          env=env, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    if kind == "info":
        (video,) = json.loads(proc.stdout)["data"]["Streams"]["VideoStream"]
        assert (video["CodecName"], video["Width"], video["FrameCount"]) == ("h264", "320", "25")
    else:
        with Image.open(out) as im:
            assert (im.format, im.size) == ("JPEG", (320, 240))
    modules = set(json.loads(listing.read_text()))
    assert "mediaproc.engine.av.mp4" in modules  # the reader answered
    heavy = sorted({m.split(".")[0] for m in modules} & {"av", "numpy", "cv2", "tenacity", "oss2", "qcloud_cos"})
    assert not heavy, f"video {kind} of an MP4 imported {heavy}"
    unused = sorted(modules & {"dataclasses", "inspect", "ast", "dis", "typing", "uuid", "platform", "logging"})
    assert not unused, f"video {kind} of an MP4 imported {unused}"
