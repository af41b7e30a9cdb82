"""What may be shown: secrets never, sizes in one unit system. One policy for every layer.

Each provider, the URL-source service and the output used to carry their own redactor (four policies,
four placeholders), and each cloud provider its own SDK-log silencer (the OSS one missed the
``credentials`` logger of alibabacloud-credentials, so a run without credentials printed three
tracebacks before its clean exit 3). Sizes were ``20 MB`` in one message and ``19.1 MiB`` in the next.
This core module is the one place for these facts; it imports nothing of mediaproc and no SDK.

What is secret (shown as :data:`PLACEHOLDER`):

* the query string of any absolute ``http(s)`` URL: a signed URL's query (OSS V1 ``OSSAccessKeyId`` /
  ``Expires`` / ``Signature``, V4 ``x-oss-credential`` / ``x-oss-signature``, COS ``q-ak`` /
  ``q-signature``, STS ``*-security-token``) is a credential for as long as it lives, and a URL from
  elsewhere may sign under any name, so the whole query goes; so do user info and fragment;
* the query string of a path in free text (``/a.jpg?...``, what urllib3 and the SDKs log) when it is
  signed: it names one of :data:`SIGNED_QUERY_MARKERS`;
* the value of every :data:`SECRET_NAMES` parameter, header or field (``name=v``, ``name: v``,
  ``'name': 'v'``, ``"name": "v"``), the whole value of an ``Authorization`` header, and the
  signature part of a bare ``OSS4-HMAC-SHA256 ...`` / ``OSS ak:sig`` / ``ACS3-...`` value;
* derived signing keys (qcloud_cos logs ``sign_key`` as hex, with and without a separator);
* every credential value handed in: :func:`remember_secret` (the providers register the AccessKey
  secret and STS token they resolve) and the ``secrets`` argument, raw and percent-encoded.

What is shown as it is: scheme, host and path of a URL; harmless parameters of an unsigned relative
query (``x-oss-process``); AccessKey ids outside those names (an id alone signs nothing).

SDK logs are silenced, and redacted with :func:`redact` under ``--debug``, by :mod:`mediaproc.sdklogs`:
its own module so that the runs that never build a cloud client (every local one) do not import
``logging``.

Sizes (:func:`human_size`): decimal units (``kB``, ``MB``, ``GB``, ``TB``), the units in which the
clouds document their limits ("20 MB" image sources, "5 GB" single PUT), so a size and the limit it
is compared with read alike.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import cache
from urllib.parse import quote, urlsplit, urlunsplit

from mediaproc import TYPE_CHECKING

if TYPE_CHECKING:
    pass

PLACEHOLDER = "<redacted>"

# Names whose value is a credential, a signature or a token, wherever they stand (query, header,
# dict, JSON). Matched case-insensitively and as whole names (``continuation-token`` is not ``token``).
SECRET_NAMES: tuple[str, ...] = (
    # Alibaba Cloud OSS (V1, V4), IMM / OpenAPI (ACS3), STS
    "signature", "x-oss-signature", "x-oss-credential", "ossaccesskeyid", "x-oss-security-token",
    "x-acs-security-token", "security-token", "securitytoken", "accesskeyid", "access_key_id",
    "accesskeysecret", "access_key_secret", "sts_token", "credential",
    # Tencent Cloud COS / Cloud Infinite
    "q-signature", "q-ak", "x-cos-security-token", "x-ci-security-token", "secretid", "secret_id",
    "secretkey", "secret_key", "token", "sessiontoken", "session_token",
    # S3-style presigned URLs, generic secrets, derived signing material
    "x-amz-signature", "x-amz-credential", "x-amz-security-token", "password", "sign", "sign_key",
)
# A relative query string naming one of these is a signed one: it is replaced whole.
SIGNED_QUERY_MARKERS: frozenset[str] = frozenset(
    {*SECRET_NAMES, "expires", "x-oss-expires", "x-amz-expires", "q-sign-time", "q-key-time",
     "q-sign-algorithm", "x-oss-signature-version"}
)

_URL_TRAILER = ".,;:)]}!?"  # punctuation after a URL, and the "?" of a query already redacted


class _Patterns:
    """The patterns :func:`redact` applies, compiled the first time a text is redacted
    (:func:`_patterns`): most runs redact nothing, and compiling them at import cost ~1 ms of every
    one-shot run."""

    def __init__(self) -> None:
        names = "|".join(sorted((re.escape(n) for n in SECRET_NAMES), key=len, reverse=True))
        self.url = re.compile(r"(?i)\bhttps?://[^\s'\"<>`]+")
        self.query = re.compile(r"\?([^\s'\"<>#`]+)")
        self.auth_header = re.compile(
            r"(?i)(?<![\w-])((?:proxy-)?authorization)(['\"]?\s*[:=]\s*)(['\"]?)([^'\"\r\n]+)")
        self.auth_value = re.compile(
            r"\b(OSS4-HMAC-SHA256|ACS3-HMAC-SHA256|AWS4-HMAC-SHA256|TC3-HMAC-SHA256)\s+[^'\"\r\n]+")
        self.auth_v1 = re.compile(r"\bOSS [A-Za-z0-9._-]+:[A-Za-z0-9+/=]+")
        self.named = re.compile(rf"(?i)(?<![\w-])({names})(['\"]?\s*[:=]\s*['\"]?)([^\s&'\",;}})\]<>]+)")
        self.derived_key = re.compile(r"(?i)(?<![\w-])(sign_?key)(\W{0,4})([0-9a-f]{16,})")


@cache
def _patterns() -> _Patterns:
    return _Patterns()
_MIN_SECRET = 8  # shorter values would replace ordinary words

# Replaced, never mutated: a batch's threads redact while a credential refresh remembers a new token.
_known_secrets: frozenset[str] = frozenset()
_secrets_lock = threading.Lock()


def remember_secret(value: str | None) -> None:
    """Register a credential value (AccessKey secret, STS token) so that :func:`redact` removes it
    wherever it turns up, including in texts that name it under no recognisable parameter."""
    global _known_secrets
    if value and len(value) >= _MIN_SECRET and value not in _known_secrets:
        with _secrets_lock:
            _known_secrets = _known_secrets | {value}


def redact_url(url: str) -> str:
    """``scheme://host/path?<redacted>``: user info, query and fragment gone (see the module docstring)."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc.rsplit("@", 1)[-1]
        return urlunsplit((parts.scheme, netloc, parts.path, PLACEHOLDER if parts.query else "", ""))
    except ValueError:  # not parseable as a URL: keep what precedes the query, never the query
        base, sep, _query = url.partition("?")
        return base.split("#", 1)[0] + (f"?{PLACEHOLDER}" if sep else "")


