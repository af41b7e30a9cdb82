"""Messages in English or Chinese (--lang, MEDIAPROC_LANG, the locale); JSON never changes with them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import DATA, CliResult, Served

CHELSEA = str(DATA / "chelsea.png")
ZH = {"LANG": "zh_CN.UTF-8"}
ROOT = Path(__file__).resolve().parents[2]


def _stable(doc: Any) -> Any:
    """The JSON with run-dependent values made equal (time taken)."""
    if isinstance(doc, dict):
        return {k: (0 if k == "elapsed_seconds" else _stable(v)) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_stable(v) for v in doc]
    return doc


def test_invalid_operation_in_chinese_and_english(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    zh = cli("process", CHELSEA, "resze:w=5", "--to", str(tmp_path / "o.png"), env=ZH)
    assert zh.code == 2
    assert "错误：未知操作 'resze'" in zh.stderr
    assert "提示：是否指 'resize'？" in zh.stderr
    en = cli("--lang", "en", "process", CHELSEA, "resze:w=5", "--to", str(tmp_path / "o.png"), env=ZH)
    assert en.code == 2
    assert "Error: unknown operation 'resze'" in en.stderr
    assert "Hint: did you mean 'resize'?" in en.stderr
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in en.stderr)


def test_result_table_labels(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    zh = cli("process", CHELSEA, "resize:w=500", "--to", str(tmp_path / "a.png"), "--verify", env=ZH)
    assert zh.code == 0, zh.stderr
    for label in ("状态", "源文件", "输出", "文件大小", "已校验", "宽度"):
        assert label in zh.stdout, label
    assert "✅ 已完成" in zh.stdout
    assert "警告：校验得到的宽度为 451，而不是请求的 500" in zh.stderr
    en = cli("--lang", "en", "process", CHELSEA, "resize:w=500", "--to", str(tmp_path / "b.png"), "--verify",
             env=ZH)
    assert en.code == 0
    for label in ("Status", "Source", "Output", "File size", "Verified", "width"):
        assert label in en.stdout, label
    assert "Warning: verified width is 451, not the requested 500" in en.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["process", CHELSEA, "resize:w=500", "--verify"],  # success, with verification warnings
        ["process", CHELSEA, "resze:w=5"],  # invalid operation
        ["process", CHELSEA, "resize:w=500", "--strict"],  # exit 9
        ["process", str(DATA / "missing.png"), "resize:w=5"],  # not found
        ["ops", "resize"],  # a listing whose cells and headers are translated for people
    ],
)
def test_json_is_byte_identical_in_both_languages(
    cli: Callable[..., CliResult], tmp_path: Path, args: list[str]
) -> None:
    out = tmp_path / "o.png"
    extra = ["--to", str(out)] if args[0] == "process" else []
    zh = cli("--json", *args, *extra, env=ZH)
    en = cli("--json", "--lang", "en", *args, *extra, env=ZH)
    assert zh.code == en.code
    assert json.dumps(_stable(zh.json()), ensure_ascii=False) == json.dumps(_stable(en.json()), ensure_ascii=False)
    if args[0] != "ops":
        assert zh.stdout.replace(_elapsed(zh), "") == en.stdout.replace(_elapsed(en), "")
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in zh.stdout)
    if zh.code:
        assert "错误" in zh.stderr and "Error" in en.stderr


def _elapsed(res: CliResult) -> str:
    doc = res.json()
    value = doc.get("elapsed_seconds") if isinstance(doc, dict) else None
    return f'"elapsed_seconds": {value}' if value is not None else "\0"


def test_http_error_json_is_the_same_in_both_languages(
    cli: Callable[..., CliResult], http_server: Served, tmp_path: Path
) -> None:
    url = http_server.url("/none.png")
    zh = cli("--json", "process", url, "resize:w=5", "--to", str(tmp_path / "o.png"), env=ZH)
    en = cli("--json", "process", url, "resize:w=5", "--to", str(tmp_path / "o.png"))
    assert zh.code == en.code == 4
    assert zh.stdout == en.stdout
    assert "返回 HTTP 404" in zh.stderr and "answered HTTP 404" in en.stderr


@pytest.mark.parametrize(
    ("args", "env", "chinese"),
    [
        ([], {"LANG": "zh_CN.UTF-8"}, True),
        ([], {"LANG": "en_US.UTF-8"}, False),
        ([], {"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}, False),  # LC_ALL wins, as in POSIX
        ([], {"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, True),
        ([], {"MEDIAPROC_LANG": "zh", "LANG": "en_US.UTF-8"}, True),
        (["--lang", "zh"], {"MEDIAPROC_LANG": "en"}, True),
        (["--lang=en"], {"MEDIAPROC_LANG": "zh"}, False),
    ],
)
def test_language_precedence(
    cli: Callable[..., CliResult], tmp_path: Path, args: list[str], env: dict[str, str], chinese: bool
) -> None:
    res = cli(*args, "process", CHELSEA, "resze:w=5", "--to", str(tmp_path / "o.png"), env=env)
    assert res.code == 2
    expected = "错误：未知操作 'resze'" if chinese else "Error: unknown operation 'resze'"
    assert res.first_stderr_line == expected, res.stderr


def test_profile_language_applies(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    assert cli("config", "set", "lang", "zh", "--profile", "cn").code == 0
    res = cli("--profile", "cn", "process", CHELSEA, "resze:w=5", "--to", str(tmp_path / "o.png"))
    assert (res.code, res.first_stderr_line) == (2, "错误：未知操作 'resze'")


def test_unsupported_language_is_refused(cli: Callable[..., CliResult]) -> None:
    res = cli("--lang", "fr", "ops")
    assert res.code == 3
    assert "unsupported language 'fr'" in res.stderr
    assert "en, zh" in res.stderr


def test_progress_lines_are_translated(cli: Callable[..., CliResult], http_server: Served, tmp_path: Path) -> None:
    url = http_server.add("/chelsea.png", body=Path(CHELSEA).read_bytes())
    res = cli("process", url, "resize:w=50", "--to", str(tmp_path / "o.png"), env=ZH)
    assert res.code == 0, res.stderr
    assert "处理中: 100%" in res.stderr


def _subprocess(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    from support.cli import LANGUAGE_VARS

    clean = {k: v for k, v in os.environ.items() if k not in LANGUAGE_VARS}  # cloud settings: see isolated_env
    return subprocess.run([sys.executable, "-m", "mediaproc", *args], env={**clean, **env},
                          capture_output=True, text=True, timeout=60)


def test_help_is_translated_before_the_cli_is_imported() -> None:
    zh = _subprocess(["--help"], ZH)
    assert zh.returncode == 0
    assert "在阿里云 OSS、腾讯云 COS 或本机上处理图片、视频和音频。" in zh.stdout
    assert "选项" in zh.stdout and "命令" in zh.stdout and "显示此帮助信息并退出。" in zh.stdout
    assert "运行操作链（与参考技能兼容的入口）。" in zh.stdout  # a command's summary in the list
    sub = _subprocess(["--lang", "zh", "image", "process", "--help"], {"LANG": "en_US.UTF-8"})
    assert "读回已保存的结果" in sub.stdout
    en = _subprocess(["--lang", "en", "--help"], ZH)
    assert "Process images, video and audio" in en.stdout
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in en.stdout)


def test_help_stays_light() -> None:
    """Chinese help loads the compiled catalogue with stdlib gettext: no Babel, nothing heavy."""
    probe = (
        "import sys, json\n"
        "from mediaproc.__main__ import main\n"
        "sys.argv = ['mediaproc', '--lang', 'zh', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write('MODS=' + json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    mods = set(json.loads(proc.stderr.split("MODS=")[-1]))
    assert "选项" in proc.stdout
    assert not mods & {"babel", "requests", "pyvips", "av", "oss2", "PIL", "numpy"}, sorted(mods)


def test_catalogue_is_complete_and_compiled() -> None:
    """Fails when a message lacks a Chinese translation, when the code has messages the .po lacks,
    when placeholders differ, or when the committed .mo is stale: `python scripts/i18n.py update`,
    translate what it reports (`python scripts/i18n.py missing`), and commit the .po and .mo."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import i18n as catalogue_tool  # scripts/i18n.py
    finally:
        sys.path.pop(0)
    problems = catalogue_tool.problems()
    assert problems == [], "\n".join(problems)


