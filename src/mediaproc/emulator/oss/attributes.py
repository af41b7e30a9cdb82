"""What an OSS object carries besides its bytes: ACL, tags, storage class (with restores) and symlinks.

Each rule below is the OSS API reference's, read where it says it:

- ACL (PutObjectACL / PutBucketACL, help.aliyun.com/zh/oss/developer-reference/putobjectacl): an
  object's ACL is ``default`` (follow the bucket), ``private``, ``public-read`` or
  ``public-read-write``; a bucket's one of the last three. Any other value is ``InvalidArgument``.
  An unsigned request is served only where the effective ACL allows it (reads for public-read,
  writes too for public-read-write) and refused with ``AccessDenied`` otherwise.
- Tags (object tagging, help.aliyun.com/zh/oss/user-guide/object-tagging-8 and the EC pages
  0010-00000209/214/217/219): at most 10 per object, keys 1-128 and values 0-256 characters of
  letters, digits, space and ``+ - = . _ : /``, keys unique; in the ``x-oss-tagging`` header they
  are a URL-encoded query string. A refusal is ``InvalidTag``. ``x-oss-tagging-directive`` on
  CopyObject is ``Copy`` (the default: the source's tags) or ``Replace`` (the header's).
- Storage classes (help.aliyun.com/zh/oss/developer-reference/restoreobject): Standard, IA,
  Archive, ColdArchive, DeepColdArchive. An archived object is not readable (``403
  InvalidObjectState``) until a RestoreObject finishes: the first call answers 202, a call while it
  runs ``409 RestoreAlreadyInProgress``, a call after it 200 (the copy's days are extended), a
  call on a non-archived object ``400 OperationNotSupported``. HEAD and listings show the state
  (``x-oss-restore: ongoing-request="true"`` / ``ongoing-request="false", expiry-date="..."``).
  ColdArchive takes a tier (Expedited, Standard, Bulk; echoed in ``x-oss-object-restore-priority``);
  a ``JobParameters`` element on an Archive object is ``MalformedXML`` (observed from oss2's tests:
  the reference is silent). A restore here takes :data:`RESTORE_SECONDS`, not hours.
- Symlinks (PutSymlink / GetSymlink): a symlink names a target key in the same bucket
  (``x-oss-symlink-target``, URL-encoded); GET and HEAD of a symlink answer with the target's
  bytes, length and ETag and the symlink's own user metadata; a missing target is ``404
  SymlinkTargetNotExist``; a missing symlink is ``NoSuchKey``, a key that is not one ``400
  NotSymlink``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote

from aiohttp import web

from mediaproc import xmlbody
from mediaproc.emulator.errors import OssError
from mediaproc.emulator.oss.routing import Target
from mediaproc.emulator.oss.wire import (
    Ctx,
    Operation,
    OssService,
    answer,
    http_date,
    ok,
    parse_body,
    read_small,
    stored_headers,
    user_meta,
)
from mediaproc.emulator.tags import OSS_PUNCTUATION, tag_problem
from mediaproc.providers.local.records import ObjectAttrs, ObjectMeta, Restore

BUCKET_ACLS = ("private", "public-read", "public-read-write")
STORAGE_CLASSES = ("Standard", "IA", "Archive", "ColdArchive", "DeepColdArchive")
ARCHIVED = ("Archive", "ColdArchive", "DeepColdArchive")
RESTORE_TIERS = ("Expedited", "Standard", "Bulk")
RESTORE_SECONDS = 2.0  # how long a restore runs here (the service: a minute to hours)
DAY = 86400.0


# Anonymous requests: which operations each effective ACL lets through.
_PUBLIC_READ = frozenset({"GetObject", "HeadObject", "GetObjectMeta", "GetObjectWithProcess", "GetSymlink"})
_PUBLIC_WRITE = _PUBLIC_READ | {"PutObject", "AppendObject", "DeleteObject", "PutSymlink"}
_BUCKET_READ = frozenset({"ListObjects", "ListObjectsV2"})


def _acl_error(value: str) -> OssError:
    return OssError("InvalidArgument", f"no such bucket access control exists: {value!r}.")


def bucket_acl(value: str | None) -> str | None:
    if value is None:
        return None
    if value not in BUCKET_ACLS:
        raise _acl_error(value)
    return value


def storage_class(value: str | None) -> str | None:
    if value is None:
        return None
    for name in STORAGE_CLASSES:  # the service reads the class case-insensitively
        if value.lower() == name.lower():
            return name
    raise OssError("InvalidArgument", f"The storage class {value!r} is not valid.")


def _invalid_tag(message: str) -> OssError:
    return OssError("InvalidTag", message)


def check_tags(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Tags as the reference bounds them (:mod:`mediaproc.emulator.tags`), refused with ``InvalidTag``."""
    problem = tag_problem(pairs, OSS_PUNCTUATION)
    if problem is not None:
        raise _invalid_tag(problem)
    return dict(pairs)


