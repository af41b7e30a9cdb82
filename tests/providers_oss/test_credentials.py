"""Credentials: wrong or missing keys exit 3 with what to do; no secret or signature is ever shown."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from providers_oss.conftest import DATA, CliResult, OssEnv, assert_no_leak


def test_wrong_secret_exits_3_with_a_clear_message(
    oss_env: OssEnv, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    oss_env.put("a.png", DATA / "chelsea.png")
    wrong = "wrong-secret-value-0042"
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", wrong)
    for args, code in (
        (("ls", oss_env.uri("")), "SignatureDoesNotMatch"),
        (("download", oss_env.uri("a.png"), str(tmp_path / "a.png")), "SignatureDoesNotMatch"),
        (("process", oss_env.uri("a.png"), "resize:w=10", "--to", str(tmp_path / "b.png")), "SignatureDoesNotMatch"),
        (("upload", str(DATA / "rocket.jpg"), oss_env.uri("r.jpg")), "SignatureDoesNotMatch"),
        (("imm", "check"), "IncompleteSignature"),
    ):
        res = cli("--json", *args)
        assert res.code == 3, (args, res.code, res.stderr)
        assert res.error["code"] == code, (args, res.error)
        if code == "SignatureDoesNotMatch":
            assert res.error["message"] == "OSS rejected the request signature: the AccessKey secret is wrong"
        assert wrong not in res.stdout + res.stderr
        assert "Hint:" in res.stderr
    assert not (tmp_path / "a.png").exists() and not (tmp_path / "b.png").exists()


def test_unknown_access_key_id(oss_env: OssEnv, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
                               ) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAIunknownKeyId000")
    res = cli("ls", oss_env.uri(""))
    assert res.code == 3, res.stderr
    assert res.first_stderr_line == "Error: OSS does not know this AccessKey id (or it is disabled)"


def test_missing_credentials_exit_3_with_what_to_do(
    oss_env: OssEnv, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_ID")
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
    res = cli("ls", oss_env.uri(""))
    assert (res.code, res.first_stderr_line) == (3, "Error: no Alibaba Cloud credentials were found"), res.stderr
    assert "ALIBABA_CLOUD_ACCESS_KEY_ID" in res.stderr and "aliyun configure" in res.stderr

    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", oss_env.access_key_id)  # half a pair
    res = cli("ls", oss_env.uri(""))
    assert (res.code, res.first_stderr_line) == (
        3, "Error: ALIBABA_CLOUD_ACCESS_KEY_SECRET is not set, but its partner variable is"
    )


def test_debug_output_carries_no_secret_or_signature(
    oss_env: OssEnv, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    """--debug turns the SDK loggers on (records go to stderr here); they are scrubbed: the cli
    fixture asserts that neither the secret nor a signature reaches stdout or stderr."""
    import logging

    from support import secret_scan

    oss_env.put("a.png", DATA / "chelsea.png")
    seen_before = set(secret_scan.SIGNATURES)
    root = logging.getLogger()
    handler = logging.StreamHandler()  # bound to the captured stderr
    root.addHandler(handler)
    try:
        res = cli("--debug", "process", oss_env.uri("a.png"), "resize:w=10", "--to", str(tmp_path / "b.png"))
        assert res.code == 0, res.stderr
        assert "Send request" in res.stderr  # the SDK's own debug records were really emitted
        assert "authorization" in res.stderr.lower() and "<redacted>" in res.stderr
        signed = secret_scan.SIGNATURES - seen_before  # what the emulator verified during this run
        assert signed and not [s for s in signed if s in res.stderr]
        wrong = cli("--debug", "ls", "oss://no-such-bucket-zz/")
        assert wrong.code == 4
        sign = cli("--debug", "sign", oss_env.uri("a.png"), url=True)
        assert sign.code == 0
    finally:
        root.removeHandler(handler)
    off = cli("process", oss_env.uri("a.png"), "resize:w=10", "--to", str(tmp_path / "c.png"))
    assert "Send request" not in off.stderr  # silenced without --debug


def test_subprocess_output_has_no_secret(oss_env: OssEnv, tmp_path: Path) -> None:
    """The installed entry point, with --debug and a failing request: still nothing secret."""
    from providers_oss.conftest import run_subprocess

    oss_env.put("a.png", DATA / "chelsea.png")
    for args, code in (
        (("--debug", "sign", oss_env.uri("a.png")), 0),
        (("--debug", "download", oss_env.uri("missing.png"), str(tmp_path / "m.png")), 4),
    ):
        proc = run_subprocess(oss_env, *args)
        assert proc.returncode == code, proc.stderr
        assert_no_leak(oss_env, CliResult(proc.returncode, proc.stdout, proc.stderr), url_on_stdout=code == 0)
    bad = run_subprocess(oss_env, "ls", oss_env.uri(""), extra_env={"ALIBABA_CLOUD_ACCESS_KEY_SECRET": "bad-bad-bad-1"})
    assert bad.returncode == 3
    assert "bad-bad-bad-1" not in bad.stdout + bad.stderr
