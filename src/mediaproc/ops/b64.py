"""URL-safe base64 as OSS spells it: ``-``/``_`` alphabet, trailing ``=`` removed.

Text, fonts, object keys, bucket names and topics travel this way. Decoders accept padded and
unpadded input (SPEC.md §2), and the standard ``+``/``/`` alphabet when it is unambiguous.
"""

from __future__ import annotations

import base64
import binascii
import re

_ALPHABET = re.compile(r"[A-Za-z0-9\-_+/]*={0,2}")


def b64encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def b64decode(text: str) -> str:
    """Decode URL-safe base64 (padded or not) to text; raises ValueError with a reason."""
    data = text.strip()
    if not _ALPHABET.fullmatch(data):
        raise ValueError("characters outside the URL-safe base64 alphabet")
    data = data.rstrip("=")
    if len(data) % 4 == 1:
        raise ValueError("truncated base64 (length leaves a single character)")
    data = data.replace("+", "-").replace("/", "_")
    data += "=" * (-len(data) % 4)
    try:
        raw = base64.urlsafe_b64decode(data)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(str(exc)) from exc
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError("decodes to bytes that are not UTF-8 text") from exc
