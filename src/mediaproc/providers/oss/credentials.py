"""Alibaba Cloud credentials: the ``alibabacloud-credentials`` default chain, shared by oss2 and IMM.

Why a wrapper: oss2 and the IMM client each want their own credentials-provider type, but both must
see the same identity, resolved once, lazily (``--help`` and ``doctor`` without credentials must not
fail) and refreshed by the chain when it is an STS/ECS-role credential. Failures become
:class:`~mediaproc.errors.CredentialsError` that say what to do and never carry a value.

The chain follows ``alibabacloud_credentials.provider.DefaultCredentialsProvider``, in its order:
the ``ALIBABA_CLOUD_ACCESS_KEY_ID`` / ``ALIBABA_CLOUD_ACCESS_KEY_SECRET`` (+ ``ALIBABA_CLOUD_SECURITY_TOKEN``)
environment variables, OIDC (``ALIBABA_CLOUD_OIDC_TOKEN_FILE`` + ``ALIBABA_CLOUD_ROLE_ARN`` +
``ALIBABA_CLOUD_OIDC_PROVIDER_ARN``), the Aliyun CLI profile (``~/.aliyun/config.json``), the
credentials file (``~/.alibabacloud/credentials.ini``), the ECS RAM role (metadata service, unless
``ALIBABA_CLOUD_ECS_METADATA_DISABLED=true``) and a credentials URI (``ALIBABA_CLOUD_CREDENTIALS_URI``).
It is assembled here from the SDK's own providers because the SDK's default chain snapshots the
environment when it is imported: we read the switches at call time, so a process (or a test) that
changes its environment later is still honoured. The ECS provider runs without its background
refresh thread (a CLI process is short-lived; it refreshes on demand).
"""

from __future__ import annotations

import os
import threading
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from mediaproc.errors import CredentialsError
from mediaproc.hygiene import remember_secret
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
        self._chain: list[Any] | None = None
        self._last: Any = None

    def _from_env(self) -> Identity | None:
        ak = os.environ.get(ENV_ID, "").strip()
        sk = os.environ.get(ENV_SECRET, "").strip()
        if ak and sk:
            token = os.environ.get(ENV_TOKEN) or None
            remember_secret(sk)
            remember_secret(token)
            return Identity(ak, sk, token, "env")
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
        cred = self._from_chain()
        ak = cred.get_access_key_id() or ""
        sk = cred.get_access_key_secret() or ""
        if not ak or not sk:
            raise CredentialsError(
                _("the credentials found are incomplete (no AccessKey id or secret)"),
                hint=NO_CREDENTIALS_HINT,
                code="IncompleteCredentials",
            )
        token = cred.get_security_token() or None
        remember_secret(sk)
        remember_secret(token)
        return Identity(ak, sk, token, cred.get_provider_name() or "default")

    def _providers(self) -> list[Any]:
        """The default chain after the environment step, built from the SDK's providers."""
        from alibabacloud_credentials import provider as p

        env = os.environ
        out: list[Any] = []

        def add(factory: Any) -> None:
            with suppress(Exception):  # a provider that cannot even be configured is simply absent
                out.append(factory())

        if all(env.get(v) for v in ("ALIBABA_CLOUD_OIDC_TOKEN_FILE", "ALIBABA_CLOUD_ROLE_ARN",
                                     "ALIBABA_CLOUD_OIDC_PROVIDER_ARN")):
            add(lambda: p.OIDCRoleArnCredentialsProvider(
                role_arn=env["ALIBABA_CLOUD_ROLE_ARN"],
                oidc_provider_arn=env["ALIBABA_CLOUD_OIDC_PROVIDER_ARN"],
                oidc_token_file_path=env["ALIBABA_CLOUD_OIDC_TOKEN_FILE"],
            ))
        if env.get("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "").lower() != "true":
            home = env.get("HOME") or os.path.expanduser("~")
            add(lambda: p.CLIProfileCredentialsProvider(
                profile_file=os.path.join(home, ".aliyun", "config.json"),
                profile_name=env.get("ALIBABA_CLOUD_PROFILE") or None,
            ))
        if env.get("ALIBABA_CLOUD_CREDENTIALS_FILE") or os.path.isfile(
            os.path.join(env.get("HOME") or os.path.expanduser("~"), ".alibabacloud", "credentials.ini")
        ):
            add(lambda: p.ProfileCredentialsProvider(
                profile_file=env.get("ALIBABA_CLOUD_CREDENTIALS_FILE") or None,
                profile_name=env.get("ALIBABA_CLOUD_PROFILE") or None,
            ))
        if env.get("ALIBABA_CLOUD_ECS_METADATA_DISABLED", "").lower() != "true":
            add(lambda: p.EcsRamRoleCredentialsProvider(
                role_name=env.get("ALIBABA_CLOUD_ECS_METADATA") or None, async_update_enabled=False
            ))
        if env.get("ALIBABA_CLOUD_CREDENTIALS_URI"):
            add(lambda: p.URLCredentialsProvider(uri=env["ALIBABA_CLOUD_CREDENTIALS_URI"]))
        return out

    def _from_chain(self) -> Any:
        with self._lock:
            if self._chain is None:
                self._chain = self._providers()
            chain = list(self._chain)
            last = self._last
        for provider in ([last] if last is not None else []) + [c for c in chain if c is not last]:
            try:
                cred = provider.get_credentials()
            except Exception:  # each failure is one "not here"; the summary below says what to do
                continue
            if cred is not None:
                with self._lock:
                    self._last = provider
                return cred
        raise CredentialsError(
            _("no Alibaba Cloud credentials were found"),
            hint=NO_CREDENTIALS_HINT,
            code="NoCredentials",
        )

    def describe(self) -> str:
        """Where the credential comes from (never its value); raises CredentialsError if none."""
        return self.get().source


def oss2_provider(source: CredentialSource) -> Any:
    """An ``oss2.credentials.CredentialsProvider`` over ``source`` (asked on every request)."""
    import oss2.credentials

    class _Provider(oss2.credentials.CredentialsProvider):
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

    class _Provider(ICredentialsProvider):
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
