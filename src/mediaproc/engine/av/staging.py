"""Atomic outputs: nothing appears under its final name until it is complete.

Single files are written to a hidden temp name in the destination folder and renamed; several files
(snapshots, sprite sheets, HLS segments) are written into a hidden temp folder next to the
destination and moved out once ffmpeg has finished. Any failure, cancel or Ctrl-C removes the temp
file or folder, so a consumer never sees a partial result.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from mediaproc.atomic import atomic_file, replace_keeping_mode
from mediaproc.errors import MediaError, UsageError
from mediaproc.i18n import _


def _ensure_parent(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            _("cannot create the folder {path}: {error}").format(path=path, error=exc.strerror or exc),
            hint=_("choose a destination you can write to"),
        ) from None


@contextmanager
def staged_file(dst: Path) -> Iterator[Path]:
    """Yield a temp path beside ``dst``; on success it becomes ``dst`` (:func:`mediaproc.atomic.atomic_file`)."""
    _ensure_parent(dst.parent)
    with atomic_file(dst) as tmp:
        yield tmp
        if not tmp.is_file() or tmp.stat().st_size == 0:
            raise MediaError(
                _("ffmpeg produced no output for {name}").format(name=dst.name),
                hint=_("the selected time range may be empty; check ss and t against the duration"),
            )


@contextmanager
def staged_dir(parent: Path) -> Iterator[Path]:
    """Yield a hidden temp folder inside ``parent``; it is always removed afterwards."""
    _ensure_parent(parent)
    # os.urandom is what secrets.token_hex reads; importing secrets would load hashlib (~3 ms a run).
    tmp = parent / f".mediaproc-{os.urandom(4).hex()}.partdir"
    tmp.mkdir()
    try:
        yield tmp
    finally:
        import shutil  # here: it imports bz2 and lzma (~2 ms), which a single-file run never needs

        shutil.rmtree(tmp, ignore_errors=True)


def publish(moves: Sequence[tuple[Path, Path]]) -> tuple[Path, ...]:
    """Move finished files to their final names; if that fails half-way, remove what was moved."""
    done: list[Path] = []
    try:
        for src, dst in moves:
            _ensure_parent(dst.parent)
            replace_keeping_mode(src, dst)  # a replaced file keeps its mode, as cp leaves it
            done.append(dst)
    except BaseException:
        for p in done:
            p.unlink(missing_ok=True)
        raise
    return tuple(done)
