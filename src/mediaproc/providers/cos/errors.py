"""qcloud_cos exceptions -> mediaproc errors, with the service's code, message and request id.

``CosServiceError.get_error_code()`` is unreliable: the SDK's digest needs a ``<Resource>`` element
that Cloud Infinite error bodies do not have, so for CI errors it answers "Unknown" (SPEC.md §6).
The body (``get_origin_msg()``) is parsed here instead (:mod:`mediaproc.xmlbody`). HEAD answers have no body:
the SDK fills a dict (``NoSuchResource``) that is used as is.

Mapping: the codes in :data:`NOT_FOUND` (or a 404) -> NotFound (4); those in :data:`CREDENTIALS` (or a
401/403) -> CredentialsError (3); ``NoSuchStyle`` -> the missing-style error; a 400 to a processing
request (:data:`PROCESSING_ACTIONS`) -> UsageError (2), the input's fault, as locally and on OSS;
anything else -> ServiceError (5). Messages never carry a signature, a key or a token: SDK texts
pass through :func:`mediaproc.hygiene.redact`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mediaproc import xmlbody
from mediaproc.errors import CredentialsError, MediaprocError, NotFound, ServiceError, UsageError
from mediaproc.hygiene import redact
from mediaproc.i18n import _

# What asks Cloud Infinite to process or describe an object (the actions named by the provider's calls)
PROCESSING_ACTIONS = ("process the image", "upload and process", "run ", "read the image info", "read the EXIF",
                      "read the average colour", "read the media info")
NO_WATERMARK = "WatermarkNotFound"  # a blind-watermark extraction that found none (the engine's code too)
NOT_FOUND = frozenset({"NoSuchKey", "NoSuchBucket", "NoSuchUpload", "NoSuchResource", "NoSuchJob", "NoSuchFile"})
CREDENTIALS = frozenset(
    {
        "AccessDenied",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
        "InvalidSecurityToken",
        "ExpiredToken",
        "RequestTimeTooSkewed",
        "InvalidAuthorization",
    }
)

def parse_error_body(body: Any) -> dict[str, str]:
    """``<Error><Code/><Message/><RequestId/>...`` (COS or CI) -> dict; {} when it is not XML."""
    if isinstance(body, Mapping):
        return {
            "code": str(body.get("code") or body.get("Code") or ""),
            "message": str(body.get("message") or body.get("Message") or ""),
            "request_id": str(body.get("requestid") or body.get("RequestId") or ""),
        }
    if not isinstance(body, (str, bytes)) or not body:
        return {}
    try:
        doc = xmlbody.parse(xmlbody.COS_ERROR, body)
    except xmlbody.MalformedXml:
        return {}

    def text(name: str) -> str:
        return xmlbody.text(doc.get(name)).strip()

    return {"code": text("Code"), "message": text("Message"), "request_id": text("RequestId")}


def _listing_of(target: str) -> str:
    """What to list to find ``target`` (``cos://b/in/a.jpg`` -> ``cos://b/in/``), quoted for a shell,
    so that the hint pastes as printed; a placeholder when no object was named."""
    import shlex

    if not target.startswith("cos://") or not target[len("cos://"):].split("/", 1)[0]:
        return "cos://BUCKET-APPID/PREFIX"
    bucket, _sep, key = target[len("cos://"):].partition("/")
    folder = key.rsplit("/", 1)[0] + "/" if "/" in key.rstrip("/") else ""
    return shlex.quote(f"cos://{bucket}/{folder}")


def translate(exc: BaseException, *, action: str, target: str = "") -> MediaprocError:
    """An SDK exception -> the mediaproc error to raise (``action`` says what was being done)."""
    from qcloud_cos.cos_exception import CosClientError, CosServiceError

    if isinstance(exc, CosServiceError):
        status = exc.get_status_code()
        info = parse_error_body(exc.get_origin_msg()) or parse_error_body(exc.get_digest_msg())
        code = info.get("code") or ("NoSuchResource" if status == 404 else f"HTTP{status}")
        message = redact(info.get("message") or "")
        request_id = info.get("request_id") or None
        where = f" ({target})" if target else ""
        text = _("COS refused to {action}{where}: {code}{sep}{message}").format(
            action=action, where=where, code=code, sep=": " if message else "", message=message
        )
        if code == "NoSuchStyle":
            from mediaproc.ops.styles import missing

            return missing(None, target, request_id=request_id)
        if status == 400 and action.startswith(PROCESSING_ACTIONS) and code != NO_WATERMARK:
            # the source is not the media the operation works on, or a parameter the service refuses:
            # bad input, exit 2, as the local engine and OSS report the same request (an image that
            # carries no blind watermark stays a service error, as locally)
            return UsageError(
                text,
                hint=_("check the operation's parameters and that the source is the kind of media it works on"),
                code=code, request_id=request_id, status=status,
            )
        if code in NOT_FOUND or status == 404:
            return NotFound(
                text,
                hint=_("check the bucket (BUCKET-APPID) and key; `mediaproc ls {prefix}` lists them").format(
                    prefix=_listing_of(target)),
                code=code,
                request_id=request_id,
                status=status,
            )
        if code in CREDENTIALS or status in (401, 403):
            return CredentialsError(
                text,
                hint=_(
                    "check TENCENTCLOUD_SECRET_ID/TENCENTCLOUD_SECRET_KEY (and TENCENTCLOUD_SESSION_TOKEN for STS"
                    " keys), the region, and that the key may access this bucket"
                ),
                code=code,
                request_id=request_id,
                status=status,
            )
        return ServiceError(
            text,
            hint=_("the service refused the request; run with --debug for details (secrets are never shown)"),
            code=code,
            request_id=request_id,
            status=status,
        )
    if isinstance(exc, CosClientError):
        return ServiceError(
            _("could not reach COS to {action}: {reason}").format(action=action, reason=redact(str(exc))[:300]),
            hint=_("check the network, --endpoint and --region"),
            code="ClientError",
        )
    return ServiceError(
        _("COS request failed ({kind}) while trying to {action}").format(kind=type(exc).__name__, action=action),
        hint=_("run with --debug for details"),
    )
