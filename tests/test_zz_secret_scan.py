"""Runs last (see support/secret_scan.py): no secret, token or signature in anything the suite captured."""

from __future__ import annotations

import pytest

from support import secret_scan


def test_scanner_finds_a_planted_leak() -> None:
    found = secret_scan.leaks([("planted", "Authorization: OSS ak:abcdefgh12345678XYZ=")], ["abcdefgh12345678XYZ="])
    assert found == [("planted", "abcdefgh12345678XYZ=")]
    secret_scan._harvest([{"Authorization": "OSS4-HMAC-SHA256 Credential=x,Signature=" + "ab" * 32}])
    assert "ab" * 32 in secret_scan.SIGNATURES


def test_no_secret_in_captured_output(request: pytest.FixtureRequest) -> None:
    if request.session.testscollected < 200:
        pytest.skip("the leak scan is meaningful only after the whole suite ran")
    assert secret_scan.SIGNATURES, "no signature was harvested: the emulator tests did not run in-process"
    assert secret_scan.CAPTURED, "nothing was captured"
    values = secret_scan.SECRETS | secret_scan.SIGNATURES
    found = secret_scan.leaks(secret_scan.CAPTURED, values)
    assert not found, "secret values in captured output: " + "; ".join(f"{w}: {v[:6]}…" for w, v in found[:10])
