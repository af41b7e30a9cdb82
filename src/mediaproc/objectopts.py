"""Object options: what an upload can say about the object it creates, for every cloud, in one bundle.

``mediaproc upload`` (OSS and COS) and ``mediaproc cos process --on-upload`` (the COS seed's
``ci_put_object``) take the same options: ACL, storage class, user metadata, the standard headers an
object keeps (Content-Type, -Disposition, -Encoding, -Language, Cache-Control, Expires), Content-MD5
checking, a traffic limit and (COS) ACL grants. They are parsed and checked here once, against the
clouds' own value lists, so the CLI, the providers and ``mediaproc serve`` (which refuses the same
values the services refuse) all read one table.

The facts, by page:

- OSS PutObject (help.aliyun.com/zh/oss/developer-reference/putobject): ``x-oss-object-acl``
  default | private | public-read | public-read-write; ``x-oss-storage-class`` Standard | IA |
  Archive | ColdArchive | DeepColdArchive; ``x-oss-meta-*`` (names are case-insensitive, letters,
  digits and hyphens; all user metadata at most 8 KB); Cache-Control, Content-Disposition,
  Content-Encoding, Expires (and Content-Language, which OSS keeps and returns); Content-MD5 is
  checked by the service (InvalidDigest). Single-connection bandwidth limit ``x-oss-traffic-limit``
  in bit/s, 819200-838860800 (help.aliyun.com/zh/oss/user-guide/single-connection-bandwidth-throttling).
  OSS has no per-object grants: ``--grant-read``/``--grant-full-control`` are refused (exit 2).
- COS PUT Object (cloud.tencent.com/document/product/436/7749) and the COS seed's ``ci_put_object``:
  ``x-cos-acl`` default | private | public-read; ``x-cos-grant-read`` / ``x-cos-grant-full-control``
  (``id="OwnerUin"``); ``x-cos-storage-class`` STANDARD | STANDARD_IA | ARCHIVE | DEEP_ARCHIVE |
  INTELLIGENT_TIERING | MAZ_STANDARD | MAZ_STANDARD_IA | MAZ_INTELLIGENT_TIERING; ``x-cos-meta-*``
  (at most 2 KB); the same standard headers; ``EnableMD5`` (the SDK sends Content-MD5, the service
  answers BadDigest on a mismatch, intl.cloud.tencent.com/document/api/436/7730);
  ``x-cos-traffic-limit`` 819200-838860800 bit/s.
- The local provider stores plain files: none of these has an equivalent there, so every one is
  refused (exit 2) rather than silently dropped.

Storage classes are accepted in either cloud's spelling or a short alias (``ia``, ``archive``,
``cold-archive``, ``deep-archive``) and sent in the target cloud's spelling.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from mediaproc.errors import UsageError
from mediaproc.i18n import _

TRAFFIC_LIMIT = (819_200, 838_860_800)  # bit/s, the same range on OSS and COS
# The most user metadata (names without their x-oss-meta-/x-cos-meta- prefix, plus values, in bytes) an
# object takes. OSS refuses "8 KB or more" (help.aliyun.com/en/oss/user-guide/0011-00000002); COS
# limits "the header suffix and the value" to 2 KB (cloud.tencent.com/document/product/436/7749).
MAX_META_BYTES = {"oss": 8 * 1024 - 1, "cos": 2 * 1024}
ACLS = {
    "oss": ("default", "private", "public-read", "public-read-write"),
    "cos": ("default", "private", "public-read"),
}
STORAGE_CLASSES = {
    "oss": ("Standard", "IA", "Archive", "ColdArchive", "DeepColdArchive"),
    "cos": ("STANDARD", "STANDARD_IA", "ARCHIVE", "DEEP_ARCHIVE", "INTELLIGENT_TIERING", "MAZ_STANDARD",
            "MAZ_STANDARD_IA", "MAZ_INTELLIGENT_TIERING"),
}
# short aliases -> (OSS spelling, COS spelling); None where a cloud has no such class
_CLASS_ALIASES: dict[str, tuple[str | None, str | None]] = {
    "standard": ("Standard", "STANDARD"),
    "ia": ("IA", "STANDARD_IA"),
    "standard-ia": ("IA", "STANDARD_IA"),
    "archive": ("Archive", "ARCHIVE"),
    "cold-archive": ("ColdArchive", None),
    "deep-archive": ("DeepColdArchive", "DEEP_ARCHIVE"),
    "intelligent-tiering": (None, "INTELLIGENT_TIERING"),
}
# A metadata name holds letters, digits and '-' on both clouds: OSS 0011-00000004 ("underscores (_)
# and other characters are not supported"), COS 7749 ("头部后缀不支持下划线，仅支持减号"). Neither page puts
# the '-' anywhere in particular, so a name may start or end with one (serve must not refuse more).
META_NAME = re.compile(r"^[A-Za-z0-9-]+$")
CLOUDS = ("oss", "cos")

# option name (as typed) per field, for messages
OPTION_NAMES = {
    "acl": "--acl",
    "storage_class": "--storage-class",
    "meta": "--meta",
    "content_type": "--content-type",
    "content_disposition": "--content-disposition",
    "content_encoding": "--content-encoding",
    "content_language": "--content-language",
    "cache_control": "--cache-control",
    "expires": "--expires-header",
    "content_md5": "--content-md5",
    "traffic_limit": "--traffic-limit",
    "grant_read": "--grant-read",
    "grant_full_control": "--grant-full-control",
}
# what each provider can set (local: nothing, it stores plain files)
SUPPORTED: dict[str, frozenset[str]] = {
    "oss": frozenset(OPTION_NAMES) - {"grant_read", "grant_full_control"},
    "cos": frozenset(OPTION_NAMES),
    "local": frozenset(),
}


@dataclass(frozen=True)
class ObjectOptions:
    """What to set on an object created by an upload; every field unset by default."""

    acl: str | None = None
    storage_class: str | None = None
    meta: tuple[tuple[str, str], ...] = ()  # user metadata, names lower-cased, without x-oss-meta-/x-cos-meta-
    content_type: str | None = None
    content_disposition: str | None = None
    content_encoding: str | None = None
    content_language: str | None = None
    cache_control: str | None = None
    expires: str | None = None  # an HTTP date, sent as the Expires header
    content_md5: bool = False  # send Content-MD5 so that the service checks the bytes it received
    traffic_limit: int | None = None  # bit/s
    grant_read: str | None = None  # COS: id="OwnerUin"[,id="..."]
    grant_full_control: str | None = None

    def given(self) -> list[str]:
        """The fields that were set, in declaration order."""
        return [f.name for f in fields(self) if getattr(self, f.name) not in (None, (), False)]

    def __bool__(self) -> bool:
        return bool(self.given())

    def check(self, provider: str) -> ObjectOptions:
        """Refuse (exit 2) what ``provider`` has no equivalent for, and values it would refuse."""
        unsupported = [name for name in self.given() if name not in SUPPORTED.get(provider, frozenset())]
        if unsupported:
            options = ", ".join(OPTION_NAMES[n] for n in unsupported)
            if provider == "local":
                raise UsageError(
                    _("{options}: the local provider stores plain files and has no equivalent").format(
                        options=options),
                    hint=_("upload to oss:// or cos:// to set object options"),
                )
            raise UsageError(
                _("{options}: {provider} has no equivalent").format(options=options, provider=provider.upper()),
                hint=_("OSS has no per-object grants; use --acl (default, private, public-read, public-read-write)")
                if provider == "oss" else None,
            )
        if provider in CLOUDS:
            if self.acl is not None:
                acl_for(provider, self.acl)
            if self.storage_class is not None:
                storage_class_for(provider, self.storage_class)
            size = meta_size(self.meta)
            if size > MAX_META_BYTES[provider]:
                raise UsageError(
                    _("the user metadata is {size} bytes; {provider} takes at most {max}").format(
                        size=size, provider=provider.upper(), max=MAX_META_BYTES[provider]),
                    hint=_("store less in --meta (it travels in every response header)"),
                )
        return self


def acl_for(cloud: str, text: str) -> str:
    """The cloud's canned ACL for ``text`` (case-insensitive), or a usage error listing them."""
    value = text.strip().lower()
    if value not in ACLS[cloud]:
        raise UsageError(
            _("{value!r} is not an object ACL on {cloud}").format(value=text, cloud=cloud.upper()),
            hint=_("use one of: {values}").format(values=", ".join(ACLS[cloud])),
        )
    return value