def _url(match: re.Match[str]) -> str:
    text = match.group(0)
    core = text.rstrip(_URL_TRAILER)
    return redact_url(core) + text[len(core):]


def _query(match: re.Match[str]) -> str:
    names = {item.partition("=")[0].lower() for item in match.group(1).split("&")}
    return f"?{PLACEHOLDER}" if names & SIGNED_QUERY_MARKERS else match.group(0)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every secret of the policy (module docstring) replaced by :data:`PLACEHOLDER`."""
    for value in sorted({*(s for s in secrets if s and len(s) >= _MIN_SECRET), *_known_secrets}, key=len,
                        reverse=True):
        for form in {value, quote(value, safe="")}:
            text = text.replace(form, PLACEHOLDER)
    rx = _patterns()
    text = rx.url.sub(_url, text)
    text = rx.query.sub(_query, text)
    text = rx.auth_header.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}{PLACEHOLDER}", text)
    text = rx.auth_value.sub(lambda m: f"{m.group(1)} {PLACEHOLDER}", text)
    text = rx.auth_v1.sub(f"OSS {PLACEHOLDER}", text)
    text = rx.derived_key.sub(lambda m: f"{m.group(1)}{m.group(2)}{PLACEHOLDER}", text)
    return rx.named.sub(lambda m: f"{m.group(1)}{m.group(2)}{PLACEHOLDER}", text)


# -- sizes -----------------------------------------------------------------------------------------
_UNITS = (("TB", 1000**4), ("GB", 1000**3), ("MB", 1000**2), ("kB", 1000))


def human_size(n: int) -> str:
    """``20 MB``, ``3.1 MB``, ``999 B``: decimal units, one decimal unless the value is whole."""
    for unit, factor in _UNITS:
        if n >= factor:
            value = n / factor
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} B"
