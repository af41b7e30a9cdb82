"""The IMM (POP V3, ``ACS3-HMAC-SHA256``) signature check, re-computed from the request.

HMAC-SHA256 with the raw secret over ``ACS3-HMAC-SHA256\\n<hex sha256(canonical request)>``; the
payload hash is computed from the body the server received. Errors carry POP's codes:
``InvalidAccessKeyId.NotFound``, ``IncompleteSignature``, ``InvalidTimeStamp.Expired``,
``SignatureNonceUsed`` (a replayed nonce). Comparisons are constant-time.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import threading
import time
from collections.abc import Mapping
from urllib.parse import quote

from mediaproc.emulator.auth import MAX_SKEW_SECONDS, Credentials, Pairs, first_values
from mediaproc.emulator.errors import ImmError


class NonceCache:
    """Remembers signature nonces for the skew window: a replayed request is refused."""

    def __init__(self, limit: int = 100_000) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._limit = limit

    def use(self, nonce: str, now: float) -> bool:
        with self._lock:
            if len(self._seen) > self._limit:
                cutoff = now - 2 * MAX_SKEW_SECONDS
                self._seen = {n: t for n, t in self._seen.items() if t > cutoff}
            if nonce in self._seen:
                return False
            self._seen[nonce] = now
            return True


def acs3_canonical_request(
    method: str,
    path: str,
    query: Pairs,
    headers: Mapping[str, str],
    signed_headers: list[str],
    payload_hash: str,
    get_all: dict[str, list[str]],
) -> str:
    params = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in first_values(query).items())
    canon_query = "&".join(f"{k}={v}" for k, v in params)
    lines = []
    for name in signed_headers:
        values = get_all.get(name, [])
        lines.append(f"{name}:{','.join(sorted(v.strip() for v in values))}\n")
    return "\n".join([method, path or "/", canon_query, "".join(lines), ";".join(signed_headers), payload_hash])


def verify_acs3(
    method: str,
    path: str,
    query: Pairs,
    headers: Mapping[str, str],
    header_values: dict[str, list[str]],
    body: bytes,
    creds: Credentials,
    nonces: NonceCache,
    *,
    now: float | None = None,
) -> None:
    """Check a POP V3 (``ACS3-HMAC-SHA256``) request; raise :class:`ImmError` if it fails.

    ``header_values`` maps each lower-case header name to all its received values.
    """
    now = time.time() if now is None else now
    auth = headers.get("Authorization", "")
    if not auth:
        raise ImmError("MissingAccessKeyId", "AccessKeyId is mandatory for this action.", status=400)
    algo, _sp, rest = auth.partition(" ")
    if algo != "ACS3-HMAC-SHA256":
        raise ImmError("IncompleteSignature", "The request signature does not conform to Aliyun standards.")
    fields: dict[str, str] = {}
    for item in rest.split(","):
        name, sep, value = item.strip().partition("=")
        if sep:
            fields[name] = value
    ak = fields.get("Credential", "")
    signed = [h for h in fields.get("SignedHeaders", "").split(";") if h]
    provided = fields.get("Signature", "")
    if not ak or not provided or not signed:
        raise ImmError("IncompleteSignature", "The request signature does not conform to Aliyun standards.")
    if ak != creds.access_key_id:
        raise ImmError("InvalidAccessKeyId.NotFound", "Specified access key is not found.")
    stamp = headers.get("x-acs-date", "")
    try:
        when = calendar.timegm(time.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ"))
    except ValueError:
        raise ImmError("InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.") from None
    if abs(now - when) > MAX_SKEW_SECONDS:
        raise ImmError("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
    unsigned = [h for h in header_values if (h.startswith("x-acs-") or h == "host") and h not in signed]
    if unsigned:
        raise ImmError(
            "IncompleteSignature",
            f"The request signature does not conform to Aliyun standards: header {unsigned[0]} is not signed.",
        )
    payload_hash = hashlib.sha256(body).hexdigest()
    canonical = acs3_canonical_request(method, path, query, headers, signed, payload_hash, header_values)
    string_to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    expected = hmac.new(
        creds.access_key_secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256
    ).hexdigest()
    if not hmac.compare_digest(expected, provided):
        raise ImmError(
            "IncompleteSignature",
            f"The request signature does not conform to Aliyun standards. server string to sign is:{string_to_sign}",
        )
    nonce = headers.get("x-acs-signature-nonce", "")
    if nonce and not nonces.use(nonce, now):
        raise ImmError("SignatureNonceUsed", "Specified signature nonce was used already.")
