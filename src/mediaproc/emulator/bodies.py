"""Reading a request body that is held whole (an XML document), no further than a limit.

``StreamReader.read(n)`` returns what happens to be buffered, which for a body that arrives in
several TCP segments is less than the body; reading chunk by chunk up to one byte past the limit
gets the whole body, or enough of it to tell that it is too large, without holding more.
"""

from __future__ import annotations

from aiohttp import web

CHUNK = 64 * 1024


async def read_limited(request: web.Request, limit: int) -> bytes:
    """The body, or its first ``limit + 1`` bytes when it is longer."""
    data = bytearray()
    async for chunk in request.content.iter_chunked(CHUNK):
        data += chunk
        if len(data) > limit:
            break
    return bytes(data[: limit + 1])
