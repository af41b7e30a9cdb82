"""Persistent processing: the ``Pic-Operations`` header that saves a rule's result as an object, its
parser for the emulator, and where a rule's ``fileid`` lands.

A save is ``POST /<key>?image_process`` (an object already in the bucket) or ``PUT /<key>`` (process
on upload) with ``Pic-Operations: {"is_pic_info":1,"rules":[{"fileid":..,"rule":..}]}``. Checked
(searched 2026-11-21) in the Cloud Infinite persistent processing pages (docs' source repository
tencentyun/qcloud-documents): "up to five rules are supported"; a ``fileid`` starting with ``/``
is from the bucket root, otherwise relative to the source's folder; an optional ``bucket`` saves
into another bucket.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath

from mediaproc.errors import InvalidOperation
from mediaproc.i18n import _

__all__ = ["MAX_RULES", "check_rule_count", "fileid_for", "fileid_key", "parse_pic_operations", "pic_operations"]

MAX_RULES = 5  # Pic-Operations: "up to five rules are supported"


def check_rule_count(n: int, hint: str | None = None) -> None:
    """Refuse more than :data:`MAX_RULES` rules in one request: the one check (and message) of the
    header writer, its reader in serve, and ``cos process`` before any upload."""
    if n > MAX_RULES:
        raise InvalidOperation(
            _("{n} rules given; Pic-Operations takes at most {max}").format(n=n, max=MAX_RULES),
            hint=hint or _("split the rules over several requests"),
        )


def pic_operations(rules: Sequence[Mapping[str, str]], *, is_pic_info: bool = True) -> str:
    """The ``Pic-Operations`` header: ``{"is_pic_info":1,"rules":[{"fileid":..,"rule":..}]}``.

    ``fileid`` starting with ``/`` is from the bucket root, otherwise relative to the source's
    folder; an optional ``bucket`` saves into another bucket. At most five rules.
    """
    if not rules:
        raise InvalidOperation(_("Pic-Operations needs at least one rule"), hint=_("add --rule"))
    check_rule_count(len(rules))
    out = []
    for r in rules:
        item = {"fileid": r["fileid"], "rule": r["rule"]}
        if r.get("bucket"):
            item["bucket"] = r["bucket"]
        out.append(item)
    return json.dumps({"is_pic_info": 1 if is_pic_info else 0, "rules": out}, ensure_ascii=False, separators=(",", ":"))


def parse_pic_operations(header: str) -> tuple[bool, list[dict[str, str]]]:
    """The inverse of :func:`pic_operations`, for the emulator: (is_pic_info, rules)."""
    try:
        data = json.loads(header)
        rules = data.get("rules") or []
        parsed = [
            {
                "fileid": str(r["fileid"]),
                "rule": str(r["rule"]),
                **({"bucket": str(r["bucket"])} if r.get("bucket") else {}),
            }
            for r in rules
        ]
    except (ValueError, TypeError, KeyError, AttributeError):
        raise InvalidOperation(
            _("Pic-Operations is not valid JSON with rules[{fileid, rule}]"), hint=_("see the COS docs")
        ) from None
    check_rule_count(len(parsed))
    return bool(int(data.get("is_pic_info", 0) or 0)), parsed


def fileid_key(source_key: str, fileid: str) -> str:
    """Where a rule's result is stored: ``/a/b.jpg`` from the root, ``b.jpg`` beside the source."""
    if fileid.startswith("/"):
        return fileid.lstrip("/")
    parent = str(PurePosixPath(source_key).parent)
    return fileid if parent in ("", ".") else f"{parent}/{fileid}"


def fileid_for(source_key: str, dest_key: str) -> str:
    """The ``fileid`` that stores at ``dest_key`` (always absolute: no surprise about folders)."""
    return "/" + dest_key.lstrip("/")
