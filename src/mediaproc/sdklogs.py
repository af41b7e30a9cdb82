"""SDK logs: every logger the cloud SDKs log through, found by reading the installed packages
(:data:`SDK_LOGGERS`), is silent unless ``--debug``; with ``--debug`` each record is rewritten by
:func:`mediaproc.hygiene.redact` (message, traceback and stack) when it is created, so no handler, not even
the SDKs' own stderr handlers, ever sees the original text.

Apart from :mod:`mediaproc.hygiene` (the redaction policy it applies) because only a cloud client needs
it: a local one-shot run imports no ``logging`` (~3 ms with ``traceback``, ``tokenize``, ``string``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from mediaproc import TYPE_CHECKING
from mediaproc.hygiene import redact

if TYPE_CHECKING:
    from typing import Any

# -- SDK logs ----------------------------------------------------------------------------------------
# Every logger the cloud SDKs log through (read from the installed packages: ``getLogger(`` in
# oss2, qcloud_cos, alibabacloud_*, Tea, darabonba, aliyunsdkcore), and the libraries they log
# through. A name covers its children (``oss2.api``, ``qcloud_cos.cos_auth``, ``urllib3.connectionpool``).
SDK_LOGGERS: tuple[str, ...] = (
    "oss2",              # every oss2 module; http/auth log request headers and strings to sign
    "qcloud_cos",        # cos_client logs url + headers (Authorization), cos_auth derived keys
    "credentials",       # alibabacloud_credentials' refreshable/ECS/OAuth/external providers
    "alibabacloud-tea",  # Tea.core: request/response headers
    "darabonba-core",    # darabonba.core: request/response headers
    "aliyunsdkcore",     # oss2.crypto's KMS client
    "apscheduler",       # alibabacloud_credentials' background ECS refresh
    "urllib3",           # the request line of every call, signed query included
    "requests",
    "aiohttp",           # darabonba's async transport
    # named after their packages (none of these logs today; a new version may)
    "alibabacloud_credentials", "alibabacloud_imm20200930", "alibabacloud_tea_openapi",
    "alibabacloud_tea_util", "alibabacloud_gateway_spi", "Tea", "darabonba",
)
_SILENT = logging.CRITICAL + 1
_state_lock = threading.Lock()
_debug = False


def _is_sdk(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in SDK_LOGGERS)


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """The record with message, traceback and stack rewritten by :func:`redact` (args folded in)."""
    try:
        message = record.getMessage()
    except Exception:  # a malformed record: its raw message is all there is
        message = str(record.msg)
    record.msg, record.args = redact(message), ()
    if record.exc_info:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        record.exc_info = None
    elif record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


class _SilentUnlessDebug(logging.Filter):
    """On each SDK logger itself: some SDK modules reset their logger's level when imported (Tea,
    darabonba, alibabacloud_credentials set DEBUG/INFO and add a stderr handler), after we set it.
    A filter survives that; it reads the current setting, so one instance serves every run."""

    def filter(self, record: logging.LogRecord) -> bool:
        return _debug


_FILTER = _SilentUnlessDebug()


class _RedactingFactory:
    """The log-record factory, wrapped: SDK records are scrubbed when they are created. A filter on
    ``oss2`` would not see the records of ``oss2.api`` (a logger's filters apply to its own records
    only), nor those of loggers an SDK creates after we configured logging."""

    def __init__(self, inner: Callable[..., logging.LogRecord]) -> None:
        self.inner = inner

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self.inner(*args, **kwargs)
        return redact_record(record) if _is_sdk(record.name) else record


def _install_record_factory() -> None:
    current = logging.getLogRecordFactory()
    if not isinstance(current, _RedactingFactory):
        logging.setLogRecordFactory(_RedactingFactory(current))


def silence_sdk_logs(debug: bool) -> None:
    """Silence every SDK logger unless ``debug``; with ``debug`` let them log, every record redacted."""
    global _debug
    with _state_lock:
        _debug = debug
        _install_record_factory()
        for name in SDK_LOGGERS:
            logger = logging.getLogger(name)
            if _FILTER not in logger.filters:
                logger.addFilter(_FILTER)
            logger.setLevel(logging.DEBUG if debug else _SILENT)
            logger.propagate = debug
