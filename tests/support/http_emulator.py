"""The common part of the provider emulators: a threaded HTTP server on a loopback port.

An emulator subclasses ``HttpEmulator`` and answers ``handle(request)``; every request is kept
in ``requests`` so a test can check exactly what the bridge sent. ``fail_next`` makes the next
N requests get an HTTP error (503 by default), and ``go_down``/``come_back`` frame an outage of
any length. ``post`` plays
the provider's side of a webhook: it calls the bridge and returns the status it answered.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

import httpx

__all__ = ["EmulatedRequest", "HttpEmulator", "Reply"]


@dataclass(frozen=True, slots=True)
class EmulatedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def fields(self) -> dict[str, str]:
        """The body as a flat dict, whichever of form or JSON it was sent as."""
        if "json" in self.headers.get("content-type", ""):
            data = self.json()
            return {k: str(v) for k, v in data.items()} if isinstance(data, dict) else {}
        return self.form()


@dataclass(slots=True)
class Reply:
    status: int
    body: Any = None  # JSON-encoded unless bytes
    headers: dict[str, str] = field(default_factory=dict)


class HttpEmulator:
    def __init__(self) -> None:
        self.requests: list[EmulatedRequest] = []
        self.lock = threading.Lock()
        self._outage: list[Reply] = []
        self._down: Reply | None = None
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, times: int, status: int = 503, retry_after: int | None = None) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        with self.lock:
            self._outage = [Reply(status, {"message": "Service Unavailable"}, headers)] * times

    def go_down(self, status: int = 503) -> None:
        """Answer every request with ``status`` until ``come_back``: an outage of unknown length."""
        with self.lock:
            self._down = Reply(status, {"message": "Service Unavailable"})

    def come_back(self) -> None:
        with self.lock:
            self._down = None

    def handle(self, request: EmulatedRequest) -> Reply:
        raise NotImplementedError

    @staticmethod
    def post(url: str, **kwargs: Any) -> int:
        return httpx.post(url, timeout=10, **kwargs).status_code

    def _answer(self, request: EmulatedRequest) -> Reply:
        with self.lock:
            self.requests.append(request)
            if self._down is not None:
                return self._down
            if self._outage:
                return self._outage.pop()
        return self.handle(request)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def do_PUT(self) -> None:
                self._serve()

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = EmulatedRequest(
                    method=self.command,
                    path=parts.path,
                    query={k: v[0] for k, v in parse_qs(parts.query).items()},
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                reply = emulator._answer(request)
                raw = (
                    reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                )
                self.send_response(reply.status)
                content_type = "text/plain" if isinstance(reply.body, bytes) else "application/json"
                self.send_header("Content-Type", content_type)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
