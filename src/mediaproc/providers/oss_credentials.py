"""Alibaba Cloud credentials: the ``alibabacloud-credentials`` default chain, shared by oss2 and IMM.

Why a wrapper: oss2 and the IMM client each want their own credentials-provider type, but both must
see the same identity, resolved once, lazily (``--help`` and ``doctor`` without credentials must not
fail) and refreshed by the chain when it is an STS/ECS-role credential. Failures become
:class:`~mediaproc.errors.CredentialsError` that say what to do and never carry a value.

The chain (``alibabacloud_credentials.provider.DefaultCredentialsProvider``) tries, in order: the
``ALIBABA_CLOUD_ACCESS_KEY_ID`` / ``ALIBABA_CLOUD_ACCESS_KEY_SECRET`` (+ ``ALIBABA_CLOUD_SECURITY_TOKEN``)
environment variables, OIDC (``ALIBABA_CLOUD_OIDC_*``), the Aliyun CLI profile
(``~/.aliyun/config.json``), the credentials file, the ECS RAM role, and a credentials URI. The SDK
reads the environment variables once, when it is imported; we read them at call time first (same
names, same precedence) so a process that sets them later still works.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any

from mediaproc.errors import CredentialsError
from mediaproc.i18n import _

ENV_ID = "ALIBABA_CLOUD_ACCESS_KEY_ID"
ENV_SECRET = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
ENV_TOKEN = "ALIBABA_CLOUD_SECURITY_TOKEN"

NO_CREDENTIALS_HINT = _(
    "set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, run `aliyun configure`, "
    "or run on ECS with a RAM role; `mediaproc doctor` shows what was found"
)


@dataclass(frozen=True)
class Identity:
    """One resolved credential. ``repr`` hides the secret and the token."""

    access_key_id: str
    access_key_secret: str
    security_token: str | None
    source: str  # "env", "default/cli_profile", "default/ecs_ram_role", ...

    def __repr__(self) -> str:
        return f"Identity(source={self.source!r}, access_key_id=<{len(self.access_key_id)} chars>)"

    __str__ = __repr__


class CredentialSource:
    """Resolves the identity on first use and asks the chain again on each call (it caches itself)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._chain: Any = None

    def _from_env(self) -> Identity | None:
        ak = os.environ.get(ENV_ID, "").strip()
        sk = os.environ.get(ENV_SECRET, "").strip()
        if ak and sk:
            return Identity(ak, sk, os.environ.get(ENV_TOKEN) or None, "env")
        if ak or sk:
            missing = ENV_SECRET if ak else ENV_ID
            raise CredentialsError(
                _("{name} is not set, but its partner variable is").format(name=missing),
                hint=_("set both ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or neither"),
                code="IncompleteCredentials",
            )
        return None

    def get(self) -> Identity:
        found = self._from_env()
        if found is not None:
            return found
        with self._lock:
            if self._chain is None:
                from alibabacloud_credentials.provider import DefaultCredentialsProvider

                self._chain = DefaultCredentialsProvider()
            chain = self._chain
        try:
            cred = chain.get_credentials()
        except Exception:  # the chain raises CredentialException listing every provider's failure
            raise CredentialsError(
                _("no Alibaba Cloud credentials were found"),
                hint=NO_CREDENTIALS_HINT,
                code="NoCredentials",
            ) from None
        ak = cred.get_access_key_id() or ""
        sk = cred.get_access_key_secret() or ""
        if not ak or not sk:
            raise CredentialsError(
                _("the credentials found are incomplete (no AccessKey id or secret)"),
                hint=NO_CREDENTIALS_HINT,
                code="IncompleteCredentials",
            )
        return Identity(ak, sk, cred.get_security_token() or None, cred.get_provider_name() or "default")

    def describe(self) -> str:
        """Where the credential comes from (never its value); raises CredentialsError if none."""
        return self.get().source


def oss2_provider(source: CredentialSource) -> Any:
    """An ``oss2.credentials.CredentialsProvider`` over ``source`` (asked on every request)."""
    import oss2.credentials

    class _Provider(oss2.credentials.CredentialsProvider):  # type: ignore[misc]
        def get_credentials(self) -> Any:
            ident = source.get()
            return oss2.credentials.Credentials(
                ident.access_key_id, ident.access_key_secret, ident.security_token or ""
            )

    return _Provider()


def imm_credential_client(source: CredentialSource) -> Any:
    """An ``alibabacloud_credentials.client.Client`` over ``source``, for the IMM client's Config."""
    from alibabacloud_credentials.client import Client
    from alibabacloud_credentials.provider.refreshable import Credentials
    from alibabacloud_credentials_api import ICredentialsProvider

    class _Provider(ICredentialsProvider):  # type: ignore[misc]
        def get_credentials(self) -> Any:
            ident = source.get()
            return Credentials(
                access_key_id=ident.access_key_id,
                access_key_secret=ident.access_key_secret,
                security_token=ident.security_token,
                provider_name=ident.source,
            )

        async def get_credentials_async(self) -> Any:
            return self.get_credentials()

        def get_provider_name(self) -> str:
            return "mediaproc"

    return Client(provider=_Provider())