def storage_class_for(cloud: str, text: str) -> str:
    """The cloud's spelling of a storage class given in either cloud's spelling or an alias."""
    key = text.strip()
    for own in STORAGE_CLASSES[cloud]:
        if own.lower() == key.lower():
            return own
    alias = _CLASS_ALIASES.get(key.lower().replace("_", "-"))
    if alias is None:  # the other cloud's spelling
        for at, other in enumerate(CLOUDS):
            name = next((n for n in STORAGE_CLASSES[other] if n.lower() == key.lower()), None)
            if name is not None:
                alias = next((a for a in _CLASS_ALIASES.values() if a[at] == name), None)
                break
    found = alias[CLOUDS.index(cloud)] if alias is not None else None
    if found is None:
        raise UsageError(
            _("{value!r} is not a storage class on {cloud}").format(value=text, cloud=cloud.upper()),
            hint=_("use one of: {values}").format(values=", ".join(STORAGE_CLASSES[cloud])),
        )
    return found


def parse_meta(items: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """``--meta KEY=VALUE`` words -> (lower-cased name, value) pairs; a name given twice is refused."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip().lower()
        for prefix in ("x-oss-meta-", "x-cos-meta-"):
            name = name.removeprefix(prefix)
        if not sep or not META_NAME.match(name):
            raise UsageError(
                _("--meta {item!r} is not NAME=VALUE with a name of letters, digits and -").format(item=item),
                hint=_("e.g. --meta author=alice --meta project=launch"),
            )
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise UsageError(
                _("--meta {name}: the value holds a control character").format(name=name),
                hint=_("metadata travels in an HTTP header: one line of text"),
            )
        if name in out:
            raise UsageError(_("--meta {name} was given twice").format(name=name), hint=_("give each name once"))
        out[name] = value
    return tuple(out.items())


def check_expires(text: str) -> str:
    """An ``Expires`` header value must be an HTTP date (RFC 9110), as both clouds store it verbatim."""
    from email.utils import parsedate_to_datetime  # ~5 ms: only when an Expires is given

    try:
        parsedate_to_datetime(text)
    except (TypeError, ValueError):
        raise UsageError(
            _("--expires-header {text!r} is not an HTTP date").format(text=text),
            hint=_('e.g. --expires-header "Wed, 21 Oct 2026 07:28:00 GMT"'),
        ) from None
    return text


def check_traffic_limit(value: int) -> int:
    low, high = TRAFFIC_LIMIT
    if not low <= value <= high:
        raise UsageError(
            _("--traffic-limit {value} is outside {low}-{high} bit/s (100 KB/s to 100 MB/s)").format(
                value=value, low=low, high=high),
            hint=_("e.g. --traffic-limit 8388608 for 1 MB/s"),
        )
    return value


def build(
    *,
    acl: str | None = None,
    storage_class: str | None = None,
    meta: Iterable[str] = (),
    content_type: str | None = None,
    content_disposition: str | None = None,
    content_encoding: str | None = None,
    content_language: str | None = None,
    cache_control: str | None = None,
    expires: str | None = None,
    content_md5: bool = False,
    traffic_limit: int | None = None,
    grant_read: str | None = None,
    grant_full_control: str | None = None,
) -> ObjectOptions:
    """The bundle from the command line's values, each checked on its own (the provider's own check
    comes when it is known: :meth:`ObjectOptions.check`)."""
    for name, text in (("--content-type", content_type), ("--content-disposition", content_disposition),
                       ("--content-encoding", content_encoding), ("--content-language", content_language),
                       ("--cache-control", cache_control), ("--grant-read", grant_read),
                       ("--grant-full-control", grant_full_control)):
        if text is not None and (not text.strip() or any(ord(c) < 32 for c in text)):
            raise UsageError(
                _("{option} {text!r} is not one line of header text").format(option=name, text=text),
                hint=_("give a non-empty value without control characters"),
            )
    return ObjectOptions(
        acl=acl,
        storage_class=storage_class,
        meta=parse_meta(meta),
        content_type=content_type,
        content_disposition=content_disposition,
        content_encoding=content_encoding,
        content_language=content_language,
        cache_control=cache_control,
        expires=check_expires(expires) if expires is not None else None,
        content_md5=content_md5,
        traffic_limit=check_traffic_limit(traffic_limit) if traffic_limit is not None else None,
        grant_read=grant_read,
        grant_full_control=grant_full_control,
    )


def standard_headers(options: ObjectOptions) -> dict[str, str]:
    """The standard HTTP headers the options set (the same names on both clouds)."""
    pairs = (
        ("Content-Type", options.content_type),
        ("Content-Disposition", options.content_disposition),
        ("Content-Encoding", options.content_encoding),
        ("Content-Language", options.content_language),
        ("Cache-Control", options.cache_control),
        ("Expires", options.expires),
    )
    return {k: v for k, v in pairs if v is not None}


def file_md5(path: Path) -> str:
    """``Content-MD5``: the base64 of the file's MD5 digest (RFC 1864), streamed."""
    import base64
    import hashlib

    digest = hashlib.md5()
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return base64.b64encode(digest.digest()).decode("ascii")


