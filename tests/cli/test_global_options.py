"""Global options after the subcommand (as aws-cli takes them): every option of the root callback is
accepted after the command too, and when one is given both before and after, the one after wins
(issue 18). One mechanism, ``mediaproc.cli.globals``; these run it through several commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from support.cli import Cli
from test_completion import bash_complete

DATA = Path(__file__).resolve().parents[1] / "data"


def test_every_command_takes_every_root_option() -> None:
    import typer

    from mediaproc.cli.app import full_app, main
    from mediaproc.cli.globals import ROOT_ONLY, accept_after_subcommand

    tree = typer.main.get_command(full_app())
    accept_after_subcommand(tree)
    root_opts = {o for p in tree.params if p.name not in ROOT_ONLY for o in p.opts}
    assert {"--bucket", "--provider", "--region", "--json", "--lang", "--imm-project"} <= root_opts
    assert main.__name__ == "main"

    def leaves(cmd: Any, path: str) -> list[tuple[str, Any]]:
        sub = getattr(cmd, "commands", None)
        if not sub:
            return [(path, cmd)]
        return [leaf for name, c in sub.items() for leaf in leaves(c, f"{path} {name}")]

    found = leaves(tree, "mediaproc")
    assert len(found) > 30
    for path, cmd in found:
        opts = {o for p in cmd.params for o in p.opts}
        assert root_opts <= opts, (path, root_opts - opts)


def test_process_after_the_subcommand_wins(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "r.png"
    # before: --provider oss (no credentials here); after: --provider local, which wins
    res = cli("--provider", "oss", "process", str(DATA / "chelsea.png"), "resize:w=40", "--to", str(out),
              "--provider", "local", "--json")
    assert res.code == 0, res.stderr
    assert res.json()["provider"] == "local"
    with Image.open(out) as im:
        assert im.width == 40


def test_quiet_and_lang_after_the_subcommand(cli: Cli, tmp_path: Path) -> None:
    res = cli("process", str(DATA / "chelsea.png"), "resize:w=999999", "--to", str(tmp_path / "x.png"),
              "--lang", "zh")
    assert res.code == 2
    assert "错误" in res.stderr  # the error rendered in Chinese
    res = cli("ops", "resize", "--json", "--lang", "en")
    assert res.code == 0 and json.loads(res.stdout)


def test_config_and_doctor_take_them_too(cli: Cli, tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    res = cli("config", "set", "bucket", "media", "--profile", "work", env={"MEDIAPROC_CONFIG": str(cfg)})
    assert res.code == 0, res.stderr
    assert "[profiles.work]" in cfg.read_text() or "work" in cfg.read_text()
    res = cli("doctor", "--provider", "local", "--bucket", "media", "--json")
    checks = {c["name"]: c for c in res.json()}
    assert checks["provider"]["detail"].startswith("local")


def test_an_unknown_option_is_still_a_usage_error(cli: Cli) -> None:
    res = cli("job", "status", "MediaConvert-0000aaaa-1111", "--no-such-option")
    assert res.code == 2 and "No such option" in res.stderr


@pytest.mark.skipif(not __import__("shutil").which("bash"), reason="needs bash")
def test_completion_knows_them_after_the_subcommand() -> None:
    assert "--bucket" in bash_complete("mediaproc job status TID --buc")
    assert bash_complete("mediaproc job status TID --provider c") == ["cos"]
