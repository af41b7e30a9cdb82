"""COS object ACL and tagging (``?acl``, ``?tagging``), as the COS API reference writes them.

- PutObjectACL (cloud.tencent.com/document/product/436/7748): the canned ``x-cos-acl`` (``default``,
  ``private``, ``public-read``), the ``x-cos-grant-read`` / ``-write`` / ``-full-control`` headers
  (``id="qcs::cam::uin/100000000001:uin/100000000001",id="..."``), or an ``AccessControlPolicy``
  body whose ``Grant`` elements name a grantee ``ID`` (``qcs::cam::anyone:anyone`` is everyone) and
  a ``Permission`` (READ, WRITE, FULL_CONTROL, READ_ACP, WRITE_ACP).
- GetObjectACL (.../7744): ``AccessControlPolicy`` with the owner and its ``FULL_CONTROL`` grant,
  the canned ACL's grant to all users (``http://cam.qcloud.com/groups/global/AllUsers``), then the
  explicit grants.
- PutObjectTagging / GetObjectTagging / DeleteObjectTagging (.../42997, 42998, 42999): a
  ``Tagging/TagSet/Tag`` body with at most 10 tags (:mod:`mediaproc.emulator.tags`); ``x-cos-tagging``
  on a PUT sets them at upload.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from mediaproc import xmlbody
from mediaproc.emulator.cos.errors import CosError
from mediaproc.emulator.cos.wire import headers, in_thread, parse_xml, read_xml_body, xml_response
from mediaproc.emulator.tags import COS_PUNCTUATION, tag_problem
from mediaproc.providers.local.records import ObjectAttrs
from mediaproc.providers.local.store import LocalStore

CANNED = ("default", "private", "public-read")
PERMISSIONS = ("READ", "WRITE", "FULL_CONTROL", "READ_ACP", "WRITE_ACP")
GRANT_HEADERS = {
    "x-cos-grant-read": "READ",
    "x-cos-grant-write": "WRITE",
    "x-cos-grant-full-control": "FULL_CONTROL",
    "x-cos-grant-read-acp": "READ_ACP",
    "x-cos-grant-write-acp": "WRITE_ACP",
}
ALL_USERS = "http://cam.qcloud.com/groups/global/AllUsers"
_GRANTEE = re.compile(r'\s*id\s*=\s*"([^"]*)"\s*')


def owner_id(bucket: str) -> str:
    """The bucket owner as COS names it: the APPID of ``<name>-<appid>`` stands for the root account."""
    appid = bucket.rsplit("-", 1)[-1]
    return f"qcs::cam::uin/{appid}:uin/{appid}"


def header_tags(h: Mapping[str, str]) -> dict[str, str] | None:
    """``x-cos-tagging: k1=v1&k2=v2`` (URL-encoded), checked; None without the header."""
    raw = h.get("x-cos-tagging")
    if raw is None:
        return None
    pairs = []
    for item in raw.split("&") if raw else []:
        k, _sep, v = item.partition("=")
        pairs.append((unquote(k), unquote(v)))
    return _checked(pairs)


def _checked(pairs: list[tuple[str, str]]) -> dict[str, str]:
    problem = tag_problem(pairs, COS_PUNCTUATION)
    if problem is not None:
        raise CosError("InvalidTag", problem, status=400)
    return dict(pairs)


def upload_attrs(store: LocalStore, bucket: str, h: Mapping[str, str]) -> ObjectAttrs:
    """Attributes a PUT sets: the canned ACL, header grants and tags."""
    info = store.bucket_info(bucket)
    canned = h.get("x-cos-acl")
    if canned is not None and canned not in CANNED:
        raise CosError("InvalidArgument", f"x-cos-acl must be one of {', '.join(CANNED)}.")
    return ObjectAttrs(
        storage_class=info.storage_class,
        acl=canned or "default",
        tags=header_tags(h) or {},
        grants=_header_grants(h),
    )


def _header_grants(h: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    grants: list[tuple[str, str]] = []
    for name, permission in GRANT_HEADERS.items():
        raw = h.get(name)
        if not raw:
            continue
        for part in raw.split(","):
            m = _GRANTEE.fullmatch(part)
            if not m or not m.group(1):
                raise CosError("InvalidArgument", f'{name} must be id="qcs::cam::...",id="...".')
            grants.append((m.group(1), permission))
    return tuple(grants)


def _body_grants(body: bytes) -> tuple[tuple[str, str], ...]:
    data = parse_xml(xmlbody.COS_ACL, body)
    acl = data.get("AccessControlList")
    grants: list[tuple[str, str]] = []
    for grant in acl.get("Grant", []) if isinstance(acl, dict) else []:
        grantee = grant.get("Grantee") if isinstance(grant, dict) else None
        permission = xmlbody.text(grant.get("Permission")) if isinstance(grant, dict) else ""
        if not isinstance(grantee, dict) or permission not in PERMISSIONS:
            raise CosError("MalformedXML", "Each Grant needs a Grantee and a Permission.")
        uri = xmlbody.text(grantee.get("URI"))
        who = xmlbody.text(grantee.get("ID")) or ("qcs::cam::anyone:anyone" if uri == ALL_USERS else "")
        if not who:
            raise CosError("MalformedXML", "A Grantee needs an ID or the AllUsers URI.")
        grants.append((str(who), str(permission)))
    return tuple(grants)


async def put_object_acl(request: web.Request, rid: str, store: LocalStore, bucket: str, key: str) -> web.Response:
    h = request.headers
    body = await read_xml_body(request)
    meta = await in_thread(store.head, bucket, key)
    canned = h.get("x-cos-acl")
    if canned is not None and canned not in CANNED:
        raise CosError("InvalidArgument", f"x-cos-acl must be one of {', '.join(CANNED)}.")
    grants = _body_grants(body) if body.strip() else _header_grants(h)
    owner = owner_id(bucket)
    grants = tuple(g for g in grants if not (g[0] == owner and g[1] == "FULL_CONTROL"))  # the owner's, implied
    attrs = meta.attrs.but(acl=canned or ("default" if grants or body.strip() else meta.attrs.acl), grants=grants)
    await in_thread(store.set_attrs, bucket, key, attrs)
    return web.Response(status=200, headers=headers(rid, False))


def _grant(grantee_id: str, permission: str) -> dict[str, Any]:
    return {
        "Grantee": {
            "@xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
            "@xsi:type": "CanonicalUser",
            "ID": grantee_id,
            "DisplayName": grantee_id,
        },
        "Permission": permission,
    }


async def get_object_acl(rid: str, store: LocalStore, bucket: str, key: str) -> web.Response:
    meta = await in_thread(store.head, bucket, key)
    owner = owner_id(bucket)
    grants = [_grant(owner, "FULL_CONTROL")]
    if meta.attrs.acl == "public-read":
        all_users = {"@xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance", "@xsi:type": "Group", "URI": ALL_USERS}
        grants.append({"Grantee": all_users, "Permission": "READ"})
    grants += [_grant(g, p) for g, p in meta.attrs.grants]
    policy = {"Owner": {"ID": owner, "DisplayName": owner}, "AccessControlList": {"Grant": grants}}
    return xml_response(rid, xmlbody.COS_ACL, policy)


async def put_object_tagging(
    request: web.Request, rid: str, store: LocalStore, bucket: str, key: str
) -> web.Response:
    data = parse_xml(xmlbody.COS_TAGGING, await read_xml_body(request))
    tag_set = data.get("TagSet")
    items = tag_set.get("Tag", []) if isinstance(tag_set, dict) else []
    pairs = [(xmlbody.text(t.get("Key")), xmlbody.text(t.get("Value"))) for t in items if isinstance(t, dict)]
    tags = _checked(pairs)
    meta = await in_thread(store.head, bucket, key)
    await in_thread(store.set_attrs, bucket, key, meta.attrs.but(tags=tags))
    return web.Response(status=200, headers=headers(rid, False))


async def get_object_tagging(rid: str, store: LocalStore, bucket: str, key: str) -> web.Response:
    meta = await in_thread(store.head, bucket, key)
    tags = [{"Key": k, "Value": v} for k, v in meta.attrs.tags.items()]
    return xml_response(rid, xmlbody.COS_TAGGING, {"TagSet": {"Tag": tags} if tags else None})


async def delete_object_tagging(rid: str, store: LocalStore, bucket: str, key: str) -> web.Response:
    meta = await in_thread(store.head, bucket, key)
    await in_thread(store.set_attrs, bucket, key, meta.attrs.but(tags={}))
    return web.Response(status=204, headers=headers(rid, False))
