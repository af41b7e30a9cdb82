"""The plain one-shot path: a plain ``process`` (and ``image info``, ``video info|snapshot|convert``)
parsed before Typer is imported.

Operators very often call the tool once per file (a shell loop, a make rule, a CI step). Typer
builds click objects from the signatures on every start (~50 ms with the pinned 0.28; 0.29 adds
pydantic, ~100 ms: as much as the thumbnail itself); a plain command line needs none of that.
:func:`try_run` recognises the few shapes below and nothing else: on any other word (an unknown
option, ``--help``, ``--``, a second ``--to``, a missing argument, a completion request) it returns
False *before doing anything*, and the full CLI parses the line as always, so every usage error
stays Typer's. Once a line is recognised, the run is the full CLI's own code (``cli/session.py``:
the root state, command flags, the services, rendering, exit codes), and what a command runs comes
from the same catalogue (``media_command`` and ``chain_command`` read it the same way).
``tests/cli/test_fast_path.py`` runs a table of command lines both ways and compares exit code,
stdout and stderr.

Set ``MEDIAPROC_NO_FAST_PATH=1`` to always take the full CLI.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable, Sequence
from contextlib import suppress

from mediaproc import TYPE_CHECKING
from mediaproc.record import Record

if TYPE_CHECKING:
    from typing import Any

# Root options a plain line may carry before its command: flag -> start() keyword.
ROOT_FLAGS = {"--json": "json_out", "--quiet": "quiet", "-q": "quiet", "--no-progress": "no_progress",
              "--debug": "debug"}
# A command's own options (the shared options every processing command has): flag -> meaning.
COMMAND_FLAGS = {"--json": "json", "--quiet": "quiet", "-q": "quiet"}
TO_OPTIONS = ("--to", "-o")


class Shape(Record):
    """One command the fast path knows: its words, and what its positional arguments mean.

    ``chain``: SOURCE then one or more operations (``process``, ``image process``); ``op``: the
    command runs one catalogue operation, whose ``KEY=VALUE`` words follow SOURCE when it has
    parameters (``media_command``), or which is fixed (``image info`` runs ``info``). A
    :class:`~mediaproc.record.Record`, like :class:`Plain`: built on every start (a named tuple with
    string annotations costs ~0.2 ms to build, ``typing`` compiles each one)."""

    words: tuple[str, ...]
    chain: bool = False
    image_families: bool = False  # ``image process``: the families ``cli/image.py`` admits
    op: str | None = None
    media: bool = False  # a media_command: the operation's parameters follow SOURCE


SHAPES: tuple[Shape, ...] = (
    Shape(("process",), chain=True),
    Shape(("image", "process"), chain=True, image_families=True),
    Shape(("image", "info"), op="info"),
    Shape(("video", "info"), op="video/info", media=True),
    Shape(("video", "snapshot"), op="video/snapshot", media=True),
    Shape(("video", "convert"), op="video/convert", media=True),
)


class Plain(Record):
    """A recognised command line."""

    words: tuple[str, ...]  # the whole command line
    shape: Shape
    root: dict[str, bool]
    json: bool
    quiet: bool
    to: str | None
    args: tuple[str, ...]


def _shape_at(argv: Sequence[str], i: int) -> Shape | None:
    for shape in SHAPES:
        if tuple(argv[i : i + len(shape.words)]) == shape.words:
            return shape
    return None


def parse(argv: Sequence[str]) -> Plain | None:
    """The plain command line ``argv`` is, or None when the full CLI must parse it."""
    i, root = 0, dict.fromkeys(ROOT_FLAGS.values(), False)
    while i < len(argv) and argv[i] in ROOT_FLAGS:
        root[ROOT_FLAGS[argv[i]]] = True
        i += 1
    shape = _shape_at(argv, i)
    if shape is None:
        return None
    i += len(shape.words)
    flags = dict.fromkeys(COMMAND_FLAGS.values(), False)
    to: str | None = None
    args: list[str] = []
    while i < len(argv):
        word = argv[i]
        if word in TO_OPTIONS:
            if to is not None or i + 1 >= len(argv) or argv[i + 1].startswith("-"):
                return None  # a second --to, or one without a plain value: the full CLI explains
            to = argv[i + 1]
            i += 2
            continue
        if word.startswith("--to="):
            if to is not None:
                return None
            to = word[len("--to="):]
        elif word in COMMAND_FLAGS:
            flags[COMMAND_FLAGS[word]] = True
        elif word.startswith("-"):
            return None  # any other option, "--", "-" or --help
        else:
            args.append(word)
        i += 1
    if not _arity_ok(shape, len(args)):
        return None
    return Plain(tuple(argv), shape, root, flags["json"], flags["quiet"], to, tuple(args))


def _arity_ok(shape: Shape, n: int) -> bool:
    if shape.chain:
        return n >= 2  # SOURCE and at least one operation
    if shape.media and _has_params(shape):
        return n >= 1
    return n == 1


def _has_params(shape: Shape) -> bool:
    from mediaproc.ops.catalog import get_spec

    return bool(shape.op and get_spec(shape.op).params)


def _values(plain: Plain) -> dict[str, Any]:
    """The ``RunOptions`` values the full CLI's ``chain_command`` would hand the command; every
    option the line did not give keeps its default, which ``RunOptions`` shares with the CLI
    (tests/cli/test_fast_path.py checks that)."""
    values: dict[str, Any] = {"to": plain.to}
    if plain.shape.image_families:
        from mediaproc.ops.catalog import IMAGE_PREFIX_FAMILIES

        values["families"] = frozenset(IMAGE_PREFIX_FAMILIES)
    return values


def run_plain(plain: Plain) -> None:
    """Run a recognised line exactly as the full CLI would (root callback, command, exit codes)."""
    from mediaproc.cli.session import guarded, run_and_render, run_op, start, with_command_flags

    root = plain.root

    def body() -> None:
        st = start(root)
        st = with_command_flags(st, json=plain.json, quiet=plain.quiet)
        values = _values(plain)
        source, rest = plain.args[0], list(plain.args[1:])
        shape = plain.shape
        if shape.chain:
            run_and_render(st, values, source, rest)
        elif shape.op is not None and shape.media and _has_params(shape):
            run_op(st, values, shape.op, source, rest)
        elif shape.op is not None:
            run_and_render(st, values, source, [shape.op])

    guarded(_as_typer_ends(body), words=plain.words)


def _as_typer_ends(body: Callable[[], None]) -> Callable[[], None]:
    """``body`` ended as Typer's standalone mode ends a command (``typer/core.py``, ``_main``), so both
    entries end a run alike: Ctrl-C that reached no handler of ours exits 130 without a line, and a
    closed stdout (``| head``) exits 1 without a traceback."""

    def run() -> None:
        try:
            body()
        except KeyboardInterrupt as exc:
            from mediaproc.errors import ExitCode
            from mediaproc.signals import Terminated

            sys.exit(int(ExitCode.TERMINATED if isinstance(exc, Terminated) else ExitCode.INTERRUPTED))
        except OSError as exc:
            if exc.errno != errno.EPIPE:
                raise
            with suppress(OSError, ValueError):  # nothing more can reach the reader: no flush error at exit
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)

    return run


def try_run(argv: Sequence[str]) -> bool:
    """Run ``argv`` on the fast path if it is a plain line; False (nothing done) otherwise."""
    if os.environ.get("MEDIAPROC_NO_FAST_PATH") or os.environ.get("_MEDIAPROC_COMPLETE"):
        return False
    plain = parse(argv)
    if plain is None:
        return False
    run_plain(plain)
    return True
