"""The bridge's HTTP server: Starlette under uvicorn, in the bridge's own event loop.

It answers health checks and the providers' webhooks (``inbound/webhooks.py``). uvicorn's
``serve()`` would take over SIGINT/SIGTERM, so the bridge drives its public ``startup``,
``main_loop`` and ``shutdown`` steps itself and keeps signal handling in one place.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bridge.clock import Clock
from bridge.settings.core import HttpSettings
from bridge.store.base import Store

__all__ = ["HttpServer", "build_app"]

log = logging.getLogger(__name__)


def build_app(
    *,
    store: Store,
    routes: Sequence[BaseRoute] = (),
    owner: str = "bridge",
    clock: Clock = lambda: datetime.now(UTC),
) -> Starlette:
    """The ASGI application; every handler gets what it needs from here, not from globals.

    ``/healthz`` reads the queue and writes this bridge's heartbeat (``owner``): a store that
    answers reads but refuses writes (a full or read-only disk, a read-only replica) makes
    every email a 451, so the bridge must not look healthy to a load balancer.
    """

    async def health(request: Request) -> JSONResponse:
        try:
            counts = await store.counts()
        except Exception:
            log.exception("health check: the store did not answer")
            return JSONResponse({"status": "error", "store": "unavailable"}, status_code=503)
        try:
            await store.heartbeat(owner=owner, now=clock())
        except Exception as exc:
            log.error("health check: the store refused a write: %s", type(exc).__name__)
            return JSONResponse({"status": "error", "store": "not writable"}, status_code=503)
        return JSONResponse(
            {
                "status": "ok",
                "queue": {
                    "waiting": counts.waiting,
                    "retrying": counts.retrying,
                    "sending": counts.sending,
                    "mail_waiting": counts.mail_waiting,
                },
            }
        )

    return Starlette(
        routes=[Route("/healthz", health, methods=["GET"]), *routes],
        exception_handlers={Exception: _unavailable},
    )


async def _unavailable(request: Request, exc: Exception) -> Response:
    """Anything a handler could not finish (the store refusing a write, say) is a 503 with a
    sentence and a Retry-After, not a bare 500: nothing was stored, and the provider retries."""
    log.error("%s %s failed: %s", request.method, request.url.path, type(exc).__name__)
    return PlainTextResponse(
        "The bridge could not store this just now; please send it again later.\n",
        status_code=503,
        headers={"Retry-After": "30"},
    )


class HttpServer:
    """Start and stop uvicorn without letting it install signal handlers."""

    def __init__(self, app: Starlette, *, settings: HttpSettings) -> None:
        config = uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            log_config=None,
            access_log=False,
            lifespan="off",
            server_header=False,
            http="httptools",  # h11, in pure Python, costs more than the webhook's own work
        )
        self._server = uvicorn.Server(config)
        self._ticker: asyncio.Task[None] | None = None

    async def start(self) -> None:
        # What Server.serve() does before startup(), without its signal capture: the bridge
        # owns SIGTERM and SIGINT, and stops this server itself.
        config = self._server.config
        if not config.loaded:
            config.load()
        self._server.lifespan = config.lifespan_class(config)
        try:
            await self._server.startup()
        except SystemExit as exc:  # uvicorn exits when it cannot bind: the bind's own error
            cause = exc.__context__
            raise cause if isinstance(cause, OSError) else OSError("cannot listen") from None
        if self._server.should_exit:
            raise OSError(f"the HTTP server could not listen on {self.address}")
        self._ticker = asyncio.create_task(self._server.main_loop())

    @property
    def address(self) -> str:
        config = self._server.config
        for server in getattr(self._server, "servers", ()):  # none until it listens
            for sock in server.sockets:
                host, port = sock.getsockname()[:2]
                return f"{host}:{port}"
        return f"{config.host}:{config.port}"

    async def stop(self) -> None:
        if not hasattr(self._server, "servers"):
            return  # it never listened
        self._server.should_exit = True
        if self._ticker is not None:
            await self._ticker
        await self._server.shutdown()
