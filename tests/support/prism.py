"""Prism serving a provider's OpenAPI description, and a proxy that records what reached it.

Prism (``@stoplight/prism-cli``) validates each request against the provider's own contract
and answers with the spec's example; with ``--errors`` an invalid request gets a 4xx instead
of a friendly example. The ``RecordingProxy`` sits in front of it so a test can also check the
exact form the bridge sent (Prism checks the shape, the test checks the content).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import httpx

__all__ = ["RecordedRequest", "RecordingProxy", "prism_command", "run_prism"]

_ROOT = Path(__file__).resolve().parents[2]
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


def prism_command() -> list[str] | None:
    """The Prism executable installed by ``.ci/test`` (or on PATH), or None."""
    local = _ROOT / ".cache" / "prism" / "node_modules" / ".bin" / "prism"
    if local.exists():
        return [str(local)]
    found = shutil.which("prism")
    return [found] if found else None


@contextmanager
def run_prism(spec: Path, port: int, *, timeout: float = 90.0) -> Iterator[str]:
    """Run ``prism mock`` on 127.0.0.1:``port`` until the block ends; yield its base URL."""
    command = prism_command()
    if command is None:
        raise FileNotFoundError("prism is not installed (bash .ci/test installs it)")
    proc = subprocess.Popen(
        [*command, "mock", "--errors", "-h", "127.0.0.1", "-p", str(port), str(spec)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_listening(proc, port, timeout)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wait_listening(proc: subprocess.Popen[bytes], port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise RuntimeError(f"prism exited at start: {err[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"prism did not listen on port {port} within {timeout:.0f} s")


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, list[str]]
    status: int


class RecordingProxy:
    """A threaded HTTP proxy on loopback: forwards to ``upstream`` and records each exchange."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> RecordingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._forward()

            def do_POST(self) -> None:
                self._forward()

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                answer = httpx.request(
                    self.command,
                    proxy.upstream + self.path,
                    headers=headers,
                    content=body,
                    timeout=30,
                )
                proxy._record(
                    RecordedRequest(
                        self.command,
                        self.path,
                        dict(self.headers.items()),
                        parse_qs(body.decode("utf-8", "replace")),
                        answer.status_code,
                    )
                )
                self.send_response(answer.status_code)
                for name, value in answer.headers.items():
                    if name.lower() not in _HOP_BY_HOP | {"content-encoding"}:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
