"""COS object tagging (``?tagging``) and the ``AccessControlPolicy`` body of PutObjectACL, as the COS
API reference writes them.

- PutObjectTagging / GetObjectTagging / DeleteObjectTagging (cloud.tencent.com/document/product/436/
  42997, 42998, 42999): a ``Tagging/TagSet/Tag`` body with at most 10 tags
  (:mod:`mediaproc.emulator.tags`); ``x-cos-tagging`` on a PUT sets them at upload.
- PutObjectACL (.../7748) takes its grants from the ``x-cos-grant-*`` headers (the storage front
  keeps those as object properties) or from an ``AccessControlPolicy`` body, which is what coscmd
  sends: each ``Grant`` names a grantee ``ID`` (``qcs::cam::anyone:anyone`` is everyone; the
  AllUsers group URI means the same) and a ``Permission``. The body is turned into the same
  ``grant-read`` / ``grant-full-control`` properties; the other permissions (WRITE, READ_ACP,
  WRITE_ACP) are kept nowhere here and are refused with ``501 NotImplemented``.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import unquote

from aiohttp import web

from mediaproc import xmlbody
from mediaproc.emulator.cos.errors import CosError
from mediaproc.emulator.cos.wire import headers, in_thread, parse_xml, read_xml_body, xml_response
from mediaproc.emulator.tags import COS_PUNCTUATION, tag_problem
from mediaproc.providers.local.records import ObjectAttrs
from mediaproc.providers.local.store import LocalStore

ALL_USERS = "http://cam.qcloud.com/groups/global/AllUsers"
ANYONE = "qcs::cam::anyone:anyone"
KEPT_PERMISSIONS = {"READ": "grant-read", "FULL_CONTROL": "grant-full-control"}
PERMISSIONS = ("READ", "WRITE", "FULL_CONTROL", "READ_ACP", "WRITE_ACP")


def _checked(pairs: list[tuple[str, str]]) -> dict[str, str]:
    problem = tag_problem(pairs, COS_PUNCTUATION)
    if problem is not None:
        raise CosError("InvalidTag", problem, status=400)
    return dict(pairs)


def upload_attrs(h: Mapping[str, str]) -> ObjectAttrs:
    """What a PUT, a copy or an InitiateMultipartUpload sets besides headers: ``x-cos-tagging:
    k1=v1&k2=v2`` (URL-encoded), checked."""
    raw = h.get("x-cos-tagging")
    if not raw:
        return ObjectAttrs()
    pairs = []
    for item in raw.split("&"):
        k, _sep, v = item.partition("=")
        pairs.append((unquote(k), unquote(v)))
    return ObjectAttrs(tags=_checked(pairs))


def body_grants(body: bytes, owner: str) -> dict[str, str]:
    """An ``AccessControlPolicy`` body as the grant properties (``id="...",id="..."``); the
    owner's own FULL_CONTROL is implied and not stored."""
    data = parse_xml(xmlbody.COS_ACL, body)
    acl = data.get("AccessControlList")
    ids: dict[str, list[str]] = {prop: [] for prop in KEPT_PERMISSIONS.values()}
    for grant in acl.get("Grant", []) if isinstance(acl, dict) else []:
        grantee = grant.get("Grantee") if isinstance(grant, dict) else None
        permission = xmlbody.text(grant.get("Permission")) if isinstance(grant, dict) else ""
        if not isinstance(grantee, dict) or permission not in PERMISSIONS:
            raise CosError("MalformedXML", "Each Grant needs a Grantee and a Permission.")
        who = xmlbody.text(grantee.get("ID")) or (ANYONE if xmlbody.text(grantee.get("URI")) == ALL_USERS else "")
        if not who:
            raise CosError("MalformedXML", "A Grantee needs an ID or the AllUsers URI.")
        if permission not in KEPT_PERMISSIONS:
            raise CosError("NotImplemented", f"The {permission} permission is not implemented by this server.")
        if not (who == owner and permission == "FULL_CONTROL"):
            ids[KEPT_PERMISSIONS[permission]].append(f'id="{who}"')
    return {prop: ",".join(values) for prop, values in ids.items()}


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
