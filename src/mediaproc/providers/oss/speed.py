"""Two CPU costs oss2 and requests pay on every request, removed without changing behaviour.

Measured on a 200-object batch (yappi, client side): requests re-reads the whole environment for
proxy settings on each request (~25 % of the client's CPU), and oss2's ``Crc64`` rebuilds crcmod's
256-entry table and a combine function in pure Python on each construction, several times per
request (~16 %). Every request of a client goes to one endpoint, so its proxy answer is resolved
once; the CRC table depends only on the polynomial and initial value, so it is built once.
"""

from __future__ import annotations

import os
import threading
from typing import Any

_installed = False
_lock = threading.Lock()


def install_shared_crc_tables() -> None:
    """Make ``oss2.utils.Crc64`` copy a prebuilt table (crcmod's ``Crc.new``) instead of building one."""
    global _installed
    with _lock:
        if _installed:
            return
        import crcmod
        import oss2.utils as utils
        from oss2.crc64_combine import mkCombineFun

        base = utils.Crc64
        templates: dict[int, tuple[Any, Any]] = {}

        class SharedTableCrc64(base):  # type: ignore[misc, valid-type]
            def __init__(self, init_crc: int = 0) -> None:
                if init_crc != 0:  # resumed transfers pass arbitrary values: keep those uncached
                    super().__init__(init_crc)
                    return
                template = templates.get(0)
                if template is None:
                    template = (
                        crcmod.Crc(self._POLY, initCrc=0, rev=True, xorOut=self._XOROUT),
                        mkCombineFun(self._POLY, initCrc=0, rev=True, xorOut=self._XOROUT),
                    )
                    templates[0] = template
                self.crc64 = template[0].new()
                self.crc64_combineFun = template[1]

        utils.Crc64 = SharedTableCrc64
        _installed = True


def resolve_proxies_once(session: Any, endpoint: str) -> None:
    """Give a requests session its proxy settings for ``endpoint`` now, and stop it re-reading the
    environment per request. The CA bundle variables requests honours keep working."""
    import requests.utils

    proxies = requests.utils.get_environ_proxies(endpoint)  # honours NO_PROXY for this endpoint
    ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    session.trust_env = False
    session.proxies.update(proxies)
    if ca_bundle:
        session.verify = ca_bundle
