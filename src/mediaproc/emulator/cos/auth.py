"""COS request signatures (``q-sign-algorithm=sha1``), re-computed exactly as qcloud_cos signs.

The SDK (``qcloud_cos/cos_auth.py``, ``CosS3Auth.__call__``) builds::

    format_str = "<method lower>\\n<path>\\n<params>\\n<headers>\\n"
    params     = "&".join(k=v for sorted(params))      # keys quote(k, '-_.~').lower(),
    headers    = "&".join(k=v for sorted(headers))     #   values quote(v, '-_.~')
    sign_key   = hex(HMAC-SHA1(secret, q-key-time))
    to_sign    = "sha1\\n<q-sign-time>\\nhex(SHA1(format_str))\\n"
    signature  = hex(HMAC-SHA1(sign_key, to_sign))

``path`` is the raw (decoded) key with a leading ``/`` (``/jobs`` for media jobs); the signed
headers are the ones named in ``q-header-list`` (host, content-type, content-md5,
content-length, pic-operations, x-cos-*, x-ci-*, ...), the host without a port. The same fields
travel as query parameters in a pre-signed URL. Errors: ``InvalidAccessKeyId`` (unknown q-ak),
``AccessDenied`` "Request has expired" (outside q-sign-time), ``SignatureDoesNotMatch``.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

from mediaproc.emulator.cos.errors import CosError

SIGN_FIELDS = (
    "q-sign-algorithm",
    "q-ak",
    "q-sign-time",
    "q-key-time",
    "q-header-list",
    "q-url-param-list",
    "q-signature",
)
CLOCK_SKEW_SECONDS = 15 * 60


@dataclass(frozen=True)
class CosCredentials:
    """Keys the front accepts; ``tokens`` maps a key id to the STS token it must come with."""

    keys: Mapping[str, str]
    tokens: Mapping[str, str] = field(default_factory=dict)


def _enc(text: str) -> str:
    return quote(text.encode("utf-8"), safe="-_.~")


def parse_authorization(value: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in value.split("&"):
        k, sep, v = part.partition("=")
        if sep:
            out[k.strip()] = v.strip()
    return out


def sign_fields(query: Mapping[str, str], headers: Mapping[str, str]) -> dict[str, str] | None:
    """The signature fields of a request: the Authorization header, else a pre-signed URL."""
    auth = headers.get("Authorization") or headers.get("authorization")
    if auth:
        return parse_authorization(auth)
    if "q-signature" in query:
        return {k: query.get(k, "") for k in SIGN_FIELDS}
    return None


def string_to_sign(
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    param_list: str,
    header_list: str,
    sign_time: str,
) -> str:
    lowered_query: dict[str, str] = {}
    for k, v in query.items():
        lowered_query.setdefault(_enc(k).lower(), _enc(v))
    lowered_headers = {k.lower(): v for k, v in headers.items()}
    params: list[tuple[str, str]] = []
    for name in [n for n in param_list.split(";") if n]:
        params.append((name, lowered_query.get(name, "")))
    hdrs: list[tuple[str, str]] = []
    for name in [n for n in header_list.split(";") if n]:
        value = lowered_headers.get(name, "")
        if name == "host":
            value = value.rsplit(":", 1)[0] if value.count(":") == 1 else value
        hdrs.append((name, _enc(value)))

    def joined(pairs: list[tuple[str, str]]) -> str:
        # sorted as (name, value) pairs, as the SDK sorts them: "x-cos-copy-source" before
        # "x-cos-copy-source-range", which sorting the joined "name=value" strings would swap
        return "&".join(f"{k}={v}" for k, v in sorted(pairs))

    format_str = f"{method.lower()}\n{path}\n{joined(params)}\n{joined(hdrs)}\n"
    digest = hashlib.sha1(format_str.encode("utf-8")).hexdigest()
    return f"sha1\n{sign_time}\n{digest}\n"


def signature(secret: str, key_time: str, to_sign: str) -> str:
    sign_key = hmac.new(secret.encode("utf-8"), key_time.encode("utf-8"), hashlib.sha1).hexdigest()
    return hmac.new(sign_key.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha1).hexdigest()


def verify(
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    creds: CosCredentials,
    *,
    ci: bool = False,
    now: float | None = None,
) -> str:
    """Check a request's signature; returns the key id, raises :class:`CosError` (403)."""
    fields = sign_fields(query, headers)
    if not fields or not fields.get("q-signature"):
        raise CosError("AccessDenied", "Access Denied.", ci=ci)
    ak = fields.get("q-ak", "")
    secret = creds.keys.get(ak)
    if secret is None:
        raise CosError("InvalidAccessKeyId", "The access key Id format you provided is invalid.", ci=ci)
    sign_time = fields.get("q-sign-time", "")
    key_time = fields.get("q-key-time", sign_time)
    try:
        start, end = (int(x) for x in sign_time.split(";"))
    except ValueError:
        raise CosError("AccessDenied", "Request has expired", ci=ci) from None
    t = time.time() if now is None else now
    if t < start - CLOCK_SKEW_SECONDS or t > end:
        raise CosError("AccessDenied", "Request has expired", ci=ci)
    signed_query = {k: v for k, v in query.items() if k not in SIGN_FIELDS}
    to_sign = string_to_sign(
        method, path, signed_query, headers, fields.get("q-url-param-list", ""), fields.get("q-header-list", ""),
        sign_time,
    )  # fmt: skip
    expected = signature(secret, key_time, to_sign)
    if not hmac.compare_digest(expected, fields.get("q-signature", "")):
        raise CosError("SignatureDoesNotMatch", "The Signature you specified is invalid.", ci=ci)
    token = creds.tokens.get(ak)
    if token is not None:
        sent = (
            headers.get("x-cos-security-token")
            or headers.get("x-ci-security-token")
            or query.get("x-cos-security-token")
            or query.get("x-ci-security-token")
        )
        if not sent or not hmac.compare_digest(sent, token):
            raise CosError("InvalidAccessKeyId", "The security token is missing or does not match the key.", ci=ci)
    return ak


def presign_query(
    secret_id: str,
    secret: str,
    method: str,
    path: str,
    *,
    expires: int,
    params: Mapping[str, str] | None = None,
    now: float | None = None,
) -> str:
    """A pre-signed query string (no host signed), as CI's ``pm3u8`` hands out for segments."""
    t = int(time.time() if now is None else now)
    sign_time = f"{t - 60};{t + expires}"
    params = dict(params or {})
    names = ";".join(sorted(_enc(k).lower() for k in params))
    to_sign = string_to_sign(method, path, params, {}, names, "", sign_time)
    sig = signature(secret, sign_time, to_sign)
    fields = {
        "q-sign-algorithm": "sha1",
        "q-ak": secret_id,
        "q-sign-time": sign_time,
        "q-key-time": sign_time,
        "q-header-list": "",
        "q-url-param-list": names,
        "q-signature": sig,
    }
    return "&".join(f"{k}={_enc(v)}" for k, v in fields.items())
