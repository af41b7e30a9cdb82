"""Atomic text writes: a temp file in the destination folder, then a rename, so a reader (or a crash)
never sees half a file."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_text_atomic(path: Path, text: str) -> int:
    """Write ``text`` to ``path`` atomically; returns the size written. The temp file is removed on
    any failure, Ctrl-C included."""
    fd, tmp = tempfile.mkstemp(prefix=".mediaproc-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path.stat().st_size
