"""Where the OSS and IMM requests go, decided from the settings alone (no SDK, no I/O).

OSS endpoints are regional: ``oss-<region>.aliyuncs.com`` on the internet and
``oss-<region>-internal.aliyuncs.com`` inside the region's VPC (no internet egress), or whatever
``--endpoint`` names (a CNAME, an accelerate domain, or ``http://127.0.0.1:9000`` for
``mediaproc serve``). IMM is RPC-style at ``imm.<region>.aliyuncs.com`` (``imm-vpc.<region>...`` with ``--internal``,
the IMM SDK's endpoint rule for the ``vpc`` network). V4 signing needs the region
even with a custom endpoint, so the region is read back from a standard endpoint when it is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlparse

from mediaproc.config import Settings
from mediaproc.errors import ConfigError
from mediaproc.i18n import _

_REGION = re.compile(r"^[a-z]{2,}(-[a-z0-9]+)+$")
_OSS_HOST = re.compile(r"^(?:[a-z0-9-]+\.)?oss-([a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com$")
_LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


@dataclass(frozen=True)
class Endpoints:
    region: str
    oss: str  # full URL with scheme, as oss2 wants it
    imm_host: str  # host[:port], as the IMM client wants it
    imm_protocol: str  # "https" | "http"
    custom_oss: bool  # --endpoint was given

    @property
    def imm_url(self) -> str:
        return f"{self.imm_protocol}://{self.imm_host}"


def _with_scheme(endpoint: str) -> str:
    endpoint = endpoint.strip().rstrip("/")
    if "://" not in endpoint:
        endpoint = "https://" + endpoint
    return endpoint


def region_from_endpoint(endpoint: str) -> str | None:
    host = urlparse(_with_scheme(endpoint)).hostname or ""
    m = _OSS_HOST.match(host)
    return m.group(1) if m else None


def is_loopback(url: str) -> bool:
    host = urlparse(_with_scheme(url)).hostname or ""
    return host in _LOOPBACK


def resolve_endpoints(settings: Settings) -> Endpoints:
    """Build the endpoints; a missing or malformed region is a configuration error (exit 3)."""
    region = settings.region or (region_from_endpoint(settings.endpoint) if settings.endpoint else None)
    if not region:
        raise ConfigError(
            _("no region is configured for OSS"),
            hint=_(
                "pass --region (e.g. cn-hangzhou), set MEDIAPROC_REGION or ALIBABA_CLOUD_OSS_REGION, "
                "or save it in a profile with `mediaproc config set region cn-hangzhou`"
            ),
        )
    region = region.strip()
    if region.startswith("oss-"):  # a common slip: the endpoint prefix instead of the region id
        region = region[4:]
    if not _REGION.match(region):
        raise ConfigError(
            _("{region!r} is not a region id").format(region=region),
            hint=_("region ids look like cn-hangzhou, cn-shanghai, ap-southeast-1"),
        )
    if settings.endpoint:
        oss = _with_scheme(settings.endpoint)
        custom = True
    else:
        suffix = "-internal" if settings.internal else ""
        oss = f"https://oss-{region}{suffix}.aliyuncs.com"
        custom = False
    if settings.imm_endpoint:
        parsed = urlparse(_with_scheme(settings.imm_endpoint))
        imm_host = parsed.netloc
        imm_protocol = parsed.scheme or "https"
    else:
        # the SDK's own endpoint rule: <product>[-<network>].<region>.aliyuncs.com
        imm_host = f"imm-vpc.{region}.aliyuncs.com" if settings.internal else f"imm.{region}.aliyuncs.com"
        imm_protocol = "https"
    return Endpoints(region=region, oss=oss, imm_host=imm_host, imm_protocol=imm_protocol, custom_oss=custom)