def header_tags(headers: Mapping[str, str]) -> dict[str, str] | None:
    """The ``x-oss-tagging`` header (``k1=v1&k2=v2``, URL-encoded), or None without one."""
    raw = headers.get("x-oss-tagging")
    if raw is None:
        return None
    pairs: list[tuple[str, str]] = []
    for item in raw.split("&") if raw else []:
        if item.count("=") > 1:
            raise _invalid_tag("x-oss-tagging must be key1=value1&key2=value2.")
        k, _sep, v = item.partition("=")
        pairs.append((unquote(k), unquote(v)))
    return check_tags(pairs)


def upload_attrs(headers: Mapping[str, str]) -> ObjectAttrs:
    """The attributes a new object gets from its upload's headers (PutObject, the first append,
    InitiateMultipartUpload, PutSymlink, CopyObject with the Replace tagging directive): its tags.
    The storage class and ACL travel as the object's properties (``wire.stored_headers``)."""
    return ObjectAttrs(tags=header_tags(headers) or {})


def new_object(headers: Mapping[str, str], **attrs: object) -> dict[str, Any]:
    """What an upload's headers say about the object it creates (PutObject, InitiateMultipartUpload,
    PutSymlink): content type, user metadata, the stored standard headers and the attributes
    (``attrs`` overrides some of them, e.g. a symlink's target). The keywords of the store's writers."""
    return {
        "content_type": headers.get("Content-Type") or None,
        "user_meta": user_meta(headers),
        "headers": stored_headers(headers),
        "attrs": upload_attrs(headers).but(**attrs) if attrs else upload_attrs(headers),
    }


def copy_attrs(headers: Mapping[str, str], source: ObjectMeta) -> ObjectAttrs:
    """A copy's attributes: the source's tags unless ``x-oss-tagging-directive: Replace``."""
    directive = headers.get("x-oss-tagging-directive", "Copy").lower()
    if directive not in ("copy", "replace"):
        raise OssError("InvalidArgument", "x-oss-tagging-directive must be Copy or Replace.")
    attrs = upload_attrs(headers)
    return attrs if directive == "replace" else attrs.but(tags=dict(source.attrs.tags))


# --------------------------------------------------------------------------------------------
# headers and listing elements


def restore_header(restore: Restore | None, now: float | None = None) -> str | None:
    """``x-oss-restore`` (and a listing's ``RestoreInfo``): None when no restore was asked for or
    the restored copy has expired."""
    if restore is None:
        return None
    now = time.time() if now is None else now
    if now < restore.ready_at:
        return 'ongoing-request="true"'
    if now < restore.expires_at:
        return f'ongoing-request="false", expiry-date="{http_date(restore.expires_at)}"'
    return None


def attribute_headers(meta: ObjectMeta) -> dict[str, str]:
    """What HEAD and GET add for the attributes: the tag count, a restore's state, an append's
    next position."""
    h: dict[str, str] = {}
    if meta.attrs.tags:
        h["x-oss-tagging-count"] = str(len(meta.attrs.tags))
    if (restore := restore_header(meta.attrs.restore)) is not None:
        h["x-oss-restore"] = restore
    if meta.object_type == "Appendable":
        h["x-oss-next-append-position"] = str(meta.size)
    return h


