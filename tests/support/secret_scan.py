"""Leak scan: nothing the suite captured may contain a secret key, a session token or a signature.

A pytest plugin (registered in tests/conftest.py). It learns the secret values three ways: the
emulator's configured secret, credential-like environment variables set during each test, and every
request signature the in-process emulator verified (its verify functions are wrapped to harvest
the signature from the request they check). It collects every output pytest captured plus what
tests hand to :func:`record` (the CLI runner and subprocess tests do). When the session ends
(``pytest_sessionfinish``: after whatever tests were selected, ``-k`` included) it looks for those
values, and for any signed query string, in everything collected; a find fails the session (exit
status 1) with the list of where each one was. ``tests/test_secret_scan.py`` proves it can fail.
"""

from __future__ import annotations

import functools
import importlib
import os
import re
import sys
from collections.abc import Iterable, Mapping
from typing import Any

import pytest

SECRETS: set[str] = set()
SIGNATURES: set[str] = set()
CAPTURED: list[tuple[str, str]] = []  # (where, text)
_SECTIONS_SEEN: set[str] = set()
VERIFIED = [0]  # requests the wrapped verifiers checked (if some were, signatures must have been harvested)
UNWRAPPED: set[str] = set()  # VERIFIERS not found where named (moved in a refactoring: the harvest is blind)

# credentials a test puts in the environment; an identifier is not one (TENCENTCLOUD_SECRET_ID is
# COS's access key id, shown in consoles and logs like OSS's AccessKeyId)
SECRET_ENV = re.compile(r"(SECRET|TOKEN|PASSWORD)(?!_?ID$)", re.I)
AUTH_PATTERNS = (
    re.compile(r"Signature=([A-Za-z0-9+/=_-]{16,})"),
    re.compile(r"q-signature=([0-9a-fA-F]{16,})"),
    re.compile(r"^OSS [^:\s]+:(\S{16,})$"),
)
QUERY_KEYS = ("Signature", "x-oss-signature", "q-signature")
# a signed query string in output, whoever signed it (redacted values, ``***``, do not match)
SIGNED_QUERY = re.compile(r"(?i)[?&](?:Signature|x-oss-signature|q-signature)=([0-9A-Za-z%+/_-]{16,})")
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
        UNWRAPPED.add(f"{module_name}.{attr}")
        return
    original = getattr(module, attr, None)
    if original is None:
        UNWRAPPED.add(f"{module_name}.{attr}")
        return
    UNWRAPPED.discard(f"{module_name}.{attr}")
    if getattr(original, "_secret_scan", False):
        return

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        VERIFIED[0] += 1
        _harvest([*args, *kwargs.values()])
        return original(*args, **kwargs)

    wrapper._secret_scan = True  # type: ignore[attr-defined]
    setattr(module, attr, wrapper)


def leaks(texts: Iterable[tuple[str, str]], values: Iterable[str]) -> list[tuple[str, str]]:
    """(where, value) for every value found in a text, and for every signed query string. Values
    shorter than 8 characters are ignored."""
    needles = sorted({v for v in values if len(v) >= 8})
    found = []
    for where, text in texts:
        for needle in needles:
            if needle in text:
                found.append((where, needle))
        found.extend((where, m) for m in SIGNED_QUERY.findall(text) if m not in needles)
    return found


def problems() -> list[str]:
    """Why the session must fail (empty: nothing leaked)."""
    out = [f"{where}: {value[:6]}… leaked" for where, value in leaks(CAPTURED, SECRETS | SIGNATURES)]
    if VERIFIED[0] and not SIGNATURES:
        out.append(f"{VERIFIED[0]} signed requests were verified but no signature was harvested: the scan is blind")
    out.extend(f"{name} not found: no signature is harvested from it (update VERIFIERS)" for name in sorted(UNWRAPPED))
    return out


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
    # (a later phase's report repeats the sections of the earlier ones: each is taken once)
    for title, content in report.sections:
        where = f"{report.nodeid} [{title}]"
        if where not in _SECTIONS_SEEN:
            _SECTIONS_SEEN.add(where)
            record(content, where)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    found = problems()
    if not found:
        return
    if session.exitstatus == pytest.ExitCode.OK:  # a worse status (interrupted, internal error) stays
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    title = f"secret scan: {len(found)} leak(s) in captured output"
    if reporter is None:
        sys.stderr.write("\n".join([title, *found]) + "\n")
        return
    reporter.write_sep("=", title, red=True, bold=True)
    for line in found[:50]:
        reporter.write_line(line)
    if len(found) > 50:
        reporter.write_line(f"... and {len(found) - 50} more")
