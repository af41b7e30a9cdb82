"""Service errors as the real services spell them: OSS XML bodies and IMM (POP) JSON bodies.

OSS: ``<Error><Code/><Message/><RequestId/><HostId/>[...]<EC/></Error>`` with the request id also
in ``x-oss-request-id``; a HEAD response has no body, so the same XML travels base64-encoded in the
``x-oss-err`` header (what oss2 reads to tell NoSuchKey from NoSuchBucket on HEAD).
IMM: ``{"RequestId", "HostId", "Code", "Message", "Recommend"}`` with the HTTP status of the error.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mediaproc import xmlbody
from mediaproc.errors import MediaprocError, NotFound, ServiceError, UsageError
from mediaproc.ops.oss import EC_WATERMARK_MISSING as OSS_EC_WATERMARK_MISSING

# OSS error code -> HTTP status (codes the emulator can raise)
OSS_STATUS: dict[str, int] = {
    "AccessDenied": 403,
    "BucketAlreadyExists": 409,
    "BucketNotEmpty": 409,
    "EntityTooLarge": 400,
    "EntityTooSmall": 400,
    "FileAlreadyExists": 409,
    "ImageTooLarge": 400,  # image processing's own code (OSS image processing error table)
    "IncompleteBody": 400,
    "InternalError": 500,
    "InvalidAccessKeyId": 403,
    "InvalidArgument": 400,
    "InvalidBucketName": 400,
    "InvalidDigest": 400,
    "InvalidObjectName": 400,
    "InvalidPart": 400,
    "InvalidPartOrder": 400,
    "InvalidRange": 416,
    "InvalidRequest": 400,
    "MalformedXML": 400,
    "MethodNotAllowed": 405,
    "MissingContentLength": 411,
    "NoSuchBucket": 404,
    "NoSuchKey": 404,
    "NoSuchStyle": 404,
    "NoSuchUpload": 404,
    "NotImplemented": 501,
    "NotSymlink": 400,
    "ObjectNotAppendable": 409,
    "OperationNotSupported": 400,
    "PositionNotEqualToLength": 409,
    "RestoreAlreadyInProgress": 409,
    "SymlinkTargetNotExist": 404,
    "InvalidObjectState": 403,
    "InvalidTag": 400,
    "CallbackFailed": 203,
    "PreconditionFailed": 412,
    "RequestTimeTooSkewed": 403,
    "ServiceUnavailable": 503,
    "SignatureDoesNotMatch": 403,
    "SlowDown": 503,
}

# OSS's "EC" (error detail code), only where the documented value is known
OSS_EC: dict[str, str] = {
    "SignatureDoesNotMatch": "0002-00000040",
    "NoSuchBucket": "0015-00000101",
    "NoSuchKey": "0026-00000001",
}
# The watermark image is missing: 404 NoSuchKey with this EC (ops.oss, where the provider reads it too).
EC_WATERMARK_MISSING = OSS_EC_WATERMARK_MISSING


# -- what an error message may show ------------------------------------------------------------------
# A client sees keys, never the server's disk: the store's roots (registered by each server) and any
# other absolute path (the engine's temporary files) are taken out of every Message, the bucket
# folder becoming the key and any other path its file name; a Python bytes repr (``b'...'``, from
# libvips) becomes the text it holds; a message is one line with nothing stray (``***``) at its end.
_ROOTS: set[str] = set()
_ROOTS_LOCK = threading.Lock()
_BYTES = re.compile(r"""\bb(['"])(.*?)\1""")
_ABSOLUTE = re.compile(r"""(?<![\w:/.~-])/(?:[^\s'"()<>:,;/]+/)+([^\s'"()<>:,;/]+)""")


def hide_root(root: Path) -> None:
    """Register a store root whose paths must never appear in an error message."""
    with _ROOTS_LOCK:
        _ROOTS.add(str(Path(root).resolve()))
        _ROOTS.add(str(Path(root).absolute()))


def public_message(text: str) -> str:
    """``text`` as a client may see it (see above)."""
    text = _BYTES.sub(lambda m: m.group(2), text)
    with _ROOTS_LOCK:
        roots = sorted(_ROOTS, key=len, reverse=True)
    for root in roots:  # <root>/<bucket>/<key> -> <key>
        text = re.sub(re.escape(root.rstrip("/")) + r"/[^/\s'\"]+/", "", text)
    text = _ABSOLUTE.sub(lambda m: m.group(1), text)
    # one line (libvips stacks its messages one per line), without decoration left at the end
    return "; ".join(line.strip() for line in text.splitlines() if line.strip()).rstrip(" *;")


def new_oss_request_id() -> str:
    """OSS request ids are 24 upper-case hex digits."""
    return uuid.uuid4().hex[:24].upper()


def new_imm_request_id() -> str:
    """POP request ids are upper-case UUIDs."""
    return str(uuid.uuid4()).upper()


class OssError(Exception):
    """An OSS error response. ``extra`` adds elements after HostId (e.g. StringToSign)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        extra: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        ec: str | None = None,
    ) -> None:
        message = public_message(message)
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or OSS_STATUS.get(code, 400)
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})
        self._ec = ec

    @property
    def ec(self) -> str | None:
        """OSS's error detail code, where the documented value is known (also sent as ``x-oss-ec``):
        the one given for this error (e.g. a missing watermark image), else the code's own."""
        return self._ec or OSS_EC.get(self.code)

    def xml(self, request_id: str, host_id: str) -> bytes:
        doc: dict[str, Any] = {"Code": self.code, "Message": self.message, "RequestId": request_id, "HostId": host_id}
        doc.update(self.extra)
        if self.ec:
            doc["EC"] = self.ec
            doc["RecommendDoc"] = f"https://api.aliyun.com/troubleshoot?q={self.ec}"
        return xmlbody.unparse(xmlbody.OSS_ERROR, doc).encode("utf-8")


def oss_error_from(exc: MediaprocError) -> OssError:
    """Map a store/engine/ops error to the OSS error a client would get from the service. A refusal
    that carries a documented detail code (``details["ec"]``: a limit, a watermark parameter) answers
    with it, as OSS does (``<EC>0040-00000259</EC>``)."""
    code = exc.code
    ec = exc.details.get("ec") if isinstance(exc.details.get("ec"), str) else None
    if code in OSS_STATUS:
        return OssError(code, exc.message, ec=ec)
    if ec is not None:
        return OssError("InvalidArgument", exc.message, ec=ec)
    if isinstance(exc, NotFound):
        return OssError("NoSuchKey", exc.message)
    if isinstance(exc, UsageError):
        return OssError("InvalidArgument", exc.message)
    if isinstance(exc, ServiceError):
        return OssError("InvalidArgument", exc.message)  # e.g. a source the engine cannot decode
    return OssError("InternalError", exc.message)


# IMM (POP JSON) --------------------------------------------------------------------------------

IMM_STATUS: dict[str, int] = {
    "InvalidArgument": 400,
    "MissingParameter": 400,
    "IncompleteSignature": 400,
    "SignatureDoesNotMatch": 400,
    "InvalidTimeStamp.Expired": 400,
    "SignatureNonceUsed": 400,
    "MissingAuthorization": 400,
    "InvalidAccessKeyId.NotFound": 404,
    "Forbidden": 403,
    "ResourceNotFound": 404,
    "ResourceAlreadyExists": 409,
    "InvalidAction.NotFound": 404,
    "InternalError": 500,
    "ServiceUnavailable": 503,
    "Throttling": 503,
}


class ImmError(Exception):
    def __init__(self, code: str, message: str, *, status: int | None = None) -> None:
        message = public_message(message)
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or IMM_STATUS.get(code, 400)

    def body(self, request_id: str, host_id: str) -> dict[str, str]:
        return {
            "RequestId": request_id,
            "HostId": host_id,
            "Code": self.code,
            "Message": self.message,
            "Recommend": f"https://api.aliyun.com/troubleshoot?q={self.code}&product=imm",
        }


def imm_error_from(exc: MediaprocError) -> ImmError:
    if isinstance(exc, NotFound):
        return ImmError("ResourceNotFound", exc.message)
    if isinstance(exc, UsageError):
        return ImmError("InvalidArgument", exc.message)
    return ImmError("InternalError", exc.message)