def check_readable(meta: ObjectMeta) -> None:
    """An archived object's bytes are readable only while a restored copy exists."""
    if meta.storage_class not in ARCHIVED:
        return
    r = meta.attrs.restore
    now = time.time()
    if r is None or not r.ready_at <= now < r.expires_at:
        raise OssError("InvalidObjectState", "The operation is not valid for the object's state.", status=403)


# --------------------------------------------------------------------------------------------
# access


def effective_acl(oss: OssService, target: Target) -> str:
    bucket_acl_value = oss.store.bucket_info(target.bucket_name).acl
    if not target.key:
        return bucket_acl_value
    try:
        meta = oss.store.head(target.bucket_name, target.key)
    except Exception:
        return bucket_acl_value
    return bucket_acl_value if (meta.acl or "default") == "default" else meta.acl or bucket_acl_value


async def check_anonymous(oss: OssService, operation: str, target: Target) -> None:
    """Let an unsigned request through only where the ACL allows it (OSS: "You have no right to
    access this object because of bucket acl." otherwise)."""
    denied = OssError("AccessDenied", "You have no right to access this object because of bucket acl.")
    if target.bucket is None:
        raise denied
    try:
        acl = await oss.call(effective_acl, oss, target)
    except OssError:  # no such bucket, or a name that cannot be one: nothing is public there
        raise denied from None
    allowed = _PUBLIC_WRITE if acl == "public-read-write" else _PUBLIC_READ if acl == "public-read" else frozenset()
    if not target.key and acl in ("public-read", "public-read-write"):
        allowed = _BUCKET_READ
    if operation not in allowed:
        raise denied


# --------------------------------------------------------------------------------------------
# handlers: ACL


def _acl_document(oss: OssService, grant: str) -> bytes:
    return answer(xmlbody.OSS_ACL, {"Owner": oss.owner(), "AccessControlList": {"Grant": grant}})


