"""Fixtures for the OSS provider tests: the real oss2 / IMM clients against ``mediaproc serve``.

Every CLI run goes through the real entry point in-process (the suite's ``cli`` fixture, see
``tests/support/cli.py``), or as a subprocess where memory is measured; every run is checked for
leaks: the secret key never appears on stdout or stderr, and a signature only on stdout, and only
when the test asked for a URL.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from support.cli import Cli, CliResult

DATA = Path(__file__).resolve().parents[1] / "data"
REGION = "cn-hangzhou"
SIGNATURE = re.compile(r"(?i)(x-oss-signature=|Signature=)([0-9a-zA-Z%+/=]{16,})")


@dataclass
class OssEnv:
    """One emulator, one bucket, and the settings that point mediaproc at them."""

    server: Any  # the shared `emulator` fixture (tests/support/emulator.py): url, set_faults, stats
    url: str
    bucket: str
    access_key_id: str
    access_key_secret: str
    tmp: Path

    def env(self, **extra: str) -> dict[str, str]:
        return {**self.server.oss_cli_env(self.bucket), **extra}

    def settings(self, **changes: Any) -> Any:
        from mediaproc.config import Settings

        base: dict[str, Any] = {
            "provider": "oss", "region": REGION, "endpoint": self.url, "imm_endpoint": self.url,
            "bucket": self.bucket,
        }
        base.update(changes)
        return Settings(**base)

    def uri(self, key: str) -> str:
        return f"oss://{self.bucket}/{key}"

    # the official SDK, used by tests to arrange and inspect the bucket independently of mediaproc
    def sdk_bucket(self) -> Any:
        import oss2

        auth = oss2.AuthV4(self.access_key_id, self.access_key_secret)
        return oss2.Bucket(auth, self.url, self.bucket, region=REGION)

    def put(self, key: str, path: Path) -> None:
        self.sdk_bucket().put_object_from_file(key, str(path))

    def get_bytes(self, key: str) -> bytes:
        return self.sdk_bucket().get_object(key).read()

    def exists(self, key: str) -> bool:
        return bool(self.sdk_bucket().object_exists(key))

    def object_keys(self, prefix: str = "") -> list[str]:
        import oss2

        return [o.key for o in oss2.ObjectIteratorV2(self.sdk_bucket(), prefix=prefix)]

    def faults(self, **settings: Any) -> None:
        self.server.set_faults(**settings)

    def clear_faults(self) -> None:
        self.server.clear_faults()

    def stats(self) -> dict[str, Any]:
        return self.server.stats()


def assert_no_leak(env: OssEnv, res: CliResult, *, url_on_stdout: bool = False) -> None:
    """The secret never shows; a signature only on stdout, only when a URL was asked for."""
    for stream, text in (("stdout", res.stdout), ("stderr", res.stderr)):
        assert env.access_key_secret not in text, f"secret key leaked on {stream}"
    assert not SIGNATURE.search(res.stderr), "a signature leaked on stderr"
    if not url_on_stdout:
        assert not SIGNATURE.search(res.stdout), "a signature leaked on stdout"


@pytest.fixture
def oss_env(emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[OssEnv]:
    """A fresh bucket on the shared emulator; mediaproc's environment (clean: see ``isolated_env``) points at it."""
    env = OssEnv(
        server=emulator,
        url=emulator.url,
        bucket=f"mp-{uuid.uuid4().hex[:12]}",
        access_key_id=emulator.access_key_id,
        access_key_secret=emulator.access_key_secret,
        tmp=tmp_path,
    )
    for name, value in env.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CI", "1")  # for the subprocess runs too
    env.sdk_bucket().create_bucket()
    yield env
    emulator.clear_faults()


@pytest.fixture
def cli(cli: Cli, oss_env: OssEnv) -> Cli:
    """The suite's ``cli``, pointed at the bucket; every run is checked for leaks (``url=True`` allows a
    signature on stdout)."""
    return cli.checked(lambda res, url: assert_no_leak(oss_env, res, url_on_stdout=url))


def run_subprocess(env: OssEnv, *args: str, extra_env: dict[str, str] | None = None,
                   timeout: float = 600) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **env.env(), **(extra_env or {})}
    return subprocess.run(
        [sys.executable, "-m", "mediaproc", *args], env=full, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def bound(oss_env: OssEnv, cli: Cli) -> OssEnv:
    """The bucket bound to an IMM project (what video/audio/AI operations need)."""
    res = cli("imm", "setup", "--json")
    assert res.code == 0, res.stderr
    return oss_env


@pytest.fixture(scope="session")
def small_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 s of 160x120 test pattern with a sine tone, H.264/AAC."""
    return _make_video(tmp_path_factory.mktemp("video") / "small.mp4", "160x120", 2)


@pytest.fixture(scope="session")
def longer_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clip that takes the emulator a few seconds to transcode (for timeouts)."""
    return _make_video(tmp_path_factory.mktemp("video") / "longer.mp4", "640x360", 12)


def _make_video(path: Path, size: str, seconds: int) -> Path:
    import imageio_ffmpeg

    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc=size={size}:rate=25:duration={seconds}",
         "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path)],
        check=True,
    )
    return path


def start_cli(env: OssEnv, *args: str) -> subprocess.Popen[str]:
    """``mediaproc ARGS`` as a child process pointed at the emulator (for the Ctrl-C tests)."""
    return subprocess.Popen(
        [sys.executable, "-m", "mediaproc", *args],
        env={**os.environ, **env.env()}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def interrupt_when(env: OssEnv, proc: subprocess.Popen[str], ready: Callable[[dict], bool]) -> CliResult:
    """Send Ctrl-C once the server's counters satisfy ``ready``; the run's result, checked for leaks."""
    deadline = time.monotonic() + 120
    while not ready(env.stats()):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    res = CliResult(proc.returncode, out, err)
    assert_no_leak(env, res)
    return res
