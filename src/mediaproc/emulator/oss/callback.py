"""Upload callbacks: ``x-oss-callback`` (or the ``callback`` parameter of a signed URL) on PutObject
and CompleteMultipartUpload, as the OSS reference describes them
(help.aliyun.com/zh/oss/developer-reference/callback).

The object is stored first; then the service POSTs ``callbackBody`` (with ``${bucket}``,
``${object}``, ``${etag}``, ``${size}``, ``${mimeType}`` and the ``x:`` variables of
``x-oss-callback-var`` filled in) to ``callbackUrl`` and hands the callback server's JSON answer to
the client with 200. When the callback cannot be made or its server does not answer 200 with
JSON, the service answers ``203 CallbackFailed`` (the upload itself stands).

serve makes the POST only when started with ``--allow-callbacks`` and only to a loopback address
(``127.0.0.0/8``, ``::1``, ``localhost``), so a test can receive it while nothing leaves the
machine; any other callback is answered as the service answers an unreachable callback server
(203 ``CallbackFailed``). The POST is not signed with OSS's callback key (``x-oss-pub-key-url``):
serve holds no such key.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from aiohttp import ClientError, ClientSession, ClientTimeout, web

from mediaproc.emulator.errors import OssError
from mediaproc.emulator.oss.wire import Ctx, OssService, error_response, ok
from mediaproc.providers.local.records import ObjectMeta

TIMEOUT_SECONDS = 5.0  # the service waits 5 s for a callback server
MAX_ANSWER = 1024 * 1024
FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Callback:
    url: str
    body: str
    body_type: str = FORM
    host: str | None = None
    variables: dict[str, str] = field(default_factory=dict)


def _json_param(raw: str, what: str) -> dict[str, object]:
    try:
        data = json.loads(base64.b64decode(raw, validate=False).decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise OssError("InvalidArgument", f"The {what} is not base64-encoded JSON.") from None
    if not isinstance(data, dict):
        raise OssError("InvalidArgument", f"The {what} is not a JSON object.")
    return data


def requested(request: web.Request) -> Callback | None:
    """The callback a request asks for (header or signed-URL parameter), checked; None without."""
    raw = request.headers.get("x-oss-callback") or request.query.get("callback")
    if not raw:
        return None
    cfg = _json_param(raw, "callback")
    url, body = cfg.get("callbackUrl"), cfg.get("callbackBody")
    if not isinstance(url, str) or not url or not isinstance(body, str):
        raise OssError("InvalidArgument", "The callback needs callbackUrl and callbackBody.")
    raw_vars = request.headers.get("x-oss-callback-var") or request.query.get("callback-var")
    variables = {str(k): str(v) for k, v in _json_param(raw_vars, "callback-var").items()} if raw_vars else {}
    body_type = cfg.get("callbackBodyType")
    host = cfg.get("callbackHost")
    return Callback(
        url=url.split(";")[0].strip(),
        body=body,
        body_type=body_type if isinstance(body_type, str) and body_type else FORM,
        host=host if isinstance(host, str) and host else None,
        variables=variables,
    )


def is_loopback(url: str) -> bool:
    """Whether the callback URL names this machine by a loopback address (no DNS lookup)."""
    try:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        host = parts.hostname or ""
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def render(hook: Callback, meta: ObjectMeta) -> str:
    """The callback body with the system and custom variables filled in (form bodies URL-encode
    the values, JSON bodies do not, as the reference shows)."""
    values = {
        "bucket": meta.bucket,
        "object": meta.key,
        "etag": meta.etag,
        "size": str(meta.size),
        "mimeType": meta.content_type,
        **hook.variables,
    }
    form = hook.body_type.lower().startswith(FORM)
    text = hook.body
    for name, value in values.items():
        text = text.replace("${" + name + "}", quote(value, safe="") if form else value)
    return text


def _failed(message: str) -> OssError:
    return OssError("CallbackFailed", message, status=203)


async def answer(
    oss: OssService, request: web.Request, ctx: Ctx, hook: Callback, meta: ObjectMeta, headers: dict[str, str]
) -> web.Response:
    """Make the callback for a stored object and answer the upload with its outcome."""
    if not oss.allow_callbacks or not is_loopback(hook.url):
        err = _failed("Error status : -1.OSS can not connect to your callbackUrl, please check it.")
        err.headers.update(headers)
        return error_response(request, err, ctx)
    url = hook.url if "://" in hook.url else f"http://{hook.url}"
    post_headers = {"Content-Type": hook.body_type}
    if hook.host:
        post_headers["Host"] = hook.host
    try:
        data = render(hook, meta).encode("utf-8")
        async with (
            ClientSession(timeout=ClientTimeout(total=TIMEOUT_SECONDS)) as session,
            session.post(url, data=data, headers=post_headers) as resp,
        ):
            status = resp.status
            body = await resp.content.read(MAX_ANSWER)
    except (ClientError, TimeoutError, OSError):
        err = _failed("Error status : -1.OSS can not connect to your callbackUrl, please check it.")
        err.headers.update(headers)
        return error_response(request, err, ctx)
    try:
        json.loads(body.decode("utf-8"))
        is_json = status == 200
    except (UnicodeDecodeError, ValueError):
        is_json = False
    if not is_json:
        err = _failed(f"Error status : {status}. Response body is not valid json format.")
        err.headers.update(headers)
        return error_response(request, err, ctx)
    return ok(ctx, body=body, headers=headers, content_type="application/json")
