"""A 300 MB upload through the CLI: bounded memory, and it survives a connection reset midway.

The CLI runs as a subprocess (the installed entry point, ``python -m mediaproc``) so its memory can
be measured on its own with psutil; the emulator runs in the test process. The reset is armed only
once a third of the parts have arrived, so it really hits the middle of the upload.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from providers_oss.conftest import CliResult, OssEnv, assert_no_leak

SIZE_MB = 300
PEAK_RSS_LIMIT = 150 * 1024 * 1024
PART = 8 * 1024 * 1024  # the provider's part size


def _write_file(path: Path, mib: int) -> str:
    digest = hashlib.sha256()
    seed = os.urandom(1024 * 1024)
    with path.open("wb") as fh:
        for i in range(mib):
            block = i.to_bytes(4, "big") + seed[4:]
            fh.write(block)
            digest.update(block)
    return digest.hexdigest()


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in (proc, *proc.children(recursive=True)):
        with contextlib.suppress(psutil.Error):  # a child may exit between listing and reading
            total += p.memory_info().rss
    return total


@pytest.mark.slow
def test_300mb_upload_under_150mb_rss_survives_reset(oss_env: OssEnv, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    want = _write_file(big, SIZE_MB)
    parts = -(-big.stat().st_size // PART)
    env = {**os.environ, **oss_env.env()}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mediaproc", "upload", str(big), oss_env.uri("big/big.bin"), "--json"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    ps = psutil.Process(proc.pid)
    peak = 0
    armed = False
    deadline = time.monotonic() + 900
    while proc.poll() is None:
        peak = max(peak, _tree_rss(ps))
        if not armed and oss_env.stats()["requests"].get("UploadPart", 0) >= parts // 3:
            oss_env.faults(reset_after_bytes=2 * 1024 * 1024, operations=("UploadPart",), times=1)
            armed = True
        assert time.monotonic() < deadline, "upload did not finish"
        time.sleep(0.05)
    out, err = proc.communicate()
    res = CliResult(proc.returncode, out, err)
    assert_no_leak(oss_env, res)
    assert res.code == 0, res.stderr
    stats = oss_env.stats()
    assert armed and stats["faults_fired"].get("reset", 0) >= 1, stats
    assert stats["requests"]["UploadPart"] < parts + 8  # resumed: only the broken parts went twice
    print(f"\n300 MB upload: peak RSS {peak / 2**20:.1f} MiB, {stats['requests']['UploadPart']} part "
          f"requests for {parts} parts, {stats['faults_fired'].get('reset', 0)} reset(s)")
    assert peak < PEAK_RSS_LIMIT, f"peak RSS {peak / 2**20:.1f} MiB"

    doc = res.json()
    assert doc["size"] == big.stat().st_size
    got = hashlib.sha256()
    stream = oss_env.sdk_bucket().get_object("big/big.bin")
    for chunk in iter(lambda: stream.read(4 * 1024 * 1024), b""):
        got.update(chunk)
    assert got.hexdigest() == want
