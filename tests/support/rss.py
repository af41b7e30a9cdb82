"""Run mediaproc in a child process and read its peak memory, so a test of a hostile input survives one
that gets through (the child balloons, the suite does not).

Peak RSS comes from ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` read in a small wrapper process
whose only children are the commands measured: read in the test process itself, it would also count
every ffmpeg an earlier test ran. ru_maxrss is the largest of the children's peaks (kilobytes on Linux),
and it covers what those children waited for in turn (the CLI's ffmpeg).

:func:`run_cli` runs ``mediaproc ARGS`` commands one after the other in one wrapper and returns each
one's exit code and output with the peak so far; :func:`serve` runs ``mediaproc serve`` until the block
ends and then reports the server's peak and its whole log.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import mediaproc

SRC = str(Path(mediaproc.__file__).resolve().parents[1])
GB = 1024**3

# Runs each command (a JSON list of argv lists), one after the other; prints one JSON line per command.
_MANY = r"""
import json, resource, subprocess, sys, time
for argv in json.loads(sys.argv[1]):
    t = time.perf_counter()
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=float(sys.argv[2]))
    elapsed = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    print(json.dumps({"code": p.returncode, "stdout": p.stdout.decode("utf-8", "replace"),
                      "stderr": p.stderr.decode("utf-8", "replace"), "peak": peak, "elapsed": elapsed}), flush=True)
"""

# Runs one long-lived command, its stderr into a file; on SIGTERM stops it and writes its peak.
_ONE = r"""
import json, resource, signal, subprocess, sys
argv, log, report = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
with open(log, "wb") as err:
    child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=err, stderr=err)
with open(report + ".pid", "w") as f:
    f.write(str(child.pid))
signal.signal(signal.SIGTERM, lambda *_: child.terminate())
code = child.wait()
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
with open(report, "w") as f:
    json.dump({"code": code, "peak": peak}, f)
"""


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The test's environment (already isolated by the suite) with this mediaproc importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (SRC, env.get("PYTHONPATH", "")) if p)
    env.update(extra or {})
    return env


def mediaproc_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "mediaproc", *args]


@dataclass
class Measured:
    code: int
    stdout: str
    stderr: str
    peak: int  # bytes: the largest child peak up to and including this command
    elapsed: float = 0.0  # seconds, wall time of this command (its interpreter start included)

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def run_cli(
    commands: Sequence[Sequence[str]], *, timeout: float = 120.0, env: dict[str, str] | None = None
) -> list[Measured]:
    """``mediaproc ARGS`` for each of ``commands``, in one measuring wrapper (see the module docstring)."""
    argvs = [mediaproc_argv(*args) for args in commands]
    proc = subprocess.run(
        [sys.executable, "-c", _MANY, json.dumps(argvs), str(timeout)],
        capture_output=True,
        env=child_env(env),
        timeout=timeout * len(argvs) + 30,
        check=True,
    )
    return [Measured(**json.loads(line)) for line in proc.stdout.decode().splitlines() if line.strip()]


@dataclass
class Served:
    """A running ``mediaproc serve``: its address; after the block, its peak RSS and log."""

    host: str
    port: int
    log_path: Path
    pid: int
    peak: int = 0
    code: int | None = None
    log: str = field(default="", repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def log_so_far(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def peak_so_far(self) -> int:
        """The server's peak RSS until now (bytes): ``VmHWM``, the figure ru_maxrss reports once it ends."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError("no VmHWM in /proc (Linux only)")


@contextlib.contextmanager
def serve(root: Path, *args: str, timeout: float = 30.0) -> Iterator[Served]:
    """``mediaproc serve --port 0 --root ROOT ARGS`` under the measuring wrapper."""
    root.mkdir(parents=True, exist_ok=True)  # serve refuses a --root that does not exist
    log = root.parent / f"{root.name}.serve.log"
    report = root.parent / f"{root.name}.serve.json"
    argv = mediaproc_argv("serve", "--port", "0", "--root", str(root), *args)
    wrapper = subprocess.Popen(
        [sys.executable, "-c", _ONE, json.dumps(argv), str(log), str(report)], env=child_env()
    )
    try:
        deadline = time.monotonic() + timeout
        found = None
        while found is None:
            if wrapper.poll() is not None:
                raise RuntimeError(f"mediaproc serve exited early: {log.read_text() if log.exists() else ''}")
            if time.monotonic() > deadline:
                raise TimeoutError("mediaproc serve did not start in time")
            text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
            found = re.search(r"listening on http://([\d.]+):(\d+)", text)
            if found is None:
                time.sleep(0.05)
        pid = int(Path(str(report) + ".pid").read_text())
        served = Served(found.group(1), int(found.group(2)), log, pid)
        yield served
    finally:
        if wrapper.poll() is None:
            wrapper.send_signal(signal.SIGTERM)
        try:
            wrapper.wait(timeout=30)
        except subprocess.TimeoutExpired:
            wrapper.kill()
            wrapper.wait()
    if report.exists():
        data = json.loads(report.read_text())
        served.peak, served.code = int(data["peak"]), int(data["code"])
    served.log = log.read_text(encoding="utf-8", errors="replace")
