"""ListLiveChannel (``GET /?live``): serve ingests no RTMP, so every bucket has no live channels.

oss2's own test suite lists a bucket's live channels in every tearDown, so the empty list is
answered as the service answers a bucket without channels (ListLiveChannelResult,
help.aliyun.com/zh/oss/developer-reference/listlivechannel); the other LiveChannel calls are
``NotImplemented``, as for every API serve does not implement.
"""

from __future__ import annotations

from aiohttp import web

from mediaproc import xmlbody
from mediaproc.emulator.oss.routing import Target
from mediaproc.emulator.oss.wire import Ctx, Operation, OssService, answer, int_param, ok


async def list_live_channel(oss: OssService, request: web.Request, ctx: Ctx, target: Target) -> web.Response:
    await oss.call(oss.store.require_bucket, target.bucket_name)
    q = request.query
    result = {
        "Prefix": q.get("prefix", ""),
        "Marker": q.get("marker", ""),
        "MaxKeys": str(int_param(q, "max-keys", 100, 1, 1000)),
        "IsTruncated": "false",
        "NextMarker": "",
    }
    return ok(ctx, body=answer(xmlbody.OSS_LIVE_CHANNELS, result))


OPERATIONS: dict[str, Operation] = {"ListLiveChannel": list_live_channel}
