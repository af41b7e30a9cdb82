"""Cloud Infinite image styles on the COS front: AddStyle, GetStyle, DeleteStyle, and ``style/NAME``
as a rule (on a GET and in ``Pic-Operations``).

As the CI API has them (cloud.tencent.com/document/api/436/119416 AddStyle, 460/30117 GetStyle,
DeleteStyle), all on ``<bucket>.pic.<region>.myqcloud.com`` (qcloud_cos's ``ci_*_image_style``):

- ``PUT /?style`` with ``<AddStyle><StyleName/><StyleBody/></AddStyle>``: 200, no body. The pages
  state no name rule; the console's (letters, digits, ``_ - .``, at most 128 characters; *unverified*)
  is applied, and a body serve cannot run is refused, both ``400 InvalidArgument``.
- ``GET /?style``: ``<StyleList><StyleRule>(StyleName, StyleBody)`` of every style, or, with a
  ``<GetStyle><StyleName>...`` body, of those named (an empty list when none exists, as the page
  describes a query, not a lookup).
- ``DELETE /?style`` with ``<DeleteStyle><StyleName/></DeleteStyle>``: 200.
- A rule ``style/NAME`` runs the stored rule (Pic-Operations: "若按指定样式处理,则以 style/ 开头,
  后加样式名"); a style that does not exist, on a GET, in Pic-Operations or in DeleteStyle, is
  ``404 NoSuchStyle`` (the CI error table names no code for it: *unverified*, OSS's code). A
  reference followed by more processors is ``400 InvalidArgument`` (undocumented).

References are replaced here, in the server's main process, before the request is handed to the
processing entry.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from mediaproc import xmlbody
from mediaproc.emulator.cos.errors import CosError
from mediaproc.emulator.cos.wire import Gate, headers, in_thread, parse_xml, read_xml_body, xml_response
from mediaproc.emulator.styles import Styles, split_reference
from mediaproc.errors import MediaprocError, NotFound
from mediaproc.ops.styles import NAME_RULES, NO_SUCH_STYLE
from mediaproc.providers.local.store import LocalStore

KIND = "cos"


def no_such_style(name: str) -> CosError:
    return CosError("NoSuchStyle", f"The style {name!r} does not exist.", status=404, ci=True)


def _check_name(name: str) -> str:
    rule = NAME_RULES[KIND]
    if not name or len(name) > rule.max_len or not rule.pattern.match(name):
        raise CosError("InvalidArgument", f"The style name {name!r} is invalid.", ci=True)
    return name


def _check_body(body: str) -> None:
    from mediaproc.ops.cos import parse_rule
    from mediaproc.ops.styles import check_content

    if not body.strip():
        raise CosError("InvalidArgument", "The StyleBody is empty.", ci=True)
    try:
        check_content(parse_rule(body))
    except MediaprocError as exc:
        raise CosError("InvalidArgument", f"The StyleBody is invalid: {exc.message}", ci=True) from None


def _names(value: Any) -> list[str]:
    if isinstance(value, list):
        return [xmlbody.text(v) for v in value]
    return [xmlbody.text(value)] if value else []


class CosStyles:
    """The style API and the reference expansion of one COS front."""

    def __init__(self, store: LocalStore, gate: Gate) -> None:
        self.styles = Styles(store)
        self.gate = gate

    async def route(self, request: web.Request, rid: str, bucket: str) -> web.StreamResponse:
        method = request.method
        if method == "PUT":
            await self.gate.enter("AddStyle")
            doc = parse_xml(xmlbody.CI_ADD_STYLE, await read_xml_body(request), ci=True)
            name = _check_name(xmlbody.text(doc.get("StyleName")).strip())
            body = xmlbody.text(doc.get("StyleBody")).strip()
            _check_body(body)
            await in_thread(self.styles.put, KIND, bucket, name, body)
            return web.Response(status=200, headers=headers(rid, True))
        if method == "GET":
            await self.gate.enter("GetStyle")
            raw = await read_xml_body(request)
            wanted = _names(parse_xml(xmlbody.CI_GET_STYLE, raw, ci=True).get("StyleName")) if raw.strip() else []
            styles = await in_thread(self.styles.list, KIND, bucket)
            rules = [{"StyleName": s.name, "StyleBody": s.content} for s in styles if not wanted or s.name in wanted]
            return xml_response(rid, xmlbody.CI_STYLE_LIST, {"StyleRule": rules}, ci=True)
        if method == "DELETE":
            await self.gate.enter("DeleteStyle")
            doc = parse_xml(xmlbody.CI_DELETE_STYLE, await read_xml_body(request), ci=True)
            name = xmlbody.text(doc.get("StyleName")).strip()
            if not await in_thread(self.styles.delete, KIND, bucket, name):
                raise no_such_style(name)
            return web.Response(status=200, headers=headers(rid, True))
        raise CosError("MethodNotAllowed", "The specified method is not allowed against this resource.", ci=True)

    async def expand(self, bucket: str, rule: str) -> str:
        """``rule`` with ``style/NAME`` replaced by the stored rule (``Styles.resolve``); anything
        else unchanged."""
        ref = split_reference(rule.strip())
        if ref is None:
            return rule
        try:
            return await in_thread(self.styles.resolve, KIND, bucket, rule)
        except NotFound as exc:
            if exc.code != NO_SUCH_STYLE:
                raise
            raise no_such_style(ref[0]) from None

    async def expand_pic_operations(self, bucket: str, header: str) -> str:
        """A ``Pic-Operations`` header with every ``style/NAME`` rule replaced by the stored rule."""
        from mediaproc.ops.cos import parse_pic_operations, pic_operations

        if "style/" not in header:
            return header
        try:
            is_pic_info, rules = parse_pic_operations(header)
        except MediaprocError as exc:
            raise CosError("InvalidArgument", exc.message, ci=True) from None
        for r in rules:
            r["rule"] = await self.expand(bucket, r["rule"])
        return pic_operations(rules, is_pic_info=is_pic_info)
