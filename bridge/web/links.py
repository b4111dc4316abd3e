"""``GET /l/<code>``: a short link's redirect, counting who clicked.

A known code answers 302 to its target (with ``Cache-Control: no-store``, so every click
reaches the bridge); a HEAD request, a request without a User-Agent and one from a known
link-preview agent or scanner (``bridge.links.agents``) is redirected the same way but not
counted as a click. A code that expired answers 410 and one the bridge does not know 404,
each with a sentence.

It must be fast (docs/benchmarks.md: p99 under 10 ms at 500 clicks a second): codes are kept
in memory once read (at most ``cache_size``; the oldest read goes first), since a link never
changes, and clicks go to ``ClickRecorder``, which writes them in batches.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from bridge.clock import Clock
from bridge.links.agents import not_counted_because
from bridge.links.codes import CODE
from bridge.models import Click, ShortLink
from bridge.store.base import Links
from bridge.workers.clicks import ClickRecorder

__all__ = ["LINK_PREFIX", "LinkCache", "link_routes"]

LINK_PREFIX = "/l/"
_UNKNOWN = "This link is not one this service made, or it was mistyped.\n"
_EXPIRED = "This link has expired: ask whoever texted it to you for a new one.\n"
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}


class LinkCache:
    """Codes already read, at most ``size`` (a dict keeps its order: the oldest goes first)."""

    def __init__(self, store: Links, *, size: int) -> None:
        self._store = store
        self._size = size
        self._known: dict[str, ShortLink] = {}

    async def get(self, code: str) -> ShortLink | None:
        link = self._known.get(code)
        if link is not None:
            return link
        found = await self._store.short_link(code)
        if found is None:
            return None
        link = found[0]
        if self._size:
            if len(self._known) >= self._size:
                del self._known[next(iter(self._known))]
            self._known[code] = link
        return link


def link_routes(
    *, store: Links, recorder: ClickRecorder, clock: Clock, cache_size: int
) -> list[Route]:
    cache = LinkCache(store, size=cache_size)

    async def follow(request: Request) -> Response:
        code = request.path_params["code"]
        link = await cache.get(code) if CODE.fullmatch(code) else None
        if link is None:
            return PlainTextResponse(_UNKNOWN, status_code=404, headers=_HEADERS)
        now = clock()
        if link.expires_at is not None and link.expires_at <= now:
            return PlainTextResponse(_EXPIRED, status_code=410, headers=_HEADERS)
        why = not_counted_because(request.method, request.headers.get("user-agent", ""))
        recorder.add(Click(code, now, counted=not why, why=why))
        return RedirectResponse(link.target, status_code=302, headers=_HEADERS)

    return [Route(LINK_PREFIX + "{code}", follow, methods=["GET", "HEAD"])]
