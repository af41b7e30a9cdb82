"""SIGTERM (``timeout``, ``kill``, a cancelled CI job) stops a run the way Ctrl-C does: no partial
file, no ffmpeg left running, exit 143. It used to end the process on the spot, leaving the
``.mediaproc-*.part`` file and an ffmpeg that went on writing it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mediaproc.signals import interrupts_deferred

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def _processes_naming(text: str) -> list[str]:
    """Command lines of the running processes that mention ``text`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if text in cmdline:
                found.append(cmdline)
    return found


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads /proc")
def test_sigterm_during_a_video_convert_stops_ffmpeg_and_leaves_no_partial_file(here: Path) -> None:
    from mediaproc.engine.av.synth import make_video

    make_video(here / "long.mp4", size=(320, 240), duration=20.0)
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediaproc", "video", "convert", "long.mp4", "f=mp4", "vcodec=h265",
         "--to", "out-terminated.mp4"],
        cwd=here, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "CI": "1"},
    )
    assert proc.stderr is not None
    seen = b""
    while b"video/convert:" not in seen:  # the job has started: ffmpeg runs
        line = proc.stderr.readline()
        assert line, seen
        seen += line
    proc.send_signal(signal.SIGTERM)
    proc.send_signal(signal.SIGTERM)  # `timeout` signals the process, then its group: twice
    rest = proc.stderr.read()
    code = proc.wait()
    err = (seen + rest).decode(errors="replace")
    assert code == 143, err
    assert "partial output removed" in err and "Traceback" not in err, err
    assert sorted(p.name for p in here.iterdir()) == ["long.mp4"]
    assert _processes_naming("out-terminated.mp4") == []  # no ffmpeg still writing the .part file


def test_a_signal_inside_interrupts_deferred_is_delivered_when_the_block_ends() -> None:
    """libvips computes inside this block: a KeyboardInterrupt raised there lands in pyvips' cffi
    log callback, which swallowed it, and the run went on to write its result and exit 0."""
    reached_end = False
    with pytest.raises(KeyboardInterrupt), interrupts_deferred():
        os.kill(os.getpid(), signal.SIGINT)
        reached_end = True
    assert reached_end
    with interrupts_deferred(deliver=False):  # the cleanup a first signal started: a second one is dropped
        os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


HUBBLE = Path(__file__).resolve().parents[1] / "data" / "hubble_deep_field.jpg"  # 528 KB


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX process groups")
def test_sigterm_to_the_process_group_lets_worker_processes_finish_their_items(here: Path) -> None:
    """``timeout`` and a CI runner cancelling a job signal the whole process group. A batch of many
    large images runs in worker processes (services.batch._use_processes), which were in that group:
    SIGTERM killed them mid-encode, leaving their ``.part`` files behind and the pool broken. The
    parent decides what stops, as for Ctrl-C: the items in flight finish (or fail) atomically."""
    import time

    from mediaproc.services.batch import MIN_ITEMS_PER_PROCESS

    (here / "in").mkdir()
    for i in range(2 * MIN_ITEMS_PER_PROCESS):
        os.link(HUBBLE, here / "in" / f"{i:02}.jpg")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediaproc", "process", "in/", "resize:p=250", "format:target=png",
         "--to", "out/", "-j", "2"],
        cwd=here, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "CI": "1"},
        start_new_session=True,  # its own process group, as `timeout` gives the command it runs
    )
    out = here / "out"

    def writing() -> bool:  # a worker is mid-encode: its temporary file is there
        return out.is_dir() and any(p.name.startswith(".mediaproc-") for p in out.iterdir())

    while not writing():
        assert proc.poll() is None, "the batch ended before any item was seen in flight"
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGTERM)
    _, stderr = proc.communicate()
    err = stderr.decode(errors="replace")
    assert proc.returncode == 143, err
    assert "Traceback" not in err and "BrokenProcessPool" not in err and "terminated abruptly" not in err, err
    assert [p.name for p in out.iterdir() if p.name.startswith(".mediaproc-")] == []
    written = sorted(out.iterdir())
    assert written  # the items in flight finished
    from support.images import image_size

    for path in written:
        assert image_size(path)[0] > 0, path


def test_sigterm_outside_a_commands_own_handling_exits_143_on_the_full_cli_too(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Typer turns a ``KeyboardInterrupt`` that reaches it into exit 130 and drops it, so on the full CLI
    (any option the plain-line fast path does not take, here ``-j``) a SIGTERM while a batch was being
    planned exited 130, where README's table and the fast path say 143."""
    from mediaproc.services import run

    def planning(*args: object, **kwargs: object) -> None:
        os.kill(os.getpid(), signal.SIGTERM)  # the CLI's handler raises Terminated here

    monkeypatch.setattr(run, "_run_batch", planning)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jpg").write_bytes(HUBBLE.read_bytes())
    for extra in (["-j", "2"], []):  # the full CLI, then the fast path
        r = cli("process", str(tmp_path / "in"), "resize:w=10", "--to", str(tmp_path / "out"), *extra)
        assert r.code == 143, (extra, r.stderr)
    r = cli("process", str(tmp_path / "in" / "a.jpg"), "resize:w=10", "--to", str(tmp_path / "b.jpg"), "-j", "2")
    assert r.code == 0, r.stderr  # the next run in this process is not taken for a terminated one
