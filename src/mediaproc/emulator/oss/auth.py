"""OSS signature checks, re-computed from the request exactly as the service documents them.

- V1 (``Authorization: OSS <ak>:<sig>``, and signed URLs with ``OSSAccessKeyId``/``Expires``/
  ``Signature``): HMAC-SHA1 over verb, Content-MD5, Content-Type, Date (or Expires),
  the ``x-oss-*`` headers and ``/<bucket>/<key>`` plus the sub-resources in the query.
- V4 (``OSS4-HMAC-SHA256 Credential=<ak>/<date>/<region>/oss/aliyun_v4_request, ...`` and the
  ``x-oss-credential``/``x-oss-signature`` URL form): HMAC-SHA256 chain keyed by
  ``"aliyun_v4" + secret``, date, region, ``oss``, ``aliyun_v4_request``, over a canonical request
  (method, URI-encoded ``/<bucket>/<key>`` with ``/`` kept, every query parameter, the ``x-oss-*``,
  ``content-type``, ``content-md5`` and additional headers, and the payload hash header).

Errors carry the service's codes: ``InvalidAccessKeyId``, ``SignatureDoesNotMatch`` (with the
server's StringToSign, as OSS returns it), ``RequestTimeTooSkewed``, ``AccessDenied`` ("Request has
expired."). Comparisons are constant-time.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import time
from collections.abc import Iterable, Mapping
from urllib.parse import quote

from mediaproc.emulator.auth import MAX_SKEW_SECONDS, Credentials, Pairs, first_values
from mediaproc.emulator.conditions import parse_http_date
from mediaproc.emulator.errors import OssError

MAX_V4_URL_EXPIRES = 7 * 24 * 3600

# Query parameters that are part of the V1 canonical resource (OSS "sub-resources").
OSS_SUBRESOURCES = frozenset(
    [
        "response-content-type",
        "response-content-language",
        "response-cache-control",
        "logging",
        "response-content-encoding",
        "acl",
        "uploadId",
        "uploads",
        "partNumber",
        "group",
        "link",
        "delete",
        "website",
        "location",
        "objectInfo",
        "objectMeta",
        "response-expires",
        "response-content-disposition",
        "cors",
        "lifecycle",
        "restore",
        "qos",
        "referer",
        "stat",
        "bucketInfo",
        "append",
        "position",
        "security-token",
        "live",
        "comp",
        "status",
        "vod",
        "startTime",
        "endTime",
        "x-oss-process",
        "symlink",
        "callback",
        "callback-var",
        "tagging",
        "encryption",
        "versions",
        "versioning",
        "versionId",
        "policy",
        "requestPayment",
        "x-oss-traffic-limit",
        "qosInfo",
        "asyncFetch",
        "x-oss-request-payer",
        "sequential",
        "inventory",
        "inventoryId",
        "continuation-token",
        "worm",
        "wormId",
        "wormExtend",
        "replication",
        "replicationLocation",
        "replicationProgress",
        "transferAcceleration",
        "cname",
        "metaQuery",
        "x-oss-ac-source-ip",
        "x-oss-ac-subnet-mask",
        "x-oss-ac-vpc-id",
        "x-oss-ac-forward-allow",
        "resourceGroup",
        "style",
        "styleName",
        "x-oss-async-process",
        "regionList",
        "x-oss-write-get-object-response",
        "bucketArchiveDirectRead",
        "httpsConfig",
        "redundancyTransition",
        "x-oss-target-redundancy-type",
        "x-oss-redundancy-transition-taskid",
        "accessPoint",
        "accessPointPolicy",
        "publicAccessBlock",
        "x-oss-access-point-name",
        "requesterQosInfo",
        "qosRequester",
        "resourcePoolInfo",
        "resourcePool",
        "resourcePoolBuckets",
    ]
)

V4_DEFAULT_SIGNED = ("content-type", "content-md5")


def _iso_time(value: str) -> float | None:
    try:
        return calendar.timegm(time.strptime(value, "%Y%m%dT%H%M%SZ"))
    except (ValueError, TypeError):
        return None


def _server_time(now: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now))



def _bad_key(ak: str) -> OssError:
    return OssError(
        "InvalidAccessKeyId",
        "The OSS Access Key Id you provided does not exist in our records.",
        extra={"OSSAccessKeyId": ak},
    )


def _mismatch(ak: str, provided: str, string_to_sign: str) -> OssError:
    raw = string_to_sign.encode("utf-8")
    return OssError(
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
        extra={
            "OSSAccessKeyId": ak,
            "SignatureProvided": provided,
            "StringToSign": string_to_sign,
            "StringToSignBytes": " ".join(f"{b:02X}" for b in raw),
        },
    )


def _skewed(request_time: str, now: float) -> OssError:
    return OssError(
        "RequestTimeTooSkewed",
        "The difference between the request time and the current time is too large.",
        extra={
            "RequestTime": request_time,
            "ServerTime": _server_time(now),
            "MaxAllowedSkewMilliseconds": str(MAX_SKEW_SECONDS * 1000),
        },
    )


def _expired(expires: str, now: float) -> OssError:
    return OssError(
        "AccessDenied",
        "Request has expired.",
        extra={"Expires": expires, "ServerTime": _server_time(now)},
    )


def _invalid_auth(message: str) -> OssError:
    return OssError("InvalidArgument", message)


def v1_resource(bucket: str | None, key: str, query: Pairs) -> str:
    subs = sorted((k, v) for k, v in first_values(query).items() if k in OSS_SUBRESOURCES)
    tail = "&".join(f"{k}={v}" if v else k for k, v in subs)
    base = f"/{bucket}/{key}" if bucket else "/"
    return base + ("?" + tail if tail else "")


def v1_string_to_sign(
    method: str, bucket: str | None, key: str, query: Pairs, headers: Mapping[str, str], date: str
) -> str:
    oss_headers = sorted((k.lower(), v) for k, v in headers.items() if k.lower().startswith("x-oss-"))
    canon = "".join(f"{k}:{v}\n" for k, v in oss_headers)
    return "\n".join(
        [
            method,
            headers.get("Content-MD5", ""),
            headers.get("Content-Type", ""),
            date,
            canon + v1_resource(bucket, key, query),
        ]
    )


def v1_signature(secret: str, string_to_sign: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def v4_encode(text: str, keep_slash: bool) -> str:
    return quote(text, safe="-_.~/" if keep_slash else "-_.~")


def v4_canonical_request(
    method: str,
    bucket: str | None,
    key: str,
    query: Pairs,
    headers: Mapping[str, str],
    additional: Iterable[str],
    *,
    drop: Iterable[str] = (),
) -> str:
    uri = v4_encode(f"/{bucket}/{key}" if bucket else "/", True)
    skip = set(drop)
    params = sorted((v4_encode(k, False), v4_encode(v, False)) for k, v in first_values(query).items() if k not in skip)
    canon_query = "&".join(f"{k}={v}" if v else k for k, v in params)
    extra = sorted({h.lower() for h in additional if h})
    signed = [
        (k.lower(), v.strip())
        for k, v in headers.items()
        if k.lower().startswith("x-oss-") or k.lower() in V4_DEFAULT_SIGNED or k.lower() in extra
    ]
    canon_headers = "".join(f"{k}:{v}\n" for k, v in sorted(signed))
    payload = headers.get("x-oss-content-sha256", "UNSIGNED-PAYLOAD")
    return "\n".join([method, uri, canon_query, canon_headers, ";".join(extra), payload])


def v4_signature(secret: str, date_time: str, region: str, canonical_request: str) -> tuple[str, str]:
    """(signature hex, string to sign)."""
    date = date_time[:8]
    scope = f"{date}/{region}/oss/aliyun_v4_request"
    string_to_sign = "\n".join(
        [
            "OSS4-HMAC-SHA256",
            date_time,
            scope,
            hashlib.sha256(canonical_request.encode("utf-8")).hexdigest(),
        ]
    )
    key = ("aliyun_v4" + secret).encode("utf-8")
    for part in (date, region, "oss", "aliyun_v4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    sig = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return sig, string_to_sign


def _check_scope(credential: str, creds: Credentials, date_time: str) -> str:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aliyun_v4_request" or parts[3] != "oss":
        raise _invalid_auth("Invalid credential in Authorization header.")
    ak, date, region = parts[0], parts[1], parts[2]
    if ak != creds.access_key_id:
        raise _bad_key(ak)
    if date != date_time[:8]:
        raise _invalid_auth("Invalid signing date in Authorization header.")
    if region != creds.region:
        raise _invalid_auth(f"Invalid signing region in Authorization header: {region!r}.")
    return ak


def is_signed(query: Pairs, headers: Mapping[str, str]) -> bool:
    """Whether a request carries a signature at all (header or URL); an unsigned one is anonymous
    and served only where an ACL allows it."""
    q = first_values(query)
    return bool(
        headers.get("Authorization")
        or q.get("x-oss-signature-version")
        or "OSSAccessKeyId" in q
        or "Signature" in q
        or "x-oss-signature" in q
    )


def verify_oss(
    method: str,
    bucket: str | None,
    key: str,
    query: Pairs,
    headers: Mapping[str, str],
    creds: Credentials,
    *,
    now: float | None = None,
) -> str:
    """Check an OSS request's signature; return how it was signed (``v1``, ``v4``, ``v1-url``, ...).

    ``query`` holds the decoded query parameters, ``headers`` the received headers (a
    case-insensitive mapping). Unsigned requests are refused: every bucket here is private.
    """
    now = time.time() if now is None else now
    q = first_values(query)
    auth = headers.get("Authorization", "")
    if auth.startswith("OSS4-HMAC-SHA256 "):
        return _verify_v4_header(method, bucket, key, q, headers, auth, creds, now)
    if auth.startswith("OSS "):
        return _verify_v1_header(method, bucket, key, q, headers, auth, creds, now)
    if auth:
        raise _invalid_auth("Authorization header is invalid.")
    if q.get("x-oss-signature-version") == "OSS4-HMAC-SHA256":
        return _verify_v4_url(method, bucket, key, q, headers, creds, now)
    if "OSSAccessKeyId" in q or "Signature" in q:
        return _verify_v1_url(method, bucket, key, q, headers, creds, now)
    raise OssError("AccessDenied", "You have no right to access this object because of bucket acl.")


def _verify_v1_header(
    method: str,
    bucket: str | None,
    key: str,
    q: dict[str, str],
    headers: Mapping[str, str],
    auth: str,
    creds: Credentials,
    now: float,
) -> str:
    ak, sep, provided = auth[4:].strip().rpartition(":")
    if not sep or not ak:
        raise _invalid_auth("Authorization header is invalid.")
    if ak != creds.access_key_id:
        raise _bad_key(ak)
    date = headers.get("x-oss-date") or headers.get("Date", "")
    when = parse_http_date(date) if date else None
    if when is None:
        raise OssError("AccessDenied", "OSS authentication requires a valid Date.")
    if abs(now - when) > MAX_SKEW_SECONDS:
        raise _skewed(date, now)
    sts = v1_string_to_sign(method, bucket, key, q.items(), headers, date)
    if not hmac.compare_digest(v1_signature(creds.access_key_secret, sts), provided):
        raise _mismatch(ak, provided, sts)
    return "v1"


def _verify_v1_url(
    method: str,
    bucket: str | None,
    key: str,
    q: dict[str, str],
    headers: Mapping[str, str],
    creds: Credentials,
    now: float,
) -> str:
    ak, expires, provided = q.get("OSSAccessKeyId", ""), q.get("Expires", ""), q.get("Signature", "")
    if not (ak and expires and provided):
        raise OssError("AccessDenied", "OSSAccessKeyId, Expires and Signature are all required.")
    if ak != creds.access_key_id:
        raise _bad_key(ak)
    if not expires.isdigit():
        raise _invalid_auth("Expires is not a number.")
    if now > int(expires):
        raise _expired(expires, now)
    sts = v1_string_to_sign(method, bucket, key, q.items(), headers, expires)
    if not hmac.compare_digest(v1_signature(creds.access_key_secret, sts), provided):
        raise _mismatch(ak, provided, sts)
    return "v1-url"


def _parse_v4_auth(auth: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in auth[len("OSS4-HMAC-SHA256 ") :].split(","):
        name, sep, value = item.strip().partition("=")
        if sep:
            fields[name.strip()] = value.strip()
    if "Credential" not in fields or "Signature" not in fields:
        raise _invalid_auth("Authorization header is invalid.")
    return fields


def _verify_v4_header(
    method: str,
    bucket: str | None,
    key: str,
    q: dict[str, str],
    headers: Mapping[str, str],
    auth: str,
    creds: Credentials,
    now: float,
) -> str:
    fields = _parse_v4_auth(auth)
    date_time = headers.get("x-oss-date", "")
    when = _iso_time(date_time)
    if when is None:
        raise OssError("AccessDenied", "OSS V4 authentication requires a valid x-oss-date header.")
    ak = _check_scope(fields["Credential"], creds, date_time)
    if "x-oss-content-sha256" not in headers:
        raise _invalid_auth("x-oss-content-sha256 header is required with V4 signatures.")
    if abs(now - when) > MAX_SKEW_SECONDS:
        raise _skewed(date_time, now)
    additional = [h for h in fields.get("AdditionalHeaders", "").split(";") if h]
    canonical = v4_canonical_request(method, bucket, key, q.items(), headers, additional)
    sig, sts = v4_signature(creds.access_key_secret, date_time, creds.region, canonical)
    if not hmac.compare_digest(sig, fields["Signature"]):
        raise _mismatch(ak, fields["Signature"], sts)
    return "v4"


def _verify_v4_url(
    method: str,
    bucket: str | None,
    key: str,
    q: dict[str, str],
    headers: Mapping[str, str],
    creds: Credentials,
    now: float,
) -> str:
    date_time = q.get("x-oss-date", "")
    when = _iso_time(date_time)
    expires = q.get("x-oss-expires", "")
    provided = q.get("x-oss-signature", "")
    if when is None or not expires.isdigit() or not provided or "x-oss-credential" not in q:
        raise OssError("AccessDenied", "The V4 signed URL is missing or has invalid parameters.")
    ak = _check_scope(q["x-oss-credential"], creds, date_time)
    if int(expires) > MAX_V4_URL_EXPIRES:
        raise _invalid_auth("x-oss-expires must be at most 604800 seconds.")
    if now > when + int(expires):
        raise _expired(str(int(when) + int(expires)), now)
    additional = [h for h in q.get("x-oss-additional-headers", "").split(";") if h]
    canonical = v4_canonical_request(method, bucket, key, q.items(), headers, additional, drop=("x-oss-signature",))
    sig, sts = v4_signature(creds.access_key_secret, date_time, creds.region, canonical)
    if not hmac.compare_digest(sig, provided):
        raise _mismatch(ak, provided, sts)
    return "v4-url"
