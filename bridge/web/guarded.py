"""The admin page's pages behind one door: the check that a request may see them (its
network, its session), given by ``admin.py``, in front of each page's handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

__all__ = ["Guard", "Handler", "Render", "guarded"]

Guard = Callable[[Request], Response | None]  # the refusal (403, the login form), or None
Render = Callable[[str, str], HTMLResponse]  # a page's title and body as the admin page looks
Handler = Callable[[Request], Awaitable[Response]]


def guarded(guard: Guard, handler: Handler) -> Handler:
    """``handler`` for the requests ``guard`` lets through; its refusal for the rest."""

    async def run(request: Request) -> Response:
        refused = guard(request)
        return refused if refused is not None else await handler(request)

    return run
