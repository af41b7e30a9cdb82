"""Every local file mediaproc writes, written once: atomically, and with the mode ``cp`` would give it.

A reader (or a crash, an error, Ctrl-C) never sees half a file: the bytes go to a hidden temporary
file in the destination's folder (the same file system, so the final rename is atomic), which is
renamed over the destination only when the block ends without an exception, and removed on any
exception, ``KeyboardInterrupt`` included, leaving an existing destination untouched. A device or a
pipe (``--to /dev/null``) is written into instead, from a temporary file in the system's temporary folder.

Modes follow ``cp``: a new file honours the process umask, a replaced file keeps its mode. The
temporary file is created with ``0o666`` and the kernel applies the umask, as ``cp``'s own ``open``
does (``tempfile.mkstemp`` would create it ``0600``, and every result would be private); just before
the rename it takes the mode of the file it replaces.

``durable=True`` also fsyncs the file before the rename and the folder after it, so the new file is
on disk once the block has ended. It costs a disk flush, so it is asked for only where a crash would
lose something that cannot be made again by running the command again: downloads (the object may be
deleted or changed next, and ``mv``-style scripts delete it right after), the config file and the job
journal (the only record of what to clean up after a cloud job). Processed results are not durable:
the command that made them can make them again, and flushing every video would slow batches down.
The local store behind ``mediaproc serve`` is not durable either: it is an emulator for tests, and
its sidecars are rebuilt from the bytes when they are missing.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path

from mediaproc import TYPE_CHECKING
from mediaproc.errors import UsageError
from mediaproc.i18n import _

# typing is not imported at run time (every one-shot run writes through here); in this order both mypy
# and ruff read ``overload`` as typing's.
if not TYPE_CHECKING:

    def overload(fn: Any) -> Any:
        """``typing.overload`` for the run time, where the variants are only replaced by the implementation."""
        return fn

else:
    from typing import IO, Any, BinaryIO, Literal, TextIO, overload

NAME_ROOM = 200  # bytes of the destination's name kept in the temporary name (NAME_MAX is 255 bytes)
DEFAULT_NAME_MAX = 255  # bytes in one file name, where the file system does not say (Linux, macOS, Windows)
# Every temporary file's name starts with this: hidden, and skipped by batch mode's folder listing.
TEMP_NAME_PREFIX = ".mediaproc-"


def create_temp(folder: Path, name: str) -> tuple[int, Path]:
    """A new, exclusively created hidden file in ``folder``, ``.mediaproc-<random>.<name>.part``:
    (open write descriptor, path).

    Mode ``0o666`` minus the umask, as ``cp`` creates files; the random part makes the name unique
    among concurrent writers of the same destination."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    kept = os.fsencode(name)[:NAME_ROOM].decode("utf-8", "ignore")  # NAME_MAX counts bytes: 中 is 3
    while True:
        path = folder / f"{TEMP_NAME_PREFIX}{os.urandom(4).hex()}.{kept}.part"
        try:
            return os.open(path, flags, 0o666), path
        except FileExistsError:
            continue


def replace_keeping_mode(src: Path, dest: Path) -> None:
    """Rename the finished ``src`` over ``dest``, giving it the mode of the file it replaces (``cp``
    keeps a replaced file's mode): for writers that finish several files in a temporary folder
    (snapshots, HLS segments) and publish them one by one.

    A destination that exists and is not a regular file (``/dev/null``, ``/dev/stdout``, a named
    pipe) is written into, as ``cp`` does, and the finished temporary file removed: a rename would
    put a regular file in its place (as root, ``--to /dev/null`` replaced the device node)."""
    try:
        st: os.stat_result | None = os.stat(dest)
    except OSError:
        st = None
    if st is not None and _is_special(st):
        _copy_into(src, dest)
        return
    if st is not None and stat.S_ISREG(st.st_mode):
        os.chmod(src, stat.S_IMODE(st.st_mode))
    os.replace(src, dest)


def _is_special(st: os.stat_result) -> bool:
    """A device, a named pipe or a socket (what ``os.stat`` follows a symlink to): written into, never
    renamed over."""
    return not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode)


def _special_destination(dest: Path) -> bool:
    """``dest`` exists and is a device or a pipe (through a symlink too): its temporary file goes to the
    system's temporary folder, since the folder of a device (/dev) is not the user's to write."""
    try:
        return _is_special(os.stat(dest))
    except OSError:
        return False


