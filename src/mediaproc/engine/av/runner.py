"""Running the static ffmpeg binary: progress, cancellation, Ctrl-C and readable errors.

ffmpeg runs as a child process without a shell. ``-progress pipe:1`` gives machine-readable
progress blocks on stdout, which become percentages through the caller's ProgressCallback;
``-loglevel error`` keeps stderr to the lines that explain a failure. A cancel event (set by a job
on timeout or ``job cancel``) or Ctrl-C terminates ffmpeg, then kills it after a grace period, so no
encoder is left running behind the tool; the caller's staging area removes the partial output.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import subprocess
import threading
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path

from mediaproc import TYPE_CHECKING
from mediaproc.errors import Interrupted, MediaError, ServiceError
from mediaproc.i18n import _
from mediaproc.progress import ProgressCallback, ProgressEvent

if TYPE_CHECKING:  # typing for type checkers only: not imported on a one-shot run (mediaproc.TYPE_CHECKING)
    from typing import Any

GRACE_SECONDS = 3.0  # between terminate and kill
POLL_SECONDS = 0.05

# Lines ffmpeg prints after the real cause; the cause is the line before them.
_GENERIC = (
    "error opening input",
    "error opening output",
    "error opening input files",
    "conversion failed",
    "error while",
    "exiting",
    "error initializing",
    "nothing was written",
    "error sending frames",
    "error closing",
    "terminating thread",
    "task finished with error",
)
# ffmpeg messages that blame the input (bad media: MediaError, exit 2); anything else is the engine
# failing on usable input (ServiceError, exit 5).
_INPUT_MARKERS = (
    "invalid data found",
    "moov atom not found",
    "error opening input",
    "could not find codec parameters",
    "invalid nal unit",
    "error while decoding",
    "decoding error",
    "no such file",
    "end of file",
    "truncat",
    "corrupt",
)
_TAG = re.compile(r"^\[[^\]]*@ 0x[0-9a-f]+\]\s*")


_shortcut_refused = False  # the binary the shortcut found would not start: ask imageio-ffmpeg from now on


def start_ffmpeg(argv: list[str], **popen: Any) -> subprocess.Popen[bytes]:
    """``Popen(argv)``; when the ``binaries`` shortcut of :func:`ffmpeg_exe` picked a file this machine
    cannot run (another platform's build left there), once more with imageio-ffmpeg's own choice, which
    checks the binary runs. Any other failure raises ``OSError`` as ``Popen`` does."""
    global _shortcut_refused
    try:
        return subprocess.Popen(argv, **popen)
    except OSError:
        if _shortcut_refused or os.environ.get("IMAGEIO_FFMPEG_EXE") or argv[0] != str(bundled_ffmpeg()):
            raise
        _shortcut_refused = True
        ffmpeg_exe.cache_clear()
        return subprocess.Popen([ffmpeg_exe(), *argv[1:]], **popen)


@functools.lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """The static ffmpeg shipped in the imageio-ffmpeg wheel (no system ffmpeg needed).

    Resolved the way ``imageio_ffmpeg.get_ffmpeg_exe()`` resolves it, without its cost: importing
    the package (~35 ms, it pulls in its frame reader/writer) and running ``ffmpeg -version`` to
    validate the binary (~15 ms, one whole ffmpeg start) would be a quarter of a one-shot
    ``video snapshot``. Its documented ``IMAGEIO_FFMPEG_EXE`` variable comes first, as there; then
    the one ``ffmpeg*`` executable in the wheel's ``binaries`` folder, found without importing the
    package. Anything else (a wheel laid out differently after an update, a conda or system ffmpeg)
    goes to imageio-ffmpeg itself, so an update can make this slower but never wrong (and a file found
    there that will not start on this machine hands over to imageio-ffmpeg: :func:`start_ffmpeg`);
    ``tests/engine_av/test_runner.py`` holds both resolutions to the same binary.
    """
    exe = os.environ.get("IMAGEIO_FFMPEG_EXE")  # not validated: imageio-ffmpeg trusts it too
    if exe:
        return exe
    bundled = None if _shortcut_refused else bundled_ffmpeg()
    if bundled is not None:
        return str(bundled)
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as exc:  # the wheel is a dependency; this only happens in a broken install
        raise MediaError(
            _("the ffmpeg binary is not available: {error}").format(error=exc),
            hint=_("reinstall mediaproc (the imageio-ffmpeg wheel ships ffmpeg)"),
        ) from None


def bundled_ffmpeg(package: str = "imageio_ffmpeg") -> Path | None:
    """The single executable ``ffmpeg*`` file in ``package``'s ``binaries`` folder, or None.

    ``find_spec`` locates a top-level package without running its ``__init__``. None (ask the
    package) when it is not installed, the folder is missing, or it holds no or several candidates.
    """
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    found: list[Path] = []
    for root in spec.submodule_search_locations:
        folder = Path(root) / "binaries"
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        found += [
            p for p in entries if p.name.startswith("ffmpeg") and p.is_file() and os.access(p, os.X_OK)
        ]
    return found[0] if len(found) == 1 else None


class Cancelled(Interrupted):
    """Work stopped because its cancel event was set (job timeout or cancel), not by Ctrl-C."""

    default_code = "Cancelled"


def check_cancel(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled(_("the operation was cancelled"), hint=None)


def explain(stderr_lines: Sequence[str], replace: dict[str, str] | None = None) -> str:
    """The most meaningful line of ffmpeg's error output, short and without addresses."""
    cleaned: list[str] = []
    for raw in stderr_lines:
        line = _TAG.sub("", raw.strip())
        if not line:
            continue
        for old, new in (replace or {}).items():
            line = line.replace(old, new)
        cleaned.append(line)
    if not cleaned:
        return _("ffmpeg failed without a message")
    specific = [ln for ln in cleaned if not ln.lower().startswith(_GENERIC)]
    line = (specific or cleaned)[-1]
    return line if len(line) <= 300 else line[:297] + "..."


class FFmpeg:
    """One ffmpeg invocation. ``duration`` (seconds of output expected) turns out_time into %.

    ``span`` maps this run's 0-100 % onto a slice of the whole operation's progress, for operations
    that run ffmpeg more than once.
    """

    def __init__(
        self,
        args: Sequence[str],
        *,
        duration: float | None,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
        label: str = "",
        span: tuple[float, float] = (0.0, 100.0),
        replace: dict[str, str] | None = None,
    ) -> None:
        self.args = list(args)
        self.duration = duration if duration and duration > 0 else None
        self.progress = progress
        self.cancel = cancel
        self.label = label
        self.span = span
        self.replace = replace or {}
        self.stderr: deque[str] = deque(maxlen=40)
        self._last_percent = -1.0

    @property
    def command(self) -> list[str]:
        return [
            ffmpeg_exe(),
            "-hide_banner",
            "-nostdin",
            "-y",
            "-loglevel",
            "error",
            "-progress",
            "pipe:1",
            "-nostats",
            *self.args,
        ]

    # -- progress -------------------------------------------------------------------------------
    def _report(self, fraction: float) -> None:
        if self.progress is None:
            return
        lo, hi = self.span
        pct = lo + (hi - lo) * max(0.0, min(1.0, fraction))
        if pct <= self._last_percent:
            return
        self._last_percent = pct
        self.progress(ProgressEvent(completed=round(pct, 1), total=100.0, unit="%", label=self.label))

    def _read_progress(self, stream: object) -> None:
        for raw in iter(stream.readline, b""):  # type: ignore[attr-defined]
            key, _sep, value = raw.decode("utf-8", "replace").strip().partition("=")
            if key == "out_time_us" and self.duration:
                try:
                    seconds = int(value) / 1_000_000
                except ValueError:  # "N/A" before the first frame
                    continue
                self._report(seconds / self.duration)
            elif key == "progress" and value == "end":
                self._report(1.0)

    def _read_stderr(self, stream: object) -> None:
        for raw in iter(stream.readline, b""):  # type: ignore[attr-defined]
            self.stderr.append(raw.decode("utf-8", "replace").rstrip())

    # -- run ------------------------------------------------------------------------------------
    def _wait(self, proc: subprocess.Popen[bytes], progress_reader: threading.Thread) -> int:
        """ffmpeg's exit code, checking the cancel event every POLL_SECONDS meanwhile.

        Waiting on the progress reader, which ends when ffmpeg closes its stdout at exit, is one
        sleep per check; ``Popen.wait(timeout)`` polls in a loop of growing sleeps (~7 wakeups per
        check): ~7 ms of CPU per second of transcode against ~1 ms here. Should ffmpeg close
        stdout and keep running, the polling wait takes over.
        """
        while True:
            if progress_reader.is_alive():
                progress_reader.join(timeout=POLL_SECONDS)
            else:
                try:
                    return proc.wait(timeout=POLL_SECONDS)
                except subprocess.TimeoutExpired:
                    pass
            if self.cancel is not None and self.cancel.is_set():
                stop(proc)
                raise Cancelled(_("the operation was cancelled"), hint=None) from None

    def run(self) -> None:
        """Run to completion; raise MediaError on failure, Cancelled/Interrupted when stopped."""
        check_cancel(self.cancel)
        self._report(0.0)
        try:
            proc = start_ffmpeg(
                self.command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as exc:
            raise MediaError(
                _("cannot start ffmpeg: {error}").format(error=exc.strerror or exc),
                hint=_("check that the imageio-ffmpeg binary is executable"),
            ) from None
        readers = [
            threading.Thread(target=self._read_progress, args=(proc.stdout,), daemon=True),
            threading.Thread(target=self._read_stderr, args=(proc.stderr,), daemon=True),
        ]
        for r in readers:
            r.start()
        try:
            code = self._wait(proc, readers[0])
        except KeyboardInterrupt:
            stop(proc)
            raise Interrupted(_("interrupted"), hint=_("no output was written")) from None
        except BaseException:
            stop(proc)
            raise
        finally:
            for r in readers:
                r.join(timeout=2.0)
            for pipe in (proc.stdout, proc.stderr):
                if pipe is not None:
                    pipe.close()
        if code != 0:
            message = explain(self.stderr, self.replace)
            details = {"ffmpeg_exit": code, "stderr": [explain([ln], self.replace) for ln in list(self.stderr)[-8:]]}
            if any(m in line.lower() for line in self.stderr for m in _INPUT_MARKERS):
                raise MediaError(
                    message, hint=_("check that the source is a complete, playable audio/video file"), details=details
                )
            raise ServiceError(
                message,
                code="EngineError",
                hint=_("ffmpeg refused this combination of source and parameters; try other parameters"),
                details=details,
            )
        self._report(1.0)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate ffmpeg, kill it if it does not exit within the grace period, and reap it."""
    if proc.poll() is not None:
        return
    try:
        # Not SIGINT: that makes ffmpeg finish the file properly, and we discard it anyway.
        proc.terminate()
    except (ProcessLookupError, OSError):
        return
    deadline = time.monotonic() + GRACE_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return
        time.sleep(POLL_SECONDS)
    try:
        proc.kill()
    except (ProcessLookupError, OSError):
        return
    # A KeyboardInterrupt arriving here must not leave a zombie behind.
    while True:
        try:
            proc.wait()
            return
        except KeyboardInterrupt:
            continue


def run_ffmpeg(
    args: Sequence[str],
    *,
    duration: float | None = None,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    span: tuple[float, float] = (0.0, 100.0),
    replace: dict[str, str] | None = None,
    label: str = "",
) -> None:
    FFmpeg(args, duration=duration, progress=progress, cancel=cancel, span=span, replace=replace, label=label).run()
