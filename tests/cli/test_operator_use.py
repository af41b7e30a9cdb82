"""Defects found by using the local CLI as an operator, a CI step and a shell script would: one test
per defect, each driving the real entry point and decoding what it wrote."""

from __future__ import annotations

import io
import os
import shutil
import stat
import threading
from pathlib import Path

import pytest

from support.images import image_size

DATA = Path(__file__).resolve().parents[1] / "data"
ROCKET = DATA / "rocket.jpg"  # 640x427


class FifoReader:
    """Everything written into a named pipe, read by a thread (a writer's ``open`` blocks until a
    reader is there, and a result larger than the pipe's buffer needs one reading as it goes)."""

    def __init__(self, path: Path) -> None:
        os.mkfifo(path)
        self.path = path
        self.data = b""
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        with open(self.path, "rb") as fh:
            self.data = fh.read()

    def result(self) -> bytes:
        self._thread.join()
        return self.data


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_destination_that_is_a_pipe_or_device_is_written_into_not_replaced(cli, here: Path) -> None:
    """``--to /dev/null`` (or /dev/stdout, a named pipe) is written into, as ``cp`` does: the
    atomic rename replaced the special file with a regular one (as root, /dev/null itself), and
    reading the result back to report its format blocked on the pipe forever."""
    from PIL import Image

    shutil.copy(ROCKET, here / "rocket.jpg")
    pipe = FifoReader(here / "pipe")
    r = cli("--json", "process", "rocket.jpg", "resize:w=100", "--to", "pipe")
    assert r.code == 0, r.stderr
    assert stat.S_ISFIFO(os.stat(here / "pipe").st_mode)  # still the pipe, not a file in its place
    with Image.open(io.BytesIO(pipe.result())) as img:
        assert (img.format, img.size) == ("JPEG", (100, 67))
    doc = r.json()
    assert (doc["width"], doc["height"], doc["format"]) == (100, 67, "jpg")
    assert not [p for p in here.iterdir() if p.name.startswith(".mediaproc-")]
