"""Examples in ``--help`` (issue 18): the main commands show them, and every example parses with the
real command tree (options that exist, arguments in place, operation chains that validate)."""

from __future__ import annotations

import shlex
from typing import Any

import pytest
import typer

from mediaproc.cli.examples import EXAMPLES
from support.cli import Cli

MAIN = ("process", "upload", "download", "ls", "rm", "serve", "job wait", "cos process")


@pytest.mark.parametrize("path", MAIN)
def test_help_shows_examples(cli: Cli, path: str) -> None:
    res = cli(*path.split(), "--help")
    assert res.code == 0, res.stderr
    assert "Examples:" in res.stdout
    for line in EXAMPLES[path]:
        assert f"mediaproc {line}" in res.stdout


def _tree() -> Any:
    from mediaproc.cli.app import full_app
    from mediaproc.cli.globals import accept_after_subcommand

    tree = typer.main.get_command(full_app())
    accept_after_subcommand(tree)
    return tree


@pytest.mark.parametrize("line", [line for lines in EXAMPLES.values() for line in lines])
def test_every_example_parses(line: str) -> None:
    from mediaproc.ops.parse import parse_chain

    words = shlex.split(line)
    cmd, parent = _tree(), None
    ctx = cmd.make_context("mediaproc", [], resilient_parsing=True)
    while getattr(cmd, "commands", None) and words and words[0] in cmd.commands:
        parent, cmd = ctx, cmd.commands[words.pop(0)]
        ctx = cmd.make_context(cmd.name, [], parent=parent, resilient_parsing=True)
    assert not getattr(cmd, "commands", None), line
    parsed = cmd.make_context(cmd.name, list(words), parent=parent)  # a usage error raises here
    if cmd.name == "process" and "operations" in parsed.params:
        assert parse_chain(parsed.params["operations"])  # parsed and validated (InvalidOperation otherwise)
