"""Region -> endpoints (pure functions, no network). Redaction: tests/test_hygiene.py."""

from __future__ import annotations

import pytest

from mediaproc.config import Settings
from mediaproc.errors import ConfigError
from mediaproc.providers.oss.endpoints import resolve_endpoints


def test_public_internal_and_custom_endpoints() -> None:
    ep = resolve_endpoints(Settings(provider="oss", region="cn-shanghai"))
    assert ep.oss == "https://oss-cn-shanghai.aliyuncs.com"
    assert ep.imm_url == "https://imm.cn-shanghai.aliyuncs.com"
    ep = resolve_endpoints(Settings(provider="oss", region="cn-shanghai", internal=True))
    assert ep.oss == "https://oss-cn-shanghai-internal.aliyuncs.com"
    assert ep.imm_host == "imm-vpc.cn-shanghai.aliyuncs.com"
    ep = resolve_endpoints(Settings(provider="oss", region="cn-hangzhou", endpoint="http://127.0.0.1:9000",
                                    imm_endpoint="http://127.0.0.1:9000"))
    assert (ep.oss, ep.imm_host, ep.imm_protocol) == ("http://127.0.0.1:9000", "127.0.0.1:9000", "http")


def test_region_from_a_standard_endpoint_and_errors() -> None:
    ep = resolve_endpoints(Settings(provider="oss", endpoint="oss-ap-southeast-1-internal.aliyuncs.com"))
    assert ep.region == "ap-southeast-1" and ep.oss == "https://oss-ap-southeast-1-internal.aliyuncs.com"
    assert resolve_endpoints(Settings(provider="oss", region="oss-cn-beijing")).region == "cn-beijing"
    with pytest.raises(ConfigError) as info:
        resolve_endpoints(Settings(provider="oss"))
    assert "--region" in (info.value.hint or "")
    with pytest.raises(ConfigError):
        resolve_endpoints(Settings(provider="oss", region="Hangzhou!"))
