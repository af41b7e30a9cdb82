"""The Typer-free ``ls`` (``cli.fast``) reads, runs and reports exactly what the Typer path does, and
hands everything else to Typer; a plain ``ls`` process never imports Typer or pydantic."""

from __future__ import annotations

import subprocess
import sys
import typing
from pathlib import Path

import pytest
import typer

from mediaproc.cli import fast_ls as fast
from mediaproc.cli.app import _root_value_options, main, run
from mediaproc.cli.listing import ls


def _run(capsys: pytest.CaptureFixture[str], call: typing.Callable[[], object]) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        done = call()
        code = 0 if done is not False else -1
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _options(fn: typing.Callable[..., object]) -> dict[str, tuple[str, bool]]:
    """Every option of a Typer signature: declaration -> (parameter, is a flag)."""
    out: dict[str, tuple[str, bool]] = {}
    for name, hint in typing.get_type_hints(fn, include_extras=True).items():
        info = next((m for m in getattr(hint, "__metadata__", ()) if isinstance(m, typer.models.OptionInfo)), None)
        if info is None:
            continue
        base = typing.get_args(hint)[0]
        flag = base is bool or bool in typing.get_args(base)
        first = [info.default] if isinstance(info.default, str) and info.default.startswith("-") else []
        for decl in [*first, *(info.param_decls or ())] or ["--" + name.replace("_", "-")]:
            for part in decl.split("/"):
                out[part] = (name, flag)
    return out


def test_the_option_tables_match_the_typer_signatures() -> None:
    root = _options(main)
    assert set(fast.ROOT_VALUES) == _root_value_options()
    assert {d: n for d, (n, flag) in root.items() if not flag} == fast.ROOT_VALUES
    assert {d for d, (_n, flag) in root.items() if flag} - {"--version"} == set(fast.ROOT_FLAGS)
    assert {d: n for d, (n, _flag) in _options(ls).items()} == fast.LS_FLAGS


@pytest.fixture
def bucket(tmp_path: Path) -> Path:
    folder = tmp_path / "b"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("1")
    (folder / "tab\tname.txt").write_text("22")
    (folder / "sub" / "c.txt").write_text("333")
    return folder


def lines(bucket: Path) -> list[list[str]]:
    b = f"{bucket}/"
    return [
        ["ls", b], ["ls", b, "-r"], ["ls", "-r", b, "--json"], ["--json", "ls", b], ["-q", "ls", "--recursive", b],
        ["--provider", "local", "--timeout", "5", "ls", b], ["--lang", "zh", "ls", b],
        ["--debug", "--no-progress", "--public", "ls", b],
        ["ls", f"{bucket}/missing/"], ["--json", "ls", "oss://no-such-bucket/x/"],  # an error, in both modes
        ["-p", "nonesuch", "ls", b], ["--json", "--lang", "xx", "ls", b],
    ]


@pytest.mark.parametrize("index", range(12))
def test_the_fast_path_matches_typer(cli, capsys: pytest.CaptureFixture[str], bucket: Path, index: int) -> None:
    argv = lines(bucket)[index]
    assert fast.parse_ls(argv) is not None
    typer_way = _run(capsys, lambda: run(list(argv)))
    fast_way = _run(capsys, lambda: fast.run_ls(argv))
    assert fast_way == typer_way


@pytest.mark.parametrize("argv", [
    ["ls"], ["ls", "a/", "b/"], ["ls", "--help"], ["--version"], ["ls", "-rq", "a/"], ["ls", "--json=1", "a/"],
    ["--timeout", "1e3", "ls", "a/"], ["--region", "-x", "ls", "a/"], ["ls", "a/", "--bucket", "b"],
    ["--endpoint=http://x", "ls", "a/"], ["upload", "a", "b"], ["--", "ls", "a/"], [],
])
def test_anything_else_goes_to_typer(argv: list[str]) -> None:
    assert fast.parse_ls(argv) is None


def test_a_plain_ls_process_imports_no_typer(bucket: Path) -> None:
    probe = (
        "import sys; sys.argv = ['mediaproc', 'ls', sys.argv[1]]\n"
        "from mediaproc.__main__ import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'typer', 'pydantic', 'click', 'rich'}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe, f"{bucket}/"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "[]"
    assert "a.txt" in proc.stdout
