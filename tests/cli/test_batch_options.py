"""Which options `batch submit` and `trigger create` offer, and where each applies (cli/batch.py, APPLIES).

`batch submit` runs a local folder here (the client-side batch) and an oss:// or cos:// prefix on that
cloud's engine; `trigger create` only on a cloud. Help lists exactly the options some mode reads, each
labelled with where it applies; an option given where it does not apply is a usage error (exit 2) with a
hint, never silently ignored. No network is needed: every refusal comes before any request (and the
accepted cloud cases are `--dry-run`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from support.cli import Cli

OSS_SRC, OSS_TO = "oss://photos-bkt/in/", "oss://photos-bkt/out/"
COS_SRC, COS_TO = "cos://media-1250000000/in/", "cos://media-1250000000/out/"

# the command's own options and the shared ones it offers, in help order (the root options follow them)
SUBMIT = ["--yes", "--force", "--confirm-above", "--name", "--match", "--topic", "--service-role", "--queue-id",
          "--template", "--workflow", "--uploaded-after", "--uploaded-before", "--fail-fast", "--to", "--wait",
          "--timeout", "--concurrency", "--skip-existing", "--dry-run", "--literal",
          "--json", "--quiet"]
CREATE = ["--force", "--name", "--match", "--topic", "--service-role", "--queue-id", "--template", "--to",
          "--dry-run", "--literal", "--json", "--quiet"]
LABELS = {"Cloud:": ["--yes", "--force", "--confirm-above"], "IMM:": ["--match", "--topic", "--service-role",
          "--fail-fast"], "COS": ["--name", "--queue-id", "--template", "--workflow", "--uploaded-after",
          "--uploaded-before"], "Local folder:": ["--concurrency", "--skip-existing"]}


def _options(help_text: str) -> list[str]:
    """The long option names of the command's own section (before the root options, from --provider on)."""
    names = []
    for line in help_text.split("\nOptions:\n", 1)[1].splitlines():
        m = re.match(r"\s+(?:-\w, )?(--[\w-]+)", line)
        if m:
            if m.group(1) == "--provider":
                break
            names.append(m.group(1))
    return names


@pytest.mark.parametrize(("words", "expected"), [(["batch", "submit"], SUBMIT), (["trigger", "create"], CREATE)])
def test_help_lists_exactly_what_applies(cli: Cli, words: list[str], expected: list[str]) -> None:
    res = cli(*words, "--help")
    assert res.code == 0, res.stderr
    assert _options(res.stdout) == expected
    flat = " ".join(res.stdout.split())
    for label, flags in LABELS.items():
        for flag in flags:
            if flag in expected:
                assert re.search(rf"{flag}\b[^-]*?{label}", flat), (flag, label)


@pytest.mark.parametrize("option", ["--download-to", "--url", "--expires", "--max-source-size", "--verify",
                                    "--strict"])
def test_options_no_batch_reads_are_not_offered(cli: Cli, tmp_path: Path, option: str) -> None:
    value = [] if option in ("--url", "--verify", "--strict") else ["x"]
    res = cli("batch", "submit", str(tmp_path), "resize:w=8", "--to", str(tmp_path / "out"), option, *value)
    assert res.code == 2 and f"No such option: {option}" in res.stderr, res.stderr


@pytest.mark.parametrize("option", ["--concurrency", "--skip-existing", "--verify", "--wait", "--no-wait"])
def test_trigger_create_offers_no_client_side_or_waiting_options(cli: Cli, option: str) -> None:
    value = ["2"] if option == "--concurrency" else []
    res = cli("trigger", "create", OSS_SRC, "resize:w=8", "--to", OSS_TO, option, *value, "--dry-run")
    assert res.code == 2 and f"No such option: {option}" in res.stderr, res.stderr


@pytest.mark.parametrize(("source", "to", "given", "where"), [
    ("LOCAL", None, ["--yes"], "a local folder"),
    ("LOCAL", None, ["--workflow", "w" + "0" * 32], "a local folder"),
    ("LOCAL", None, ["--match", "key suffix (.jpg)"], "a local folder"),
    ("LOCAL", None, ["--confirm-above", "5"], "a local folder"),
    (OSS_SRC, OSS_TO, ["--concurrency", "4"], "an OSS batch"),
    (OSS_SRC, OSS_TO, ["--skip-existing"], "an OSS batch"),
    (OSS_SRC, OSS_TO, ["--queue-id", "p" + "0" * 32], "an OSS batch"),
    (OSS_SRC, OSS_TO, ["--uploaded-after", "2026-01-01T00:00:00+0800"], "an OSS batch"),
    (COS_SRC, COS_TO, ["--skip-existing"], "a COS batch"),
    (COS_SRC, COS_TO, ["--topic", "t"], "a COS batch"),
    (COS_SRC, COS_TO, ["--fail-fast"], "a COS batch"),
    (COS_SRC, COS_TO, ["--service-role", "r"], "a COS batch"),
])
def test_an_option_given_where_it_does_not_apply_is_a_usage_error(cli: Cli, tmp_path: Path, source: str,
                                                                   to: str | None, given: list[str],
                                                                   where: str) -> None:
    if source == "LOCAL":
        (tmp_path / "in").mkdir()
        source, to = str(tmp_path / "in") + "/", str(tmp_path / "out") + "/"
    res = cli("--imm-project", "p", "--region", "ap-guangzhou", "batch", "submit", source, "resize:w=8",
              "--to", to or "", *given, "--dry-run")
    assert res.code == 2, res.stderr
    assert f"Error: {given[0]} does not apply to {where}" in res.stderr
    assert f"Hint: drop {given[0]}; it applies to " in res.stderr and "Traceback" not in res.stderr
    assert res.stdout == ""


def test_trigger_create_refuses_the_other_clouds_options(cli: Cli) -> None:
    res = cli("trigger", "create", COS_SRC, "resize:w=8", "--to", COS_TO, "--match", "x", "--dry-run")
    assert res.code == 2 and "--match does not apply to a COS batch or trigger" in res.stderr, res.stderr


@pytest.mark.parametrize(("source", "to", "given"), [
    (OSS_SRC, OSS_TO, ["--match", "key suffix (.jpg)", "--fail-fast", "--topic", "t", "--yes"]),
    (COS_SRC, COS_TO, ["--name", "n", "--queue-id", "p" + "0" * 32, "--uploaded-after", "2026-01-01T00:00:00+0800",
                       "--yes"]),
])
def test_each_clouds_own_options_are_taken(cli: Cli, source: str, to: str, given: list[str]) -> None:
    res = cli("--imm-project", "p", "--region", "ap-guangzhou", "batch", "submit", source, "resize:w=8",
              "--to", to, *given, "--dry-run")
    assert res.code == 0, res.stderr


def test_a_local_folder_takes_the_client_side_options(cli: Cli, tmp_path: Path) -> None:
    from PIL import Image

    folder = tmp_path / "in"
    folder.mkdir()
    Image.new("RGB", (40, 30)).save(folder / "a.jpg")
    out = tmp_path / "out"
    res = cli("batch", "submit", f"{folder}/", "resize:w=8", "--to", f"{out}/", "-j", "2", "--skip-existing")
    assert res.code == 0, res.stderr
    with Image.open(out / "a.jpg") as im:
        assert im.size == (8, 6)
