"""``mediaproc [ROOT OPTIONS] ls [-r] [--json] PREFIX`` run without Typer: the command scripts call
most, in a loop or a pipe, where start-up is most of a small listing's time (the plain one-shot
``process`` lines have ``cli/fast.py``; ``__main__`` tries that first, then this).

Typer imports itself and builds click objects from the signatures (~40 ms with the 0.28 pyproject
pins; 0.29 turns every parameter into a pydantic adapter, about 0.15 s of CPU): before the first
request, more than the rest of mediaproc's imports together (benchmarks/ls.py puts ``ls`` beside a
bare oss2 loop). This module reads only the plain
forms of the root options and of ``ls``'s own; anything else (``--help``, ``--version``, an
``--opt=value`` form, a value starting with ``-``, combined short flags, an unknown word, a
completion request) returns ``False`` and the run goes to Typer, which then accepts or rejects it
as it always has. The option tables here are checked against ``cli.app.main``'s and
``cli.listing.ls``'s signatures, and a parity test runs the same command lines both ways
(tests/cli/test_fast_ls.py).

What a run does, it does through the same pieces as the Typer path: ``cli.session.start``'s
settings and :class:`~mediaproc.output.Output`, :func:`list_objects` (which ``cli.listing.ls``
calls too), and ``cli.session.guarded`` for the exit code.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mediaproc.cli.session import AppState

# root option -> main()'s parameter (values); flags -> (parameter, value)
ROOT_VALUES: dict[str, str] = {
    "--provider": "provider", "-p": "provider", "--profile": "profile", "--region": "region",
    "--endpoint": "endpoint", "--imm-endpoint": "imm_endpoint", "--bucket": "bucket",
    "--imm-project": "imm_project", "--timeout": "timeout", "--request-timeout": "request_timeout",
    "--lang": "lang",
}
ROOT_FLAGS: dict[str, tuple[str, bool]] = {
    "--json": ("json_out", True), "--quiet": ("quiet", True), "-q": ("quiet", True),
    "--no-progress": ("no_progress", True), "--debug": ("debug", True),
    "--internal": ("internal", True), "--public": ("internal", False), "--literal": ("literal", True),
}
FLOATS = frozenset({"timeout", "request_timeout"})
LS_FLAGS: dict[str, str] = {"-r": "recursive", "--recursive": "recursive", "--json": "json"}
_PLAIN_NUMBER = re.compile(r"\d+(\.\d+)?")  # what both paths read the same way; the rest goes to Typer


def parse_ls(argv: Sequence[str]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """``(root options, ls options)`` for a plain ``ls`` command line, else None (Typer decides)."""
    root: dict[str, Any] = {}
    i = 0
    while i < len(argv) and argv[i] != "ls":
        word = argv[i]
        if word in ROOT_FLAGS:
            name, value = ROOT_FLAGS[word]
            root[name] = value
            i += 1
        elif word in ROOT_VALUES and i + 1 < len(argv) and not argv[i + 1].startswith("-"):
            name, text = ROOT_VALUES[word], argv[i + 1]
            if name in FLOATS:
                if not _PLAIN_NUMBER.fullmatch(text):
                    return None
                root[name] = float(text)
            else:
                root[name] = text
            i += 2
        else:
            return None
    if i == len(argv):
        return None
    command: dict[str, Any] = {"recursive": False, "json": False}
    positional: list[str] = []
    for word in argv[i + 1:]:
        if word in LS_FLAGS:
            command[LS_FLAGS[word]] = True
        elif word.startswith("-"):
            return None
        else:
            positional.append(word)
    if len(positional) != 1:
        return None
    command["prefix"] = positional[0]
    return root, command


def list_objects(st: AppState, prefix: str, *, recursive: bool, json: bool) -> None:
    """``ls``'s work, for both paths (``cli.listing.ls`` through Typer, :func:`run_ls` without)."""
    from mediaproc.cli.session import with_command_flags
    from mediaproc.output import iso_utc
    from mediaproc.services import objects as svc

    st = with_command_flags(st, json=json, quiet=False)
    st.output.table(["key", "size", "last_modified", "etag"],
                    ((o.key, o.size, iso_utc(o.last_modified), o.etag)
                     for o in svc.ls(st.settings, prefix, recursive=recursive)))


def run_ls(argv: Sequence[str]) -> bool:
    """Run a plain ``ls`` command line and exit; False (nothing done) when Typer must read it."""
    if os.environ.get("_MEDIAPROC_COMPLETE") or os.environ.get("MEDIAPROC_NO_FAST_PATH"):
        return False
    parsed = parse_ls(argv)
    if parsed is None:
        return False
    root, command = parsed
    from mediaproc.cli.session import guarded, start

    def body() -> None:
        st = start(root)
        list_objects(st, command["prefix"], recursive=command["recursive"], json=command["json"])

    guarded(body, words=list(argv))
    return True
