"""The store's refusals, each carrying the OSS error code the emulator answers with.

Kept apart from the modules that raise them (key checks, writers, multipart, the store) so that a
code and its message are spelled once: ``NoSuchKey`` from a HEAD and from a copy source read the
same, and the OSS front can turn any of them into the service's own XML error without a table.
"""

from __future__ import annotations

from mediaproc.errors import MediaprocError, NotFound, UsageError
from mediaproc.i18n import _


def store_error(cls: type[MediaprocError], code: str, message: str, hint: str | None = None) -> MediaprocError:
    """A :mod:`mediaproc.errors` class whose ``code`` is the OSS error code."""
    return cls(message, hint=hint, code=code)


def no_such_bucket(bucket: str) -> MediaprocError:
    return store_error(
        NotFound,
        "NoSuchBucket",
        _("the bucket {bucket!r} does not exist").format(bucket=bucket),
        _("create it first, or check the bucket name"),
    )


def no_such_key(bucket: str, key: str) -> MediaprocError:
    return store_error(
        NotFound,
        "NoSuchKey",
        _("the object {key!r} does not exist in bucket {bucket!r}").format(key=key, bucket=bucket),
        _("check the key; list the bucket to see what it holds"),
    )


def no_such_upload(upload_id: str) -> MediaprocError:
    return store_error(
        NotFound,
        "NoSuchUpload",
        _("the multipart upload {upload_id!r} does not exist").format(upload_id=upload_id),
        _("it was completed or aborted; start a new upload"),
    )


def invalid_key(key: str, why: str) -> MediaprocError:
    return store_error(
        UsageError,
        "InvalidObjectName",
        _("invalid object key {key!r}: {why}").format(key=key, why=why),
        _("use a key without empty, '.' or '..' segments, a leading '/', or NUL"),
    )


def digest_mismatch() -> MediaprocError:
    """The body's MD5 is not the Content-MD5 the client sent."""
    return store_error(
        UsageError,
        "InvalidDigest",
        _("the Content-MD5 you specified did not match what was received"),
        _("send the MD5 of the body, base64-encoded"),
    )
