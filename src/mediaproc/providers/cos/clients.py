"""The qcloud_cos clients of the COS provider, and how every call through them is made.

Two clients over one configuration: the ordinary one retries (``retry=3``), the job client never
does (``retry=0``: a second attempt could create a second media job). Every SDK error becomes a
:mod:`mediaproc.errors` class in :meth:`CosClients._call`. The SDK's logger is silenced (it logs the
Authorization header and derived signing keys at DEBUG); with ``--debug`` it logs, every record
redacted (:func:`mediaproc.sdklogs.silence_sdk_logs`). The other layers of the provider build on this
class.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qcloud_cos import CosConfig, CosS3Client
from qcloud_cos.cos_exception import CosClientError, CosServiceError

from mediaproc.errors import ConfigError, UsageError
from mediaproc.hygiene import redact
from mediaproc.i18n import _
from mediaproc.location import Location
from mediaproc.providers.base import Provider
from mediaproc.providers.cos.config import config_kwargs, credentials_from_env, require_region
from mediaproc.providers.cos.errors import translate
from mediaproc.sdklogs import silence_sdk_logs


class CosClients(Provider):
    """The SDK clients and the call policy that every layer of the COS provider shares."""

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self._client: Any = None
        self._job_client: Any = None
        self._region: str | None = None
        self._token: str | None = None
        self._ip_mode = False

    # -- setup ------------------------------------------------------------------------------------
    def _setup(self) -> None:
        if self._client is not None:
            return
        silence_sdk_logs(bool(self.settings.debug))
        creds = credentials_from_env()
        region = require_region(self.settings)
        try:
            conf = CosConfig(**config_kwargs(self.settings, creds, region))  # secrets: never log it
        except CosClientError as exc:
            raise ConfigError(
                _("invalid COS configuration: {reason}").format(reason=redact(str(exc))),
                hint=_("check --region, --endpoint and the credential variables"),
            ) from None
        kwargs = config_kwargs(self.settings, creds, region)
        self._ip_mode = "IP" in kwargs
        self._region = region
        self._token = creds.token
        self._client = CosS3Client(conf, retry=3)
        self._job_client = CosS3Client(conf, retry=0)  # job submission: exactly once

    @property
    def client(self) -> Any:
        self._setup()
        return self._client

    @property
    def region(self) -> str:
        self._setup()
        assert self._region is not None
        return self._region

    def _call(self, action: str, fn: Callable[..., Any], *args: Any, target: str = "", **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (CosServiceError, CosClientError) as exc:
            raise translate(exc, action=action, target=target) from None

    def _bucket_of(self, loc: Location) -> tuple[str, str]:
        if loc.scheme != "cos" or not loc.bucket:
            raise UsageError(
                _("{location} is not a cos:// object").format(location=loc),
                hint=_("write cos://BUCKET-APPID/KEY"),
            )
        return loc.bucket, loc.key or ""

    def _wrap(self, action: str, fn: Callable[..., Any], **kwargs: Any) -> Any:
        return self._call(action, fn, **kwargs)

    def close(self) -> None:
        self._client = None
        self._job_client = None
