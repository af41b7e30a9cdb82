"""The clients every OSS request goes through, and the rules for calling them.

One ``oss2.Bucket`` per bucket name over a shared session (V4 signing over the credential chain),
one IMM client, and :meth:`OssClients._call`: the single place that retries idempotent calls and
turns every SDK error into a :mod:`mediaproc.errors` class. The IMM project bound to a bucket is
looked up once per bucket per process. The SDK loggers are silenced unless ``--debug`` and redacted
even then (:func:`mediaproc.sdklogs.silence_sdk_logs`). The object, staging and processing layers of
the provider build on this base class; it is separate so that each of them can be read against one
small, stable core.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import suppress
from typing import Any

import oss2
import oss2.exceptions as oe

from mediaproc.config import Settings
from mediaproc.errors import MediaprocError, UsageError, bucket_not_bound
from mediaproc.i18n import _
from mediaproc.providers.base import Provider
from mediaproc.providers.oss.credentials import CredentialSource, oss2_provider
from mediaproc.providers.oss.endpoints import Endpoints, resolve_endpoints
from mediaproc.providers.oss.errors import is_retryable_oss, map_oss_error, retry_call
from mediaproc.providers.oss.imm import Imm
from mediaproc.providers.oss.speed import install_shared_crc_tables, resolve_proxies_once
from mediaproc.sdklogs import silence_sdk_logs

install_shared_crc_tables()

CONNECT_TIMEOUT = 10.0  # seconds to open a connection
READ_TIMEOUT = 120.0  # seconds between bytes (sync processing of a large image can take a while)
# bucket -> bound IMM project (None: not bound); one lookup per bucket per process
_PROJECT_CACHE: dict[tuple[str, str], str | None] = {}
_PROJECT_LOCK = threading.Lock()


class OssClients(Provider):
    """The SDK clients and the call policy that every layer of the OSS provider shares."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        silence_sdk_logs(settings.debug)
        self.credentials = CredentialSource()
        self._endpoints: Endpoints | None = None
        self._session: Any = None
        self._buckets: dict[str, Any] = {}
        self._imm: Imm | None = None
        self._lock = threading.Lock()

    # -- clients ------------------------------------------------------------------------------
    @property
    def endpoints(self) -> Endpoints:
        if self._endpoints is None:
            self._endpoints = resolve_endpoints(self.settings)
        return self._endpoints

    @property
    def imm(self) -> Imm:
        if self._imm is None:
            self._imm = Imm(self.endpoints, self.credentials)
        return self._imm

    def bucket(self, name: str | None) -> Any:
        """An ``oss2.Bucket`` with V4 signing over the credential chain (one per bucket name)."""
        if not name:
            raise UsageError(
                _("no bucket given"), hint=_("write oss://BUCKET/KEY, or set a default with --bucket")
            )
        with self._lock:
            if name not in self._buckets:
                ep = self.endpoints
                if self._session is None:
                    self._session = oss2.Session(pool_size=max(4, self._threads() * 2))
                    resolve_proxies_once(self._session.session, ep.oss)
                auth = oss2.ProviderAuthV4(oss2_provider(self.credentials))
                try:
                    self._buckets[name] = oss2.Bucket(
                        auth,
                        ep.oss,
                        name,
                        session=self._session,
                        connect_timeout=(CONNECT_TIMEOUT, self._read_timeout()),
                        app_name="mediaproc",
                        region=ep.region,
                    )
                except oe.ClientError:
                    raise UsageError(
                        _("{name!r} is not a valid bucket name, or {endpoint} is not a valid endpoint").format(
                            name=name, endpoint=ep.oss
                        ),
                        hint=_("bucket names are 3-63 lower-case letters, digits and hyphens"),
                    ) from None
            return self._buckets[name]

    def _read_timeout(self) -> float:
        return self.settings.request_timeout or READ_TIMEOUT

    def _threads(self) -> int:
        return max(1, min(self.settings.concurrency or 3, 8))

    def close(self) -> None:
        if self._session is not None:
            with suppress(Exception):
                self._session.session.close()
            self._session = None
        self._buckets.clear()

    def _call(self, fn: Callable[[], Any], *, bucket: str | None, key: str | None, action: str,
              retry: bool = True, attempts: int | None = None) -> Any:
        """Run one oss2 call: retried if idempotent, every failure mapped to mediaproc.errors."""
        self.credentials.get()
        try:
            if not retry:
                return fn()
            if attempts is not None:
                return retry_call(fn, retryable=is_retryable_oss, attempts=attempts)
            return retry_call(fn, retryable=is_retryable_oss)
        except MediaprocError:
            raise
        except Exception as exc:
            raise map_oss_error(exc, bucket=bucket, key=key, action=action, endpoint=self.endpoints.oss) from None

    # -- IMM binding ------------------------------------------------------------------------
    def bound_project(self, bucket: str, *, refresh: bool = False) -> str | None:
        """The IMM project bound to ``bucket`` (GetOSSBucketAttachment), cached per process."""
        cache_key = (self.endpoints.imm_url, bucket)
        with _PROJECT_LOCK:
            if not refresh and cache_key in _PROJECT_CACHE:
                return _PROJECT_CACHE[cache_key]
        project = self.imm.bound_project(bucket)
        with _PROJECT_LOCK:
            _PROJECT_CACHE[cache_key] = project
        return project

    def bucket_names(self) -> list[str]:
        """The account's buckets in this provider's region (ListBuckets, every page).

        IMM has no call that lists the buckets attached to a project, so a caller that must find
        them asks each of these (GetOSSBucketAttachment); buckets of other regions cannot be
        attached to this region's projects and are left out."""
        ep = self.endpoints
        auth = oss2.ProviderAuthV4(oss2_provider(self.credentials))
        service = oss2.Service(auth, ep.oss, connect_timeout=(CONNECT_TIMEOUT, self._read_timeout()),
                               app_name="mediaproc", region=ep.region)

        def names() -> list[str]:
            return [
                b.name for b in oss2.BucketIterator(service)
                if not ep.region or not b.location or b.location.removeprefix("oss-") == ep.region
            ]

        result: list[str] = self._call(names, bucket=None, key=None, action="ListBuckets")
        return result

    def forget_binding(self, bucket: str) -> None:
        with _PROJECT_LOCK:
            _PROJECT_CACHE.pop((self.endpoints.imm_url, bucket), None)

    def _require_project(self, bucket: str) -> str:
        project = self.bound_project(bucket)
        if not project:
            raise bucket_not_bound(bucket)
        return project
