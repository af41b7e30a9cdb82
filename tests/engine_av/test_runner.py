"""ffmpeg as a child process: progress, cancel, Ctrl-C, readable errors, nothing left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from mediaproc.engine.av import Cancelled, run_media
from mediaproc.engine.av.runner import bundled_ffmpeg, explain, ffmpeg_exe
from mediaproc.errors import Interrupted
from mediaproc.progress import ProgressEvent

from .helpers import leftovers, op

SLOW = {"f": "mp4", "vcodec": "h265", "crf": 20}  # ~10 s for long_clip here: long enough to stop


def _ffmpeg_children() -> list[psutil.Process]:
    return [p for p in psutil.Process().children(recursive=True) if "ffmpeg" in p.name()]


def test_progress_rises_to_100(clip: Path, tmp_path: Path) -> None:
    seen: list[float] = []
    run_media(
        op("video/convert", f="mp4", vcodec="h264"),
        clip,
        tmp_path / "o.mp4",
        progress=lambda e: seen.append(e.completed),
    )
    assert seen[0] == 0.0 and seen[-1] == 100.0
    assert seen == sorted(seen)


def test_cancel_stops_ffmpeg_and_removes_the_partial_output(long_clip: Path, tmp_path: Path) -> None:
    cancel = threading.Event()
    started = threading.Event()
    children: list[psutil.Process] = []

    def progress(event: ProgressEvent) -> None:
        if event.completed > 0 and not started.is_set():
            children.extend(_ffmpeg_children())
            started.set()

    errors: list[BaseException] = []

    def work() -> None:
        try:
            run_media(op("video/convert", **SLOW), long_clip, tmp_path / "o.mp4", progress=progress, cancel=cancel)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    assert started.wait(60), "no progress reported"
    assert children, "ffmpeg was running"
    cancel.set()
    thread.join(30)
    assert not thread.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], Cancelled)
    assert errors[0].exit_code == 130
    assert not (tmp_path / "o.mp4").exists() and leftovers(tmp_path) == []
    assert all(not p.is_running() for p in children)
    assert _ffmpeg_children() == []


SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from mediaproc.engine.av import run_media
    from mediaproc.errors import Interrupted
    from mediaproc.jobs import LocalJob, wait
    from mediaproc.ops.parse import parse_op

    op = parse_op("video/convert", ["f=mp4", "vcodec=h265", "crf=20"])
    src, dst, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]

    def report(event):
        sys.stdout.write(f"progress {event.completed}\\n")
        sys.stdout.flush()

    try:
        if mode == "direct":
            run_media(op, src, dst, progress=report)
        else:
            work = lambda progress, cancel: run_media(op, src, dst, progress=progress, cancel=cancel)
            wait(LocalJob(work, task_type="MediaConvert"), timeout=120, progress=report)
    except Interrupted as exc:
        sys.stderr.write(f"interrupted: {exc.message}\\n")
        sys.exit(130)
    """
)


