"""Start-up stays light: `--help`, a group's `--help` and a completion request import no cloud SDK,
no pyvips and no PyAV (completion runs the CLI on every Tab press)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# The SDKs and engines, and the worker pools and event loop that are serve's and a batch's, not a help page's;
# and pydantic, which Typer 0.29 imports to coerce every option (~90 ms a Tab press; pyproject pins typer<0.29).
HEAVY = ("oss2", "qcloud_cos", "alibabacloud_credentials", "alibabacloud_imm20200930", "alibabacloud_tea_openapi",
         "pyvips", "av", "cv2", "numpy", "PIL", "aiohttp", "multiprocessing", "pickle", "asyncio", "pydantic")

PROBE = r"""
import json, os, sys
sys.argv = ["mediaproc"] + json.loads(os.environ["PROBE_ARGS"])
from mediaproc.cli.app import run
try:
    run(sys.argv[1:])
except SystemExit:
    pass
mods = sorted({m.split(".")[0] for m in sys.modules})
sys.stderr.write("\nMODULES=" + json.dumps(mods) + "\n")
"""


def loaded_modules(args: list[str], extra_env: dict[str, str] | None = None) -> tuple[set[str], str]:
    env = {**os.environ, "PROBE_ARGS": json.dumps(args), **(extra_env or {})}
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=60)
    line = [x for x in proc.stderr.splitlines() if x.startswith("MODULES=")]
    assert line, proc.stderr
    return set(json.loads(line[-1][len("MODULES="):])), proc.stdout


@pytest.mark.parametrize("args", [["--help"], ["image", "--help"], ["video", "--help"], ["process", "--help"]])
def test_help_imports_nothing_heavy(args: list[str]) -> None:
    mods, out = loaded_modules(args)
    assert "Usage" in out
    assert not mods & set(HEAVY), sorted(mods & set(HEAVY))


def test_completion_request_imports_nothing_heavy() -> None:
    env = {"_MEDIAPROC_COMPLETE": "complete_bash", "COMP_WORDS": "mediaproc process x.jpg res", "COMP_CWORD": "3"}
    mods, out = loaded_modules([], env)
    assert "resize:" in out.split()
    assert not mods & set(HEAVY), sorted(mods & set(HEAVY))


@pytest.mark.parametrize(("args", "expected"), [
    (["process", "a.jpg", "resize:w=1"], "process"),
    (["--provider", "oss", "--bucket", "b", "image", "info", "x"], "image"),
    (["--provider=oss", "-q", "video", "convert"], "video"),
    (["-p", "cos", "--json", "--timeout", "5", "ls"], "ls"),
    (["--internal", "--debug", "config", "show"], "config"),
    (["--help"], None),
    ([], None),
    (["--", "serve"], "serve"),
])
def test_the_branch_a_run_needs(args: list[str], expected: str | None) -> None:
    from mediaproc.cli.app import subcommand_of

    assert subcommand_of(args) == expected


def test_a_branch_holds_only_its_commands() -> None:
    from mediaproc.cli.app import build_app, full_app

    image = build_app("image")
    assert image is not full_app()
    assert [g.name for g in image.registered_groups] == ["image"] and not image.registered_commands
    objects = build_app("upload")
    assert {c.name for c in objects.registered_commands} >= {"upload", "rm"} and not objects.registered_groups
    listing = build_app("ls")  # the command scripts run most builds only itself
    assert [c.name for c in listing.registered_commands] == ["ls"]
    assert build_app("no-such-command") is full_app() and build_app(None) is full_app()  # click reports typos


def test_the_command_table_matches_what_the_modules_register() -> None:
    import typer

    from mediaproc.cli.app import COMMANDS, _module

    seen: dict[str, str] = {}
    for module_name in sorted({m for m, _kind in COMMANDS.values()}):
        module = _module(module_name)
        if hasattr(module, "register"):
            probe = typer.Typer()
            module.register(probe)
            for info in probe.registered_commands:
                seen[info.name or info.callback.__name__] = module_name  # type: ignore[union-attr]
        if hasattr(module, "app"):
            seen[next(n for n, (m, k) in COMMANDS.items() if m == module_name and k == "group")] = module_name
    assert {name: module for name, (module, _kind) in COMMANDS.items()} == seen


def test_a_branch_run_imports_only_its_command_module() -> None:
    mods, _out = loaded_modules(["image", "--help"])
    assert "mediaproc" in mods
    probe = r"""
import sys
from mediaproc.cli.app import run
try:
    run(["image", "--help"])
except SystemExit:
    pass
print(sorted(m for m in sys.modules if m.startswith("mediaproc.cli.")))
"""
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    import ast

    loaded = set(ast.literal_eval(proc.stdout.strip().splitlines()[-1]))  # a printed list of names
    assert "mediaproc.cli.image" in loaded
    assert not {"mediaproc.cli.video", "mediaproc.cli.cos", "mediaproc.cli.objects", "mediaproc.cli.serve"} & loaded
