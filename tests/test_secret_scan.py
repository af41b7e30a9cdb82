"""The leak scan (support/secret_scan.py) finds a leak, and fails the session for it, whichever tests ran."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from support import secret_scan

TESTS = Path(__file__).resolve().parent
FAKE_SECRET = "fake-secret-value-0123456789"

LEAKY_SUITE = f'''
import os


def test_prints_a_secret(monkeypatch):
    monkeypatch.setenv("FAKE_SERVICE_SECRET", "{FAKE_SECRET}")  # a credential-like variable: a secret
    print("the token is", os.environ["FAKE_SERVICE_SECRET"])


def test_prints_a_signed_url():
    print("http://127.0.0.1/k?x-oss-signature=0123456789abcdef0123456789abcdef&x-oss-date=20240101T000000Z")


def test_prints_nothing_secret():
    print("resized 1 image")
'''


def test_scanner_finds_a_planted_leak() -> None:
    found = secret_scan.leaks([("planted", "Authorization: OSS ak:abcdefgh12345678XYZ=")], ["abcdefgh12345678XYZ="])
    assert found == [("planted", "abcdefgh12345678XYZ=")]
    secret_scan._harvest([{"Authorization": "OSS4-HMAC-SHA256 Credential=x,Signature=" + "ab" * 32}])
    assert "ab" * 32 in secret_scan.SIGNATURES
    redacted = "https://b.oss/k?x-oss-signature=***&x-oss-credential=***"
    assert secret_scan.leaks([("redacted", redacted)], []) == []


def test_a_verifier_that_moved_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secret_scan, "UNWRAPPED", set())  # this session's own list stays as it is
    secret_scan._wrap("mediaproc.emulator.cos.auth", "no_such_verifier")
    secret_scan._wrap("mediaproc.emulator.no_such_module", "verify")
    assert [p for p in secret_scan.problems() if "VERIFIERS" in p] == [
        "mediaproc.emulator.cos.auth.no_such_verifier not found: no signature is harvested from it (update VERIFIERS)",
        "mediaproc.emulator.no_such_module.verify not found: no signature is harvested from it (update VERIFIERS)",
    ]


def _run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *args: str) -> pytest.RunResult:
    """The tiny suite in a child pytest with the scan plugin (a child: the scan's state is per process)."""
    pytester.makepyfile(test_tiny=LEAKY_SUITE)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(p for p in (str(TESTS), os.environ.get("PYTHONPATH", "")) if p))
    return pytester.runpytest_subprocess("-p", "support.secret_scan", "-p", "no:cacheprovider", *args)


@pytest.mark.parametrize(
    ("args", "passed", "leaks"),
    [
        ((), 3, ["test_tiny.py::test_prints_a_secret [[]Captured stdout call[]]: fake-s… leaked",
                 "test_tiny.py::test_prints_a_signed_url [[]Captured stdout call[]]: 012345… leaked"]),
        (("-k", "prints_a_secret"), 1, ["test_tiny.py::test_prints_a_secret *: fake-s… leaked"]),
    ],
)
def test_a_leak_fails_the_session(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                                  args: tuple[str, ...], passed: int, leaks: list[str]) -> None:
    result = _run(pytester, monkeypatch, *args)
    result.assert_outcomes(passed=passed)  # every test passed, and yet:
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([f"*= secret scan: {len(leaks)} leak(s) in captured output =*", *leaks])
    assert FAKE_SECRET not in result.stdout.str() + result.stderr.str()  # the report names, never shows


def test_a_clean_session_passes(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    result = _run(pytester, monkeypatch, "-k", "nothing_secret")
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.no_fnmatch_line("*secret scan*")