async def put_bucket_acl(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    acl = bucket_acl(request.headers.get("x-oss-acl"))
    if acl is None:
        raise OssError("InvalidArgument", "PutBucketAcl needs the x-oss-acl header.")
    await oss.call(oss.store.set_bucket_acl, target.bucket_name, acl)
    return ok(ctx)


async def get_bucket_acl(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    info = await oss.call(oss.store.bucket_info, target.bucket_name)
    return ok(ctx, body=_acl_document(oss, info.acl))


# --------------------------------------------------------------------------------------------
# handlers: tagging


async def get_object_tagging(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    meta = await oss.call(oss.store.head, target.bucket_name, target.key)
    tags = [{"Key": k, "Value": v} for k, v in meta.attrs.tags.items()]
    return ok(ctx, body=answer(xmlbody.OSS_TAGGING, {"TagSet": {"Tag": tags} if tags else None}))


async def put_object_tagging(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    doc = parse_body(xmlbody.OSS_TAGGING, await read_small(request))
    tag_set = doc.get("TagSet")
    items = tag_set.get("Tag", []) if isinstance(tag_set, dict) else []
    pairs = [(xmlbody.text(t.get("Key")), xmlbody.text(t.get("Value"))) for t in items if isinstance(t, dict)]
    tags = check_tags(pairs)
    meta = await oss.call(oss.store.head, target.bucket_name, target.key)
    await oss.call(oss.store.set_attrs, target.bucket_name, target.key, meta.attrs.but(tags=tags))
    return ok(ctx)


async def delete_object_tagging(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    meta = await oss.call(oss.store.head, target.bucket_name, target.key)
    await oss.call(oss.store.set_attrs, target.bucket_name, target.key, meta.attrs.but(tags={}))
    return ok(ctx, status=204)


# --------------------------------------------------------------------------------------------
# handlers: restore


def _restore_request(body: bytes, storage: str) -> tuple[int, str]:
    """(days, tier) from a RestoreRequest body (an empty body: one day, the Standard tier)."""
    if not body.strip():
        return 1, "Standard" if storage != "Archive" else ""
    doc = parse_body(xmlbody.OSS_RESTORE, body)
    try:
        days = int(xmlbody.text(doc.get("Days")).strip() or "1")
    except ValueError:
        raise OssError("MalformedXML", "Days must be an integer.") from None
    job = doc.get("JobParameters")
    tier = xmlbody.text(job.get("Tier")).strip() if isinstance(job, dict) else ""
    if storage == "Archive":
        if "JobParameters" in doc:
            raise OssError("MalformedXML", "An Archive object is restored without JobParameters.")
        if not 1 <= days <= 7:
            raise OssError("InvalidArgument", "Days must be 1-7 for an Archive object.")
        return days, ""
    if tier and tier not in RESTORE_TIERS:
        raise OssError("InvalidArgument", f"The restore tier {tier!r} is not valid.")
    if not 1 <= days <= 365:
        raise OssError("InvalidArgument", "Days must be 1-365.")
    return days, tier or "Standard"


async def restore_object(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    body = await read_small(request)
    meta = await oss.call(oss.store.head, target.bucket_name, target.key)
    if meta.storage_class not in ARCHIVED:
        raise OssError("OperationNotSupported", "The operation is not supported for this resource.")
    days, tier = _restore_request(body, meta.storage_class or "Standard")
    now = time.time()
    r = meta.attrs.restore
    headers = {"x-oss-object-restore-priority": tier} if tier else {}
    if r is not None and now < r.ready_at:
        raise OssError("RestoreAlreadyInProgress", "The restore operation is in progress.", status=409)
    if r is not None and now < r.expires_at:
        restored = Restore(r.ready_at, now + days * DAY, r.tier)
        await oss.call(oss.store.set_attrs, target.bucket_name, target.key, meta.attrs.but(restore=restored))
        return ok(ctx, status=200, headers=headers)
    ready = now + RESTORE_SECONDS
    started = Restore(ready, ready + days * DAY, tier)
    await oss.call(oss.store.set_attrs, target.bucket_name, target.key, meta.attrs.but(restore=started))
    return ok(ctx, status=202, headers=headers)


# --------------------------------------------------------------------------------------------
# handlers: symlinks


def symlink_target_of(request: web.Request) -> str:
    raw = request.headers.get("x-oss-symlink-target")
    if not raw:
        raise OssError("InvalidArgument", "PutSymlink needs the x-oss-symlink-target header.")
    return unquote(raw)


async def put_symlink(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    h = request.headers
    link_to = symlink_target_of(request)
    writer = await oss.call(
        oss.store.writer,
        target.bucket_name,
        target.key,
        **new_object(h, symlink_target=link_to),
        object_type="Symlink",
        forbid_overwrite=h.get("x-oss-forbid-overwrite", "").lower() == "true",
    )
    with writer:
        meta = await oss.call(writer.commit)
    return ok(ctx, headers={"ETag": f'"{meta.etag}"'})


async def get_symlink(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    meta = await oss.call(oss.store.head, target.bucket_name, target.key)
    if meta.object_type != "Symlink" or meta.attrs.symlink_target is None:
        raise OssError("NotSymlink", "The specified object is not a symlink.")
    headers = {
        "x-oss-symlink-target": quote(meta.attrs.symlink_target, safe="/"),
        "ETag": f'"{meta.etag}"',
        "Last-Modified": http_date(meta.last_modified),
    }
    return ok(ctx, headers=headers)


async def resolve(oss: OssService, meta: ObjectMeta) -> ObjectMeta:
    """The object a read answers with: a symlink's target, any other object itself."""
    if meta.object_type != "Symlink" or meta.attrs.symlink_target is None:
        return meta
    try:
        return await oss.call(oss.store.head, meta.bucket, meta.attrs.symlink_target)
    except OssError as exc:
        if exc.code == "NoSuchKey":
            raise OssError("SymlinkTargetNotExist", "The symlink target object does not exist.", status=404) from None
        raise


OPERATIONS: dict[str, Operation] = {
    "PutBucketAcl": put_bucket_acl,
    "GetBucketAcl": get_bucket_acl,
    "GetObjectTagging": get_object_tagging,
    "PutObjectTagging": put_object_tagging,
    "DeleteObjectTagging": delete_object_tagging,
    "RestoreObject": restore_object,
    "PutSymlink": put_symlink,
    "GetSymlink": get_symlink,
}
