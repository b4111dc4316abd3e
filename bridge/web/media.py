"""``GET /media/<token>``: the pictures of MMS texts, for the provider to fetch.

Not behind the admin page's login (the provider must fetch them) but unguessable: a token is
``secrets.token_urlsafe(32)``, 256 random bits. A picture is served with its own content
type until it expires, then 404, as is any token the store does not know; there is nothing
to list.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bridge.clock import Clock
from bridge.media.urls import MEDIA_PREFIX
from bridge.store.base import MediaFiles

__all__ = ["media_routes"]

_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")


def media_routes(store: MediaFiles, clock: Clock) -> list[Route]:
    async def picture(request: Request) -> Response:
        token = request.path_params["token"]
        found = await store.media_file(token, now=clock()) if _TOKEN.fullmatch(token) else None
        if found is None:
            return PlainTextResponse("No such picture; it may have expired.\n", status_code=404)
        content_type, content = found
        headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=300"}
        return Response(content, media_type=content_type, headers=headers)

    return [Route(MEDIA_PREFIX + "{token}", picture, methods=["GET"])]
