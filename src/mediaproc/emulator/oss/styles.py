"""OSS bucket styles: PutStyle, GetStyle, ListStyle, DeleteStyle, and ``style/NAME`` in a process.

As the OSS API reference has them (help.aliyun.com/zh/oss/developer-reference/putstyle, getstyle,
liststyle, deletestyle):

- ``PUT /?style&styleName=NAME`` with ``<Style><Content>image/...</Content></Style>``: 200, no body.
  A name outside 1-63 letters, digits, ``_ - .`` is ``400 InvalidArgument`` with EC 0017-00000250
  (length) or 0017-00000251 (characters), the message OSS writes ("The value: NAME of parameter:
  stylename is invalid."). The content is stored as given, read only when a request uses the style
  (observed: oss2's own ``test_bucket_style`` stores ``csdar5324`` and reads it back); an empty one is
  ``400 InvalidArgument`` "Style content is invalid." (the message that test expects). A bucket
  holds at most 50 styles ("You can create up to 50 image styles for a bucket"; the code of that
  refusal is *unverified*: ``400 InvalidArgument``).
- ``GET /?style&styleName=NAME``: ``<Style>`` with Name, Content, Category (``image``), CreateTime and
  LastModifyTime (HTTP dates); ``GET /?style``: ``<StyleList>`` of the same ``<Style>`` elements.
- ``DELETE /?style&styleName=NAME``: 204.
- A style that does not exist is ``404 NoSuchStyle`` ("The specified style does not exist.",
  alibabacloud.com/help/en/oss/three-errors-including-nosuchstyle-nosuchkey-and-nosuchfile-are-reported-when-you-access-an-oss-image-processing-url),
  for GetStyle, DeleteStyle (*unverified* for delete) and ``x-oss-process=style/NAME``.

:func:`expand` replaces a reference by the stored process string before the request reaches the
processing entry; OSS documents a style alone (``style/NAME``, ``style/NAME|sys/saveas,...``), so a
reference followed by more operations is ``400 InvalidArgument``.
"""

from __future__ import annotations

from email.utils import formatdate

from aiohttp import web

from mediaproc import xmlbody
from mediaproc.emulator.errors import OssError
from mediaproc.emulator.oss.routing import Target
from mediaproc.emulator.oss.wire import Ctx, Operation, OssService, answer, ok, parse_body, read_small
from mediaproc.emulator.styles import Styles, split_reference
from mediaproc.ops.styles import MAX_STYLES, NAME_RULES
from mediaproc.providers.local.styles import StoredStyle

KIND = "oss"
EC_NAME_LENGTH = "0017-00000250"
EC_NAME_CHARS = "0017-00000251"


def no_such_style() -> OssError:
    return OssError("NoSuchStyle", "The specified style does not exist.", status=404)


def _styles(oss: OssService) -> Styles:
    return Styles(oss.store)


def _name(request: web.Request) -> str:
    name = request.query.get("styleName", "")
    rule = NAME_RULES[KIND]
    if not name or len(name) > rule.max_len or not rule.pattern.match(name):
        ec = EC_NAME_LENGTH if not name or len(name) > rule.max_len else EC_NAME_CHARS
        raise OssError("InvalidArgument", f"The value: {name} of parameter: stylename is invalid.", ec=ec)
    return name


def _check_content(content: str) -> None:
    if not content.strip():
        raise OssError("InvalidArgument", "Style content is invalid.")


def _style_xml(style: StoredStyle) -> dict[str, str]:
    return {
        "Name": style.name,
        "Content": style.content,
        "Category": "image",
        "CreateTime": formatdate(style.created or 0, usegmt=True),
        "LastModifyTime": formatdate(style.modified or style.created or 0, usegmt=True),
    }


async def put_style(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    name = _name(request)
    body = parse_body(xmlbody.OSS_STYLE, await read_small(request))
    content = xmlbody.text(body.get("Content")).strip()
    _check_content(content)
    styles = _styles(oss)
    bucket = target.bucket_name
    existing = await oss.call(styles.get, KIND, bucket, name)
    if existing is None and await oss.call(styles.count, KIND, bucket) >= MAX_STYLES[KIND]:
        raise OssError("InvalidArgument", f"The bucket already has {MAX_STYLES[KIND]} styles.")
    await oss.call(styles.put, KIND, bucket, name, content)
    return ok(ctx)


async def get_style(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    name = request.query.get("styleName", "")
    style = await oss.call(_styles(oss).get, KIND, target.bucket_name, name)
    if style is None:
        raise no_such_style()
    return ok(ctx, body=answer(xmlbody.OSS_STYLE, _style_xml(style)))


async def list_style(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    styles = await oss.call(_styles(oss).list, KIND, target.bucket_name)
    return ok(ctx, body=answer(xmlbody.OSS_STYLE_LIST, {"Style": [_style_xml(s) for s in styles]}))


async def delete_style(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    name = request.query.get("styleName", "")
    if not await oss.call(_styles(oss).delete, KIND, target.bucket_name, name):
        raise no_such_style()
    return ok(ctx, status=204)


async def expand(oss: OssService, bucket: str, process: str) -> str:
    """``process`` (a query value, or a body with its ``x-oss-process=`` field name) with a leading
    ``style/NAME`` replaced by the style's content (``Styles.resolve``); anything else unchanged."""
    field, sep, value = process.partition("=")
    head, text = (f"{field}=", value) if sep and field.lower().startswith("x-oss-") else ("", process)
    if split_reference(text.strip()) is None:
        return process
    return head + await oss.call(_styles(oss).resolve, KIND, bucket, text, tail="|")


OPERATIONS: dict[str, Operation] = {
    "PutStyle": put_style,
    "GetStyle": get_style,
    "ListStyle": list_style,
    "DeleteStyle": delete_style,
}
