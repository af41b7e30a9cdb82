"""COS and Cloud Infinite errors as the services spell them.

COS (object requests): ``<Error><Code/><Message/><Resource/><RequestId/><TraceId/></Error>`` with
``x-cos-request-id``. Cloud Infinite (``/jobs``, image processing): the same element without
``<Resource>`` and with ``x-ci-request-id`` - which is why ``CosServiceError.get_error_code()``
answers "Unknown" for CI errors (the SDK's digest needs ``Resource``; SPEC.md §6), and the
provider parses the body itself. A HEAD response has no body.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Mapping

from mediaproc import xmlbody
from mediaproc.emulator.errors import public_message
from mediaproc.errors import MediaprocError, NotFound, ServiceError, UsageError

STATUS: dict[str, int] = {
    "AccessDenied": 403,
    "BadDigest": 400,
    "BucketAlreadyExists": 409,
    "BucketNameTooLong": 400,
    "EntityTooLarge": 400,
    "EntityTooSmall": 400,
    "InternalError": 500,
    "InvalidAccessKeyId": 403,
    "InvalidArgument": 400,
    "InvalidBucketName": 400,
    "InvalidDelimiter": 400,
    "InvalidDigest": 400,
    "InvalidInput": 400,
    "InvalidObjectName": 400,
    "InvalidPart": 400,
    "InvalidPartOrder": 400,
    "InvalidRange": 416,
    "InvalidRequest": 400,
    "InvalidTag": 400,
    "MalformedXML": 400,
    "MethodNotAllowed": 405,
    "NoSuchBucket": 404,
    "NoSuchJob": 404,
    "NoSuchKey": 404,
    "NoSuchUpload": 404,
    "NotImplemented": 501,
    "NotModified": 304,
    "PreconditionFailed": 412,
    "RequestTimeTooSkewed": 403,
    "SignatureDoesNotMatch": 403,
    "SlowDown": 503,
}


_XML_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def new_request_id() -> str:
    """COS request ids are base64 of an internal id (``NTk0MjdmODlfMjQ4OGY3XzYzYzhfMjc=``)."""
    return base64.b64encode(uuid.uuid4().hex[:24].encode()).decode()


class CosError(Exception):
    """An error answer. ``ci`` selects the Cloud Infinite body (no ``<Resource>``)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        ci: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        message = public_message(message)  # keys, never the server's disk
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or STATUS.get(code, 400)
        self.ci = ci
        self.headers = dict(headers or {})  # sent with the answer (Retry-After on SlowDown)

    def xml(self, request_id: str, resource: str) -> bytes:
        doc = {"Code": self.code, "Message": self.message}
        if not self.ci:  # a key's control characters cannot travel in XML 1.0: percent-encoded
            doc["Resource"] = _XML_CONTROLS.sub(lambda m: f"%{ord(m.group()):02X}", resource)
        doc["RequestId"] = request_id
        if not self.ci:
            doc["TraceId"] = base64.b64encode(request_id.encode()).decode()
        return xmlbody.unparse(xmlbody.COS_ERROR, doc).encode("utf-8")


def from_mediaproc(exc: MediaprocError, *, ci: bool = False) -> CosError:
    """A store/engine error -> the COS answer (the store uses OSS codes, which COS shares)."""
    code = exc.code or ""
    if code in STATUS:
        return CosError(code, exc.message, ci=ci)
    if isinstance(exc, NotFound):
        return CosError("NoSuchKey", exc.message, ci=ci)
    if isinstance(exc, UsageError):
        return CosError("InvalidArgument", exc.message, ci=ci)
    if isinstance(exc, ServiceError):
        return CosError("InternalError", exc.message, ci=ci)
    return CosError("InternalError", exc.message, ci=ci)
