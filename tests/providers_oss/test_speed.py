"""The SDK speed-ups change no result: shared CRC tables give oss2's own CRC-64 values, and a client
resolves its proxies once, honouring NO_PROXY for its endpoint."""

from __future__ import annotations

import os

import crcmod
import pytest
import requests


def test_shared_crc_tables_match_a_freshly_built_crc() -> None:
    import oss2.utils as utils

    from mediaproc.providers.oss.speed import install_shared_crc_tables

    install_shared_crc_tables()
    data = os.urandom(100_000)
    reference = crcmod.Crc(utils.Crc64._POLY, initCrc=0, rev=True, xorOut=utils.Crc64._XOROUT)
    reference.update(data)
    for _ in range(3):  # fresh state every time, never carried over between instances
        crc = utils.Crc64(0)
        crc.update(data)
        assert crc.crc == reference.crcValue
    a, b = utils.Crc64(0), utils.Crc64(0)
    a.update(data[:40_000])
    b.update(data[40_000:])
    assert a.combine(a.crc, b.crc, 60_000) == reference.crcValue
    resumed = utils.Crc64(a.crc)  # a resumed download's initial value takes the uncached path
    resumed.update(data[40_000:])
    assert resumed.crc == reference.crcValue


def test_proxies_are_resolved_once_for_the_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    from mediaproc.providers.oss.speed import resolve_proxies_once

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    local = requests.Session()
    resolve_proxies_once(local, "http://127.0.0.1:9000")
    assert local.trust_env is False and not local.proxies  # NO_PROXY covers the emulator
    assert local.verify == "/etc/ssl/certs/ca-certificates.crt"
    remote = requests.Session()
    resolve_proxies_once(remote, "https://oss-cn-hangzhou.aliyuncs.com")
    assert remote.proxies.get("https") == "http://proxy.invalid:3128"
