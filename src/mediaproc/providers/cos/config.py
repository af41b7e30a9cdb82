"""Where COS credentials, region and endpoint come from, and the ``CosConfig`` they make.

Credentials (DESIGN.md "Configuration and credentials"), first complete pair wins:

- ``TENCENTCLOUD_SECRET_ID`` / ``TENCENTCLOUD_SECRET_KEY`` (+ ``TENCENTCLOUD_SESSION_TOKEN``), the
  names the Tencent Cloud CLI and SDKs use;
- ``COS_SECRET_ID`` / ``COS_SECRET_KEY`` (+ ``COS_SESSION_TOKEN`` or ``COS_TOKEN``).

An STS token is passed to ``CosConfig`` as ``Token=``: the SDK sends it as
``x-cos-security-token`` (``x-ci-security-token`` on CI calls). A ``CredentialInstance`` is never
used - the SDK reads only its id and key when signing and drops the token (SPEC.md §6).

Region: ``--region``/``MEDIAPROC_REGION``/profile, else ``COS_REGION`` or ``TENCENTCLOUD_REGION``.
A region that came from ``ALIBABA_CLOUD_OSS_REGION`` names an OSS region and is ignored here.

Endpoint: ``--endpoint http://127.0.0.1:9000`` (an IP or ``localhost``) becomes
``CosConfig(IP=..., Port=..., Scheme=...)``: the SDK then sends COS and CI calls alike to that
address with ``Host: <bucket>.cos.<region>.myqcloud.com`` (what ``mediaproc serve`` routes on);
any other host is a custom ``Endpoint=`` (``cos.<region>.myqcloud.com``-style, needs DNS).
``--internal`` changes nothing on COS: the public ``cos.<region>.myqcloud.com`` names already
resolve to the private network from inside Tencent Cloud.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from mediaproc.config import Settings, cos_region
from mediaproc.errors import ConfigError, CredentialsError
from mediaproc.hygiene import remember_secret
from mediaproc.i18n import _

ID_VARS = ("TENCENTCLOUD_SECRET_ID", "COS_SECRET_ID")
KEY_VARS = ("TENCENTCLOUD_SECRET_KEY", "COS_SECRET_KEY")
TOKEN_VARS = {
    "TENCENTCLOUD_SECRET_ID": ("TENCENTCLOUD_SESSION_TOKEN",),
    "COS_SECRET_ID": ("COS_SESSION_TOKEN", "COS_TOKEN"),
}


@dataclass(frozen=True)
class CosCredentials:
    secret_id: str
    secret_key: str
    token: str | None
    source: str  # the variable names they came from (never the values)

    def __repr__(self) -> str:  # never show a secret in a traceback or log
        return f"CosCredentials(source={self.source!r}, token={'set' if self.token else 'unset'})"


def credentials_from_env(env: Mapping[str, str] | None = None) -> CosCredentials:
    env = os.environ if env is None else env
    for id_var, key_var in zip(ID_VARS, KEY_VARS, strict=True):
        sid, skey = env.get(id_var, "").strip(), env.get(key_var, "").strip()
        if sid and skey:
            token = next((env[v].strip() for v in TOKEN_VARS[id_var] if env.get(v, "").strip()), None)
            remember_secret(skey)
            remember_secret(token)
            return CosCredentials(sid, skey, token, f"{id_var}/{key_var}")
        if sid or skey:
            missing = key_var if sid else id_var
            raise CredentialsError(
                _("{missing} is not set (its pair {have} is)").format(missing=missing, have=id_var if sid else key_var),
                hint=_("export both {a} and {b}").format(a=id_var, b=key_var),
            )
    raise CredentialsError(
        _("no Tencent Cloud credentials found for the cos provider"),
        hint=_(
            "export TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY (and TENCENTCLOUD_SESSION_TOKEN for STS "
            "keys), or COS_SECRET_ID and COS_SECRET_KEY"
        ),
    )


def require_region(settings: Settings, env: Mapping[str, str] | None = None) -> str:
    region = cos_region(settings, env)
    if not region:
        raise ConfigError(
            _("no COS region is configured"),
            hint=_("pass --region ap-guangzhou (or set MEDIAPROC_REGION or COS_REGION)"),
        )
    return region


def _is_local_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def config_kwargs(settings: Settings, creds: CosCredentials, region: str) -> dict[str, Any]:
    """Keyword arguments for ``qcloud_cos.CosConfig`` (secrets included: never log this dict)."""
    kwargs: dict[str, Any] = {
        "Region": region,
        "SecretId": creds.secret_id,
        "SecretKey": creds.secret_key,
        "Token": creds.token,
        "Scheme": "https",
        "Timeout": settings.request_timeout or 60,
    }
    endpoint = (settings.endpoint or "").strip()
    if endpoint:
        parts = urlsplit(endpoint if "://" in endpoint else f"https://{endpoint}")
        host = parts.hostname or ""
        if parts.scheme not in ("http", "https") or not host:
            raise ConfigError(
                _("--endpoint {endpoint!r} is not a URL").format(endpoint=endpoint),
                hint=_("e.g. --endpoint http://127.0.0.1:9000 (mediaproc serve) or cos.ap-guangzhou.myqcloud.com"),
            )
        kwargs["Scheme"] = parts.scheme
        if _is_local_host(host):
            kwargs["IP"] = host
            kwargs["Port"] = parts.port or (80 if parts.scheme == "http" else 443)
        else:
            kwargs["Endpoint"] = host + (f":{parts.port}" if parts.port else "")
    return kwargs
