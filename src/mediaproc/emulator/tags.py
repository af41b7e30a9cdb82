"""Object tags as both services bound them, checked once for the OSS and the COS front.

OSS (object tagging; EC pages 0010-00000209/214/217) and COS (PutObjectTagging,
cloud.tencent.com/document/product/436/42997) agree: at most 10 tags per object, keys 1-128 and
values 0-256 characters, keys unique, letters, digits, spaces and ``+ - = . _ : /`` (COS adds
``@``). Letters of any script pass: oss2's own tests store Chinese tags, so the service accepts them.
Each front raises its own error from the problem returned here.
"""

from __future__ import annotations

from collections.abc import Iterable

MAX_TAGS = 10
MAX_KEY = 128
MAX_VALUE = 256
OSS_PUNCTUATION = frozenset(" +-=._:/")
COS_PUNCTUATION = OSS_PUNCTUATION | {"@"}


def tag_problem(pairs: Iterable[tuple[str, str]], punctuation: frozenset[str]) -> str | None:
    """Why these tags are refused, or None when they are fine."""
    items = list(pairs)
    if len(items) > MAX_TAGS:
        return f"An object can have at most {MAX_TAGS} tags."
    seen: set[str] = set()
    for key, value in items:
        if not key or len(key) > MAX_KEY:
            return f"A tag key must be 1-{MAX_KEY} characters."
        if len(value) > MAX_VALUE:
            return f"A tag value must be at most {MAX_VALUE} characters."
        for text in (key, value):
            if not all(c.isalnum() or c in punctuation for c in text):
                allowed = " ".join(sorted(punctuation - {" "}))
                return f"A tag may hold letters, digits, spaces and {allowed} only."
        if key in seen:
            return f"The tag key {key!r} is given twice."
        seen.add(key)
    return None
