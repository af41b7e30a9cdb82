"""Leak scan: nothing the suite captured may contain a secret key, a session token or a signature.

A pytest plugin (registered in tests/conftest.py). It learns the secret values three ways: the
emulator's configured secret, credential-like environment variables set during each test, and every
request signature the in-process emulator verified (its verify functions are wrapped to harvest
the signature from the request they check). It collects every output pytest captured plus what
tests hand to :func:`record` (the CLI fixture and subprocess tests do), and the last test of the
session (``tests/test_zz_secret_scan.py``) asserts that no value appears anywhere.
"""

from __future__ import annotations

import functools
import importlib
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pytest

SECRETS: set[str] = set()
SIGNATURES: set[str] = set()
CAPTURED: list[tuple[str, str]] = []  # (where, text)
SCAN_TEST = "test_zz_secret_scan.py"

SECRET_ENV = re.compile(r"(SECRET|TOKEN|PASSWORD)", re.I)
AUTH_PATTERNS = (
    re.compile(r"Signature=([A-Za-z0-9+/=_-]{16,})"),
    re.compile(r"q-signature=([0-9a-fA-F]{16,})"),
    re.compile(r"^OSS [^:\s]+:(\S{16,})$"),
)
QUERY_KEYS = ("Signature", "x-oss-signature", "q-signature")
VERIFIERS = (
    ("mediaproc.emulator.oss.front", "verify_oss"),
    ("mediaproc.emulator.imm.front", "verify_acs3"),
    ("mediaproc.emulator.cos.auth", "verify"),
)


def record(text: str | bytes | None, where: str = "") -> None:
    if not text:
        return
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    CAPTURED.append((where, text))


def register_secret(value: str | None) -> None:
    if value and len(value) >= 8:
        SECRETS.add(value)


def _harvest(values: Iterable[Any]) -> None:
    for value in values:
        if isinstance(value, Mapping):
            items = list(value.items())
        elif isinstance(value, (list, tuple)) and all(isinstance(x, tuple) and len(x) == 2 for x in value):
            items = list(value)
        else:
            continue
        for k, v in items:
            if not isinstance(k, str) or not isinstance(v, str):
                continue
            if k.lower() == "authorization":
                for pattern in AUTH_PATTERNS:
                    SIGNATURES.update(m for m in pattern.findall(v) if len(m) >= 16)
            elif k in QUERY_KEYS and len(v) >= 16:
                SIGNATURES.add(v)


def _wrap(module_name: str, attr: str) -> None:
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return
    original = getattr(module, attr, None)
    if original is None or getattr(original, "_secret_scan", False):
        return

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        _harvest([*args, *kwargs.values()])
        return original(*args, **kwargs)

    wrapper._secret_scan = True  # type: ignore[attr-defined]
    setattr(module, attr, wrapper)


def leaks(texts: Iterable[tuple[str, str]], values: Iterable[str]) -> list[tuple[str, str]]:
    """(where, value) for every value found in a text. Values shorter than 8 characters are ignored."""
    needles = sorted({v for v in values if len(v) >= 8})
    found = []
    for where, text in texts:
        for needle in needles:
            if needle in text:
                found.append((where, needle))
    return found


def pytest_configure(config: pytest.Config) -> None:
    from support.emulator import ACCESS_KEY_SECRET

    register_secret(ACCESS_KEY_SECRET)
    for module_name, attr in VERIFIERS:
        _wrap(module_name, attr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    # wrapped late too: an emulator module first imported by a test is wrapped before its next use
    for module_name, attr in VERIFIERS:
        _wrap(module_name, attr)
    yield
    for name, value in os.environ.items():  # credentials a test put in the environment
        if SECRET_ENV.search(name):
            register_secret(value)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # captured stdout/stderr/log of the tool; not pytest's own failure reports, which print fixture
    # values (the emulator fixture's repr holds the test secret) and are not the tool's output
    for title, content in report.sections:
        record(content, f"{report.nodeid} [{title}]")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    scans = [i for i in items if i.path.name == SCAN_TEST]
    items[:] = [i for i in items if i.path.name != SCAN_TEST] + scans