@pytest.mark.parametrize("mode", ["direct", "job"])
def test_sigint_during_a_transcode(long_clip: Path, tmp_path: Path, mode: str) -> None:
    script = tmp_path / "run.py"
    script.write_text(SCRIPT)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    dst = out_dir / "o.mp4"
    proc = subprocess.Popen(
        [sys.executable, str(script), str(long_clip), str(dst), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        children: list[psutil.Process] = []
        deadline = time.monotonic() + 60
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("progress") and float(line.split()[1]) > 0:
                children = [p for p in psutil.Process(proc.pid).children(recursive=True) if "ffmpeg" in p.name()]
                break
            assert time.monotonic() < deadline
        assert children, "ffmpeg was running when the signal came"
        os.kill(proc.pid, signal.SIGINT)
        code = proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    stderr = proc.stderr.read() if proc.stderr else ""
    assert code == 130, stderr
    assert "interrupted" in stderr
    assert not dst.exists() and leftovers(out_dir) == []
    for child in children:
        assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE


def test_explain_picks_the_cause() -> None:
    lines = [
        "[in#0 @ 0x55e1f90c9080] moov atom not found",
        "[in#0 @ 0x55e1f90c8d40] Error opening input: Invalid data found when processing input",
        "Error opening input file /tmp/x/.o.mp4.1234.part.",
        "Error opening input files: Invalid data found when processing input",
    ]
    assert explain(lines) == "moov atom not found"
    assert explain(["Conversion failed!"]) == "Conversion failed!"
    assert explain(["x" * 1000]).endswith("...") and len(explain(["x" * 1000])) == 300
    assert explain(["[out @ 0xabc] bad /tmp/a/.f.part"], {"/tmp/a/.f.part": "f.mp4"}) == "bad f.mp4"


def test_interrupted_is_exit_130() -> None:
    assert Interrupted("x").exit_code == 130 and issubclass(Cancelled, Interrupted)


# -- finding the binary -----------------------------------------------------------------------------
@pytest.fixture
def fresh_exe(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """ffmpeg_exe() resolves again, with no IMAGEIO_FFMPEG_EXE, and its cached answer is restored."""
    monkeypatch.delenv("IMAGEIO_FFMPEG_EXE", raising=False)
    ffmpeg_exe.cache_clear()
    yield
    ffmpeg_exe.cache_clear()


def test_ffmpeg_exe_is_the_binary_imageio_ffmpeg_names(fresh_exe: None) -> None:
    """Whichever way it was found, it is the binary imageio-ffmpeg itself resolves, and it runs."""
    import imageio_ffmpeg

    assert os.path.samefile(ffmpeg_exe(), imageio_ffmpeg.get_ffmpeg_exe())
    version = subprocess.run([ffmpeg_exe(), "-version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith("ffmpeg version")


def test_the_wheels_binary_is_found_without_the_package(fresh_exe: None) -> None:
    """The shortcut is taken with the installed wheel. When an imageio-ffmpeg update changes its
    layout, this fails while the engine keeps working (it asks the package, ~50 ms a run again)."""
    import imageio_ffmpeg

    exe = Path(imageio_ffmpeg.get_ffmpeg_exe())
    if exe.parent.name != "binaries":
        pytest.skip("imageio-ffmpeg resolves an ffmpeg outside its wheel on this machine")
    found = bundled_ffmpeg()
    assert found is not None and found.samefile(exe)


def test_an_unknown_layout_is_left_to_imageio_ffmpeg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No candidate or several (e.g. a future wheel shipping ffprobe-less variants): None, so ffmpeg_exe
    asks the package; a package that is not installed gives None as well."""
    package = tmp_path / "fake_ffmpeg_pkg"
    (package / "binaries").mkdir(parents=True)
    (package / "__init__.py").write_text("raise RuntimeError('must not be imported')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert bundled_ffmpeg("fake_ffmpeg_pkg") is None  # empty folder
    one = package / "binaries" / "ffmpeg-linux-x86_64-v99"
    one.write_bytes(b"")
    assert bundled_ffmpeg("fake_ffmpeg_pkg") is None  # not executable
    one.chmod(0o755)
    (package / "binaries" / "README.md").write_text("not a binary")
    assert bundled_ffmpeg("fake_ffmpeg_pkg") == one
    two = package / "binaries" / "ffmpeg-linux-x86_64-v100"
    two.write_bytes(b"")
    two.chmod(0o755)
    assert bundled_ffmpeg("fake_ffmpeg_pkg") is None  # ambiguous
    assert bundled_ffmpeg("no_such_package_here") is None
    assert "fake_ffmpeg_pkg" not in sys.modules


def test_a_shortcut_binary_that_will_not_start_is_replaced_by_imageio_ffmpegs_choice(
    fresh_exe: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Another platform's build left in ``binaries`` (an ``imageio_download_bin``, a copied tree) cannot
    start here: the run goes on with the binary imageio-ffmpeg picks, which it checks runs."""
    from mediaproc.engine.av import runner

    foreign = tmp_path / "ffmpeg-macos-aarch64-v7.1"
    foreign.write_bytes(b"\xcf\xfa\xed\xfe" + bytes(64))  # a Mach-O header: Exec format error here
    foreign.chmod(0o755)
    monkeypatch.setattr(runner, "bundled_ffmpeg", lambda package="imageio_ffmpeg": foreign)
    monkeypatch.setattr(runner, "_shortcut_refused", False)
    assert ffmpeg_exe() == str(foreign)
    proc = runner.start_ffmpeg([ffmpeg_exe(), "-version"], stdout=subprocess.PIPE)
    out, _ = proc.communicate()
    assert proc.returncode == 0 and out.startswith(b"ffmpeg version")
    assert ffmpeg_exe() != str(foreign)  # and every later run asks imageio-ffmpeg directly
    with pytest.raises(OSError):  # a binary that is not the shortcut's fails as Popen fails
        runner.start_ffmpeg([str(tmp_path / "no-such-ffmpeg"), "-version"])


def test_imageio_ffmpeg_exe_variable_wins(fresh_exe: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """IMAGEIO_FFMPEG_EXE is imageio-ffmpeg's documented override; the engine honours it the same way."""
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", str(tmp_path / "my-ffmpeg"))
    assert ffmpeg_exe() == str(tmp_path / "my-ffmpeg")


def test_finding_ffmpeg_does_not_import_imageio_ffmpeg() -> None:
    code = (
        "import sys; from mediaproc.engine.av.runner import ffmpeg_exe; ffmpeg_exe(); "
        "print('imageio_ffmpeg' in sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if k != "IMAGEIO_FFMPEG_EXE"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert out.strip() == "False"