def test_message_keeps_its_english() -> None:
    import copy
    import pickle

    from mediaproc import i18n

    try:
        i18n.set_language("zh")
        inner = i18n._("width")
        msg = i18n._("verified {property} is {found}, not the requested {requested}").format(
            property=inner, found=400, requested=500)
        assert str(msg) == "校验得到的宽度为 400，而不是请求的 500"
        assert msg.en == "verified width is 400, not the requested 500"
        for clone in (copy.deepcopy(msg), pickle.loads(pickle.dumps(msg))):
            assert str(clone) == str(msg) and clone.en == msg.en
        assert i18n.plain({"w": [msg], i18n._("name"): 1}) == {"w": [msg.en], "name": 1}
        joined = i18n.join(", ", [i18n._("width"), i18n._("height")])
        assert (str(joined), joined.en) == ("宽度, 高度", "width, height")
        one, two = (i18n.ngettext("{n} item in {s:.1f} s", "{n} items in {s:.1f} s", n) for n in (1, 2))
        assert (str(one.format(n=1, s=0.5)), one.format(n=1, s=0.5).en) == ("1 个条目，用时 0.5 秒", "1 item in 0.5 s")
        assert (str(two.format(n=2, s=0.5)), two.format(n=2, s=0.5).en) == ("2 个条目，用时 0.5 秒", "2 items in 0.5 s")
        either = i18n.join(i18n._(" or "), ["f=oga", "f=opus"])  # a translated separator keeps its English
        assert (str(either), either.en) == ("f=oga 或 f=opus", "f=oga or f=opus")
    finally:
        i18n.set_language("en")