def meta_size(meta: Iterable[tuple[str, str]]) -> int:
    """The bytes user metadata counts against :data:`MAX_META_BYTES`: names (without prefix) and values."""
    return sum(len(k.encode("utf-8")) + len(v.encode("utf-8", "surrogateescape")) for k, v in meta)


def check_user_meta(cloud: str, meta: Mapping[str, str]) -> tuple[str, str] | None:
    """For ``mediaproc serve``: why ``cloud`` would refuse a request's user metadata (names without
    their prefix), as ``("name" | "size", message)``; None when it takes it."""
    for name in meta:
        if not META_NAME.match(name):
            return "name", f"The user metadata name {name!r} is not valid: use letters, digits and '-'."
    size = meta_size(meta.items())
    if size > MAX_META_BYTES[cloud]:
        return "size", f"The user metadata is {size} bytes; at most {MAX_META_BYTES[cloud]} are allowed."
    return None


def check_header_values(cloud: str, headers: Mapping[str, str]) -> str | None:
    """For ``mediaproc serve``: why a request's ACL, storage class or traffic limit would be refused by
    ``cloud`` (None when they are fine). The header names are the cloud's (``x-oss-...``/``x-cos-...``)."""
    prefix = f"x-{cloud}-"
    lower = {k.lower(): v for k, v in headers.items()}
    acl = lower.get(prefix + ("object-acl" if cloud == "oss" else "acl"))
    if acl is not None and acl not in ACLS[cloud]:
        return f"The ACL {acl!r} is not valid."
    cls = lower.get(prefix + "storage-class")
    if cls is not None and cls not in STORAGE_CLASSES[cloud]:
        return f"The storage class {cls!r} is not valid."
    limit = lower.get(prefix + "traffic-limit")
    if limit is not None:
        try:
            check_traffic_limit(int(limit))
        except (ValueError, UsageError):
            return f"The traffic limit {limit!r} is outside {TRAFFIC_LIMIT[0]}-{TRAFFIC_LIMIT[1]} bit/s."
    return None
