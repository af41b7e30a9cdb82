"""Bodies stream: a few hundred MB up and down leave the server's memory flat.

The server runs in its own process so its RSS is measured apart from the client's. The assertion
is a bound on memory (a property of the design), not a timing.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from support.emulator import running_emulator

SIZE = 256 * 1024 * 1024
CHUNK = 1024 * 1024
BOUND = 100 * 1024 * 1024  # growth allowed over the idle server: far below the object size


def _stream(digest: hashlib._Hash) -> Iterator[bytes]:
    block = hashlib.sha256(b"seed").digest() * (CHUNK // 32)
    for i in range(SIZE // CHUNK):
        chunk = i.to_bytes(8, "big") + block[8:]
        digest.update(chunk)
        yield chunk


class PeakRss:
    def __init__(self, pid: int) -> None:
        self.proc = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.proc.memory_info().rss)
            self._stop.wait(0.02)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.mark.slow
def test_large_upload_and_download_keep_server_memory_bounded(tmp_path: Path) -> None:
    with running_emulator(tmp_path / "root", subprocess=True) as emu:
        bucket = emu.oss_bucket("large")
        bucket.put_object("warm-up", b"x")  # imports and pools are in place before the baseline
        bucket.get_object("warm-up").read()
        baseline = psutil.Process(emu.pid).memory_info().rss
        sent = hashlib.md5()
        with PeakRss(emu.pid) as up:
            bucket.put_object("big.bin", _stream(sent))  # a generator: chunked transfer, no length
        assert bucket.head_object("big.bin").content_length == SIZE
        received = hashlib.md5()
        with PeakRss(emu.pid) as down:
            result = bucket.get_object("big.bin")
            for chunk in result:
                received.update(chunk)
        assert received.hexdigest() == sent.hexdigest()
        assert up.peak - baseline < BOUND, f"upload grew the server by {(up.peak - baseline) >> 20} MiB"
        assert down.peak - baseline < BOUND, f"download grew the server by {(down.peak - baseline) >> 20} MiB"
