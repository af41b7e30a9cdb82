"""oss2 / IMM exceptions -> :mod:`mediaproc.errors`, and the retry policy.

Why here: both SDKs raise their own hierarchies with messages that can carry request details (OSS's
``SignatureDoesNotMatch`` body even echoes the string-to-sign). Everything leaving the provider goes
through :func:`map_oss_error` / :func:`map_imm_error`, which keep only the service's code, message and
request id, and through :func:`mediaproc.hygiene.redact`, which removes signatures, credentials and
tokens.

Retries (``tenacity``): only for idempotent requests (reads, deletes, part uploads, sync GET
processing) and only on connection errors, 5xx, throttling and corrupt transfers — exponential
backoff with jitter, a few attempts. Never for ``x-oss-async-process`` submission or ``sys/saveas``
(a retry of those can duplicate a job or a write that already happened).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from mediaproc.errors import (
    CredentialsError,
    MediaError,
    MediaprocError,
    NotFound,
    ServiceError,
    UsageError,
)
from mediaproc.hygiene import human_size, redact
from mediaproc.i18n import _
from mediaproc.limits import OSS
from mediaproc.ops.oss import EC_WATERMARK_MISSING  # a missing watermark image, told apart by it

T = TypeVar("T")

RETRY_ATTEMPTS = 4
THROTTLING_CODES = frozenset(
    {"Throttling", "ThrottlingException", "TooManyRequests", "RequestTimeout", "ServiceUnavailable",
     "InternalError", "SlowDown", "Throttling.User", "Throttling.Api", "ServiceBusy"}
)
CREDENTIAL_CODES = frozenset(
    {"AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidAccessKeyId.NotFound",
     "InvalidAccessKeyId.Inactive", "IncompleteSignature", "InvalidSecurityToken",
     "InvalidSecurityToken.Expired", "InvalidSecurityToken.Malformed", "SecurityTokenExpired",
     "InvalidSecurityToken.MismatchWithAccessKey", "Forbidden.RAM", "Forbidden", "NoPermission",
     "RequestTimeTooSkewed", "InvalidTimeStamp.Expired", "InvalidApi.NotPurchase"}
)

WATERMARK_MISSING = "WatermarkNotFound"  # the code mediaproc reports it under


class TruncatedBody(ConnectionError):
    """The connection ended before Content-Length bytes arrived (retryable, like a reset)."""


# -- OSS ------------------------------------------------------------------------------------------
def _oss_short(exc: Any) -> str:
    inner = getattr(exc, "exception", None)
    text = str(inner) if inner is not None else str(getattr(exc, "body", "") or exc)
    return redact(text)[:300]


def is_retryable_oss(exc: BaseException) -> bool:
    import oss2.exceptions as oe
    import requests

    if isinstance(exc, (oe.RequestError, oe.InconsistentError)):
        return True
    if isinstance(exc, (requests.RequestException, ConnectionError, TimeoutError)):
        return True
    try:  # urllib3 raises its own errors when a streamed body is cut short
        import urllib3.exceptions as ue

        if isinstance(exc, (ue.ProtocolError, ue.ReadTimeoutError, ue.IncompleteRead)):
            return True
    except ImportError:  # pragma: no cover
        pass
    if isinstance(exc, oe.ServerError):
        status = getattr(exc, "status", 0) or 0
        return status >= 500 or status == 429 or exc.code in THROTTLING_CODES
    return False


def map_oss_error(
    exc: BaseException, *, bucket: str | None = None, key: str | None = None, action: str = "request",
    endpoint: str | None = None,
) -> MediaprocError:
    """Turn an oss2 (or transport) exception into the matching mediaproc error."""
    import oss2.exceptions as oe
    import requests

    if isinstance(exc, MediaprocError):
        return exc
    where = f"oss://{bucket}/{key}" if bucket and key else (f"oss://{bucket}" if bucket else "OSS")
    if isinstance(exc, oe.NoSuchBucket):
        return NotFound(
            _("bucket {bucket!r} does not exist").format(bucket=bucket or ""),
            hint=_("check the bucket name and --region (a bucket lives in one region)"),
            code="NoSuchBucket", request_id=exc.request_id or None, status=exc.status,
        )
    if isinstance(exc, oe.ServerError) and getattr(exc, "ec", "") == EC_WATERMARK_MISSING:
        return NotFound(
            _("a watermark image of the chain does not exist in oss://{bucket}/").format(bucket=bucket or ""),
            hint=_("upload it, or check the watermark's image= key (it is a key in the source's bucket)"),
            code=WATERMARK_MISSING, request_id=exc.request_id or None, status=exc.status,
            details={"bucket": bucket},
        )
    if isinstance(exc, oe.ServerError) and exc.code == "NoSuchStyle":
        from mediaproc.ops.styles import missing

        return missing(None, f"oss://{bucket}" if bucket else "", request_id=exc.request_id or None)
    if isinstance(exc, oe.NoSuchKey):
        return NotFound(
            _("{where} does not exist").format(where=where),
            hint=_("check the key; `mediaproc ls oss://{bucket}/` lists what is there").format(bucket=bucket),
            code="NoSuchKey", request_id=exc.request_id or None, status=exc.status,
        )
    if isinstance(exc, oe.ServerError) and exc.status == 404:
        return NotFound(
            _("{where} was not found ({code}: {message})").format(
                where=where, code=exc.code or "404", message=redact(exc.message or "")
            ),
            hint=_("check the bucket, key and region"),
            code=exc.code or "NotFound", request_id=exc.request_id or None, status=404,
        )
    if isinstance(exc, oe.ServerError) and (exc.code in CREDENTIAL_CODES or exc.status in (401, 403)):
        code = exc.code or str(exc.status)
        if code == "SignatureDoesNotMatch":
            msg = _("OSS rejected the request signature: the AccessKey secret is wrong")
            hint = _("check ALIBABA_CLOUD_ACCESS_KEY_SECRET (or `aliyun configure`) and the system clock")
        elif code.startswith("InvalidAccessKeyId"):
            msg = _("OSS does not know this AccessKey id (or it is disabled)")
            hint = _("check ALIBABA_CLOUD_ACCESS_KEY_ID (or `aliyun configure`); `mediaproc doctor` helps")
        elif "SecurityToken" in code:
            msg = _("the STS security token was rejected ({code})").format(code=code)
            hint = _("refresh the STS credentials (ALIBABA_CLOUD_SECURITY_TOKEN) or use a RAM user's key")
        elif code == "RequestTimeTooSkewed":
            msg = _("OSS rejected the request: this machine's clock is off by more than 15 minutes")
            hint = _("synchronise the system clock (NTP)")
        else:
            msg = _("access denied to {where} ({action}): {message}").format(
                where=where, action=action, message=redact(exc.message or code)
            )
            hint = _(
                "grant the RAM user/role the needed oss: actions on this bucket "
                "(see `mediaproc doctor` and the RAM policy in the docs)"
            )
        return CredentialsError(msg, hint=hint, code=code, request_id=exc.request_id or None, status=exc.status)
    if isinstance(exc, oe.ServerError) and exc.code == "ImageTooLarge":
        # The source is over an image-processing limit (20 MB, 30000 px a side, 250 MP): the same
        # input error, and exit code, as the local engine's refusal.
        return MediaError(
            _("{where} is too large for OSS image processing: {message}").format(
                where=where, message=redact(exc.message or "")
            ),
            hint=_("OSS takes image sources up to {size}, {side} px a side and {mp} MP; downscale it first").format(
                size=human_size(OSS["image_source_bytes"].value),
                side=f"{OSS['source_side'].value:,}",
                mp=OSS["source_pixels"].value // 1_000_000,
            ),
            code="ImageTooLarge", request_id=exc.request_id or None, status=exc.status,
        )
    if isinstance(exc, oe.ServerError) and exc.status == 400 and "process" in action:
        # A processing request the service judged invalid for this object (an audio probe of a photo, a
        # parameter it does not take): bad input, exit 2, as the local engine reports the same request.
        return UsageError(
            _("OSS refused {action} on {where}: {code}: {message}").format(
                action=action, where=where, code=exc.code or exc.status, message=redact(exc.message or "")
            ),
            hint=_("check the operation's parameters and that the source is the kind of media it works on"),
            code=exc.code or "HTTP400", request_id=exc.request_id or None, status=exc.status,
        )
    if isinstance(exc, oe.ServerError):
        return ServiceError(
            _("OSS refused {action} on {where}: {code}: {message}").format(
                action=action, where=where, code=exc.code or exc.status, message=redact(exc.message or "")
            ),
            hint=_("the request id helps Alibaba Cloud support; check the parameters and try again"),
            code=exc.code or f"HTTP{exc.status}", request_id=exc.request_id or None, status=exc.status,
        )
    if isinstance(exc, oe.InconsistentError):
        return ServiceError(
            _("the data received from {where} is corrupt (CRC mismatch)").format(where=where),
            hint=_("try again; if it persists, check proxies between this machine and OSS"),
            code="InconsistentData", request_id=exc.request_id or None,
        )
    if isinstance(exc, TruncatedBody) or type(exc).__name__ in ("ChunkedEncodingError", "ProtocolError"):
        return ServiceError(
            _("the transfer of {where} was cut short ({action}): {reason}").format(
                where=where, action=action, reason=_oss_short(exc)
            ),
            hint=_("the connection kept breaking; check the network and try again"),
            code="ConnectionError",
        )
    if isinstance(exc, (oe.RequestError, requests.RequestException, ConnectionError, TimeoutError)) or (
        is_retryable_oss(exc) and not isinstance(exc, oe.OssError)
    ):
        return ServiceError(
            _("cannot reach OSS{at} for {action}: {reason}").format(
                at=f" at {endpoint}" if endpoint else "", action=action, reason=_oss_short(exc)
            ),
            hint=_("check the network, --endpoint and --region (internal endpoints only work inside the VPC)"),
            code="ConnectionError",
        )
    if isinstance(exc, oe.ClientError):
        return UsageError(
            _("invalid OSS request: {reason}").format(reason=_oss_short(exc)),
            hint=_("check the bucket name and key"),
            code="ClientError",
        )
    if isinstance(exc, oe.OssError):
        return ServiceError(
            _("OSS {action} failed: {reason}").format(action=action, reason=_oss_short(exc)),
            code=getattr(exc, "code", None) or "OssError",
            request_id=getattr(exc, "request_id", None) or None,
        )
    return ServiceError(_("OSS {action} failed: {reason}").format(action=action, reason=redact(str(exc))[:300]))


# -- IMM ------------------------------------------------------------------------------------------
def _imm_unwrap(exc: BaseException) -> BaseException:
    inner = getattr(exc, "inner_exception", None)
    return inner if isinstance(inner, BaseException) else exc


def is_retryable_imm(exc: BaseException) -> bool:
    exc = _imm_unwrap(exc)
    if isinstance(exc, MediaprocError):
        return False
    name = type(exc).__name__
    if name in ("RetryError", "ThrottlingException", "ServerException"):
        return True
    status = getattr(exc, "status_code", None)
    code = getattr(exc, "code", None) or ""
    if isinstance(status, int) and (status >= 500 or status == 429):
        return True
    if code in THROTTLING_CODES or code.startswith("Throttling"):
        return True
    return isinstance(exc, (ConnectionError, TimeoutError))


def imm_unreachable(err: MediaprocError) -> bool:
    """IMM cannot be used at all (network down or no IMM permission): the caller may fall back."""
    return err.code == "ConnectionError" or isinstance(err, CredentialsError)


def map_imm_error(exc: BaseException, *, action: str, endpoint: str | None = None) -> MediaprocError:
    exc = _imm_unwrap(exc)
    if isinstance(exc, MediaprocError):
        return exc
    name = type(exc).__name__
    if name == "RetryError" or isinstance(exc, (ConnectionError, TimeoutError, OSError)):
        return ServiceError(
            _("cannot reach IMM{at} for {action}: {reason}").format(
                at=f" at {endpoint}" if endpoint else "", action=action,
                reason=redact(str(getattr(exc, "message", None) or exc))[:300],
            ),
            hint=_("check the network and --imm-endpoint / --region"),
            code="ConnectionError",
        )
    data = getattr(exc, "data", None)
    data = data if isinstance(data, dict) else {}
    code = str(data.get("Code") or getattr(exc, "code", None) or name)
    message = redact(str(data.get("Message") or getattr(exc, "message", None) or exc))
    request_id = data.get("RequestId") or getattr(exc, "request_id", None) or None
    status = getattr(exc, "status_code", None)
    if code in CREDENTIAL_CODES or status in (401, 403) or code.startswith(("Forbidden", "InvalidAccessKeyId")):
        return CredentialsError(
            _("IMM refused {action}: {code}: {message}").format(action=action, code=code, message=message),
            hint=_("check the AccessKey and that the RAM policy allows imm:{action}").format(action=action),
            code=code, request_id=request_id, status=status,
        )
    if status == 404 or "NotFound" in code:
        return NotFound(
            _("IMM {action}: {code}: {message}").format(action=action, code=code, message=message),
            hint=_("check the project name (`mediaproc imm project list`) and that the bucket is bound "
                   "(`mediaproc imm check`)"),
            code=code, request_id=request_id, status=status,
        )
    return ServiceError(
        _("IMM {action} failed: {code}: {message}").format(action=action, code=code, message=message),
        hint=_("the request id helps Alibaba Cloud support"),
        code=code, request_id=request_id, status=status,
    )


# -- retry ----------------------------------------------------------------------------------------
def retry_call(
    fn: Callable[[], T],
    *,
    retryable: Callable[[BaseException], bool],
    attempts: int = RETRY_ATTEMPTS,
    before_retry: Callable[[], None] | None = None,
) -> T:
    """Call ``fn`` with exponential backoff + jitter on ``retryable`` errors (idempotent calls only)."""
    import tenacity

    from mediaproc import backoff

    def _before(_state: Any) -> None:
        if before_retry is not None:
            before_retry()

    for attempt in tenacity.Retrying(
        stop=tenacity.stop_after_attempt(attempts),
        wait=tenacity.wait_exponential(multiplier=0.5, max=8.0) + tenacity.wait_random(0, 0.5),
        retry=tenacity.retry_if_exception(retryable),
        before_sleep=_before,
        sleep=backoff.sleep,
        reraise=True,
    ):
        with attempt:
            return fn()
    raise AssertionError("unreachable")  # pragma: no cover


def name_missing_watermark(exc: MediaprocError, chain: Any) -> MediaprocError:
    """A missing watermark image, named: the chain knows which keys it asked for (the service's
    message need not say). Any other error is returned unchanged."""
    if exc.code != WATERMARK_MISSING:
        return exc
    keys = [str(op.params["image"]).split("?", 1)[0] for op in chain if op.name == "watermark" and "image" in op.params]
    if keys:
        bucket = exc.details.get("bucket") or ""
        exc.message = _("watermark image {keys} does not exist in oss://{bucket}/").format(
            keys=", ".join(repr(k) for k in keys), bucket=bucket
        )
        import shlex

        exc.hint = _(
            "upload it (`mediaproc upload FILE {uri}`), or fix the watermark's image= key"
        ).format(uri=shlex.quote(f"oss://{bucket}/{keys[0]}"))
        exc.args = (exc.message,)
    return exc