def _copy_into(src: Path, dest: Path) -> None:
    """The finished ``src`` streamed into the special file ``dest``, then ``src`` removed."""
    import shutil

    try:
        with src.open("rb") as fin, open(dest, "wb", buffering=0) as fout:
            shutil.copyfileobj(fin, fout, 1 << 20)
    finally:
        with suppress(OSError):
            src.unlink()


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # a platform without directory handles (Windows): the rename is as durable as it gets
    try:
        with suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


@overload
def atomic_file(
    dest: Path, mode: None = None, *, durable: bool = False, temp_dir: Path | None = None
) -> AbstractContextManager[Path]: ...
@overload
def atomic_file(
    dest: Path, mode: Literal["wb"], *, durable: bool = False, temp_dir: Path | None = None
) -> AbstractContextManager[BinaryIO]: ...
@overload
def atomic_file(
    dest: Path, mode: Literal["w"], *, durable: bool = False, temp_dir: Path | None = None
) -> AbstractContextManager[TextIO]: ...
def atomic_file(
    dest: Path, mode: Literal["wb", "w"] | None = None, *, durable: bool = False, temp_dir: Path | None = None
) -> AbstractContextManager[Any]:
    """Write ``dest`` atomically (see the module doc). Yields the temporary file's path (``mode``
    None: for writers that take a file name, such as libvips or ffmpeg) or the temporary file open
    in ``mode`` (``"wb"``, or ``"w"`` for UTF-8 text); it becomes ``dest`` when the block ends.

    ``temp_dir`` puts the temporary file elsewhere on the same file system (the local store keeps
    them out of the bucket folders so that listings never show them). The destination's folder is
    created if needed; a folder that cannot be written is a UsageError naming it."""
    return _atomic(Path(dest), mode, durable, temp_dir)


def check_name_length(dest: Path) -> None:
    """Refuse a destination whose file name is longer than its file system takes (255 bytes of
    UTF-8 almost everywhere), before any work is done: the rename at the end would fail with
    ENAMETOOLONG after the whole encode. A folder destination names the result after its source,
    so a long source name (or a longer extension, ``.webp`` for ``.jpg``) reaches this too."""
    size = len(os.fsencode(dest.name))
    if size <= DEFAULT_NAME_MAX:
        return
    limit = DEFAULT_NAME_MAX
    with suppress(OSError, ValueError, AttributeError):
        limit = os.pathconf(dest.parent if dest.parent.is_dir() else ".", "PC_NAME_MAX")
    if size > limit:
        shown = dest.name if len(dest.name) <= 60 else dest.name[:30] + "…" + dest.name[-20:]
        raise UsageError(
            _("the destination name {name} is {size} bytes long; the file system takes at most {limit}").format(
                name=shown, size=size, limit=limit),
            hint=_("choose a shorter name for the destination file"),
        )


@contextmanager
def _atomic(dest: Path, mode: str | None, durable: bool, temp_dir: Path | None) -> Iterator[Any]:
    folder = temp_dir or dest.parent
    if temp_dir is None and _special_destination(dest):
        # the bytes are copied into the device, not renamed: the temporary file need not share its
        # folder, and must not, since /dev (of /dev/null) is root's: `--to /dev/null` failed for every
        # other user ("cannot write to /dev") and, as root, left its .part files on /dev's small tmpfs
        import tempfile

        folder = Path(tempfile.gettempdir())
    check_name_length(dest)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = create_temp(folder, dest.name)
    except OSError as err:
        raise UsageError(
            _("cannot write to {path}: {reason}").format(path=str(dest.parent), reason=err.strerror or err),
            hint=_("check that the destination folder is writable"),
        ) from err
    try:
        if mode is None:
            os.close(fd)
            yield tmp
            if durable:
                _fsync_path(tmp)
        else:
            fh: IO[Any] = os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8")
            with fh:
                yield fh
                if durable:
                    fh.flush()
                    os.fsync(fh.fileno())
        replace_keeping_mode(tmp, dest)
    except BaseException:
        with suppress(OSError):
            tmp.unlink()
        raise
    if durable:
        _fsync_dir(dest.parent)


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_text_atomic(path: Path, text: str, *, durable: bool = False) -> int:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns the size written."""
    with atomic_file(path, "w", durable=durable) as fh:
        fh.write(text)
    return path.stat().st_size


def write_json_atomic(path: Path, payload: Any, *, durable: bool = False) -> int:
    """A JSON result file (indented, UTF-8 as is), written atomically; returns its size."""
    return write_text_atomic(path, json.dumps(payload, ensure_ascii=False, indent=2) + "\n", durable=durable)
