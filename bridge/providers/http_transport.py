"""A lean HTTP/1.1 keep-alive transport for the providers' httpx client.

The providers talk to their APIs through httpx, and httpx is cheap; its default transport
(httpcore over anyio) is not. Profiling dispatch showed httpcore at over half of the event
loop per request: before each request it checks every pooled connection with a
``getpeername`` and a ``select``, and its anyio layer asks which async library is running.
With it, httpx alone makes about 1,600 requests/s here; with this transport, 4,000 to 4,700
(``bench/http_client.py``), and the bridge with 32 workers sends 2,300 to 2,700 texts/s
instead of 700 (``bench/dispatch.py``).

It does what provider calls need and no more: HTTP/1.1 over TCP or TLS (verified, with the
client's own CA settings), one request per connection at a time, idle connections kept per
host for ``keepalive_seconds``, responses framed by Content-Length, chunked encoding or the
end of the connection. httpx keeps everything else (auth, redirects, cookies). httpx honours
a proxy from the environment only on its own transports, so with one set the registry gives
the client httpx's default transport instead (``registry.provider_transport``).

Errors are httpx's own classes, chosen with care because ``http_common`` decides from them
whether a text may have been sent: only a failure before any byte of the request was written
(``ConnectError``, ``ConnectTimeout``) means "surely not sent". A pooled connection is reused
only if the server has not closed it; one that breaks during a request is never retried here.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import SupportsIndex

import httpx

__all__ = ["KeepAliveTransport"]

_MAX_HEAD = 64 * 1024
_MAX_BODY = 8 * 1024 * 1024  # a provider's answer is a few KB; more is not an answer
_NO_BODY = (204, 304)


class _Reader(asyncio.StreamReader):
    """A StreamReader that notices bytes arriving while its connection sits in the pool.

    A server may answer an idle keep-alive connection before closing it (Apache sends
    ``408 Request Timeout``). Read as the answer to the next request, that would be taken for
    the provider refusing a text it had in fact accepted: such a connection is never reused.
    """

    idle = False
    spoke_while_idle = False

    def feed_data(self, data: Iterable[SupportsIndex]) -> None:
        if self.idle:
            self.spoke_while_idle = True
        super().feed_data(data)


@dataclass(slots=True)
class _Connection:
    reader: _Reader
    writer: asyncio.StreamWriter
    idle_since: float = 0.0

    def usable(self, now: float, keepalive: float) -> bool:
        return (
            not self.reader.spoke_while_idle
            and not self.reader.at_eof()
            and not self.writer.is_closing()
            and now - self.idle_since < keepalive
        )

    def close(self) -> None:
        self.writer.close()


class KeepAliveTransport(httpx.AsyncBaseTransport):
    """An ``httpx.AsyncBaseTransport`` keeping idle connections per (scheme, host, port)."""

    def __init__(self, *, keepalive_seconds: float = 4.0, max_idle_per_host: int = 32) -> None:
        """``keepalive_seconds`` stays under the 5 s after which common servers (uvicorn,
        many load balancers' defaults are longer) close an idle connection: a request written
        just as the server closes would fail with its outcome unknown."""
        self._keepalive = keepalive_seconds
        self._max_idle = max_idle_per_host
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._tls: ssl.SSLContext | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        key = _origin(request.url)
        timeouts = request.extensions.get("timeout", {})
        body = await request.aread()
        connection = self._pooled(key) or await self._connect(key, timeouts.get("connect"))
        try:
            await _write(connection, _head(request, len(body)) + body, timeouts.get("write"))
            status, headers, content, reusable = await _read(
                connection.reader, request.method, timeouts.get("read")
            )
        except BaseException:
            connection.close()
            raise
        if reusable:
            self._release(key, connection)
        else:
            connection.close()
        return httpx.Response(status, headers=headers, content=content, request=request)

    async def aclose(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                connection.close()
        self._idle.clear()

    def _pooled(self, key: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(key)
        now = time.monotonic()
        while idle:
            connection = idle.pop()
            if connection.usable(now, self._keepalive):
                connection.reader.idle = False
                return connection
            connection.close()
        return None

    def _release(self, key: tuple[str, str, int], connection: _Connection) -> None:
        idle = self._idle.setdefault(key, [])
        if len(idle) >= self._max_idle:
            connection.close()
            return
        connection.idle_since = time.monotonic()
        connection.reader.idle = True
        idle.append(connection)

    async def _connect(self, key: tuple[str, str, int], within: float | None) -> _Connection:
        scheme, host, port = key
        tls = self._tls_context() if scheme == "https" else None
        try:
            async with asyncio.timeout(within):
                reader, writer = await _open(host, port, tls)
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(f"connecting to {host}:{port} timed out") from exc
        except OSError as exc:  # refused, unreachable, name not found, TLS handshake failed
            raise httpx.ConnectError(f"cannot connect to {host}:{port}: {exc}") from exc
        return _Connection(reader, writer)

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = httpx.create_ssl_context()  # honours SSL_CERT_FILE / SSL_CERT_DIR
        return self._tls


async def _open(
    host: str, port: int, tls: ssl.SSLContext | None
) -> tuple[_Reader, asyncio.StreamWriter]:
    """``asyncio.open_connection`` with a ``_Reader``, as open_connection builds its own."""
    loop = asyncio.get_running_loop()
    reader = _Reader(limit=_MAX_HEAD, loop=loop)
    protocol = asyncio.StreamReaderProtocol(reader, loop=loop)
    transport, _ = await loop.create_connection(
        lambda: protocol, host, port, ssl=tls, server_hostname=host if tls else None
    )
    return reader, asyncio.StreamWriter(transport, protocol, reader, loop)


def _origin(url: httpx.URL) -> tuple[str, str, int]:
    if url.scheme not in ("http", "https"):
        raise httpx.UnsupportedProtocol(f"{url.scheme!r} URLs are not supported")
    return url.scheme, url.host, url.port or (443 if url.scheme == "https" else 80)


def _head(request: httpx.Request, length: int) -> bytes:
    target = request.url.raw_path.decode("ascii")
    lines = [f"{request.method} {target} HTTP/1.1\r\n".encode("ascii")]
    for name, value in request.headers.raw:
        if name.lower() not in (b"content-length", b"transfer-encoding"):
            lines.append(name + b": " + value + b"\r\n")
    if length or request.method in ("POST", "PUT", "PATCH"):
        lines.append(b"Content-Length: %d\r\n" % length)
    lines.append(b"\r\n")
    return b"".join(lines)


async def _write(connection: _Connection, data: bytes, within: float | None) -> None:
    try:
        async with asyncio.timeout(within):
            connection.writer.write(data)
            await connection.writer.drain()
    except TimeoutError as exc:
        raise httpx.WriteTimeout("writing the request timed out") from exc
    except OSError as exc:
        raise httpx.WriteError(f"writing the request failed: {exc}") from exc


async def _read(
    reader: asyncio.StreamReader, method: str, within: float | None
) -> tuple[int, list[tuple[bytes, bytes]], bytes, bool]:
    """(status, headers, body, whether the connection may be reused), read ``within`` seconds."""
    try:
        async with asyncio.timeout(within):
            return await _response(reader, method)
    except TimeoutError as exc:
        raise httpx.ReadTimeout("the server did not answer in time") from exc
    except asyncio.IncompleteReadError as exc:
        raise httpx.RemoteProtocolError("the server closed the connection mid-answer") from exc
    except asyncio.LimitOverrunError as exc:
        raise httpx.RemoteProtocolError("the answer's head is too long") from exc
    except OSError as exc:
        raise httpx.ReadError(f"reading the answer failed: {exc}") from exc


async def _response(
    reader: asyncio.StreamReader, method: str
) -> tuple[int, list[tuple[bytes, bytes]], bytes, bool]:
    while True:  # 1xx answers (100 Continue) come before the real one
        status, version, headers = _parse_head(await reader.readuntil(b"\r\n\r\n"))
        if not 100 <= status < 200:
            break
    fields = {name.lower(): value for name, value in headers}
    keep = version == b"HTTP/1.1" and fields.get(b"connection", b"").lower() != b"close"
    if method == "HEAD" or status in _NO_BODY:
        return status, headers, b"", keep
    if b"chunked" in fields.get(b"transfer-encoding", b"").lower():
        return status, headers, await _chunked(reader), keep
    if b"content-length" in fields:
        length = _number(fields[b"content-length"], 10)
        if length > _MAX_BODY:
            raise httpx.RemoteProtocolError(f"the answer is too long ({length} bytes)")
        return status, headers, await reader.readexactly(length), keep
    body = await reader.read(_MAX_BODY + 1)  # framed by the end of the connection
    while len(body) <= _MAX_BODY and (more := await reader.read(_MAX_BODY + 1 - len(body))):
        body += more
    if len(body) > _MAX_BODY:
        raise httpx.RemoteProtocolError("the answer is too long")
    return status, headers, body, False


def _parse_head(head: bytes) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    status_line, *lines = head[:-4].split(b"\r\n")
    version, _, rest = status_line.partition(b" ")
    if version not in (b"HTTP/1.1", b"HTTP/1.0") or not rest[:3].isdigit():
        raise httpx.RemoteProtocolError(f"not an HTTP answer: {status_line[:80]!r}")
    headers = []
    for line in lines:
        name, colon, value = line.partition(b":")
        if not colon or not name or name != name.strip():
            raise httpx.RemoteProtocolError(f"a malformed header line: {line[:80]!r}")
        headers.append((name, value.strip()))
    return int(rest[:3]), version, headers


async def _chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size = _number((await reader.readuntil(b"\r\n")).split(b";", 1)[0].strip(), 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                pass
            return bytes(body)
        if len(body) + size > _MAX_BODY:
            raise httpx.RemoteProtocolError("the answer is too long")
        body += await reader.readexactly(size)
        if await reader.readexactly(2) != b"\r\n":
            raise httpx.RemoteProtocolError("a chunk does not end where its size says")


def _number(text: bytes, base: int) -> int:
    """A length in ``base``: digits only (no sign, no spaces), as HTTP writes them."""
    if text.isalnum():
        with contextlib.suppress(ValueError):
            return int(text, base)
    raise httpx.RemoteProtocolError(f"not a length: {text[:40]!r}")
