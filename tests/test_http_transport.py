"""The providers' HTTP transport (bridge/providers/http_transport.py) against small servers on
loopback that answer as real ones do, and misbehave as real ones do."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest

from bridge.providers.http_common import transport_failure
from bridge.providers.http_transport import KeepAliveTransport
from bridge.providers.registry import provider_transport
from tests.support.smtp_sink import self_signed_certificate, tls_available

Answer = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
OK = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok": 1}\r\n'


class Server:
    """Reads one request head and body at a time and lets ``answer`` reply (or not)."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.connections = 0
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []
        RUNNING.append(self)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                self.requests.append(head + await reader.readexactly(length))
                await self.answer(reader, writer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def start(self, tls: bool = False) -> str:
        context = self_signed_certificate()[0] if tls else None
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=context)
        port = self.server.sockets[0].getsockname()[1]
        return f"{'https' if tls else 'http'}://{'localhost' if tls else '127.0.0.1'}:{port}"

    async def stop(self) -> None:
        for writer in self.writers:
            writer.close()
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


RUNNING: list[Server] = []


@pytest.fixture(autouse=True)
async def _stop_servers() -> AsyncIterator[None]:
    yield
    while RUNNING:
        await RUNNING.pop().stop()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=KeepAliveTransport(), timeout=2.0) as opened:
        yield opened


def replying(data: bytes) -> Answer:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(data)

    return answer


async def test_a_form_post_gets_its_answer_and_the_connection_is_reused(
    client: httpx.AsyncClient,
) -> None:
    server = Server(replying(OK))
    url = await server.start()
    for n in range(3):
        answer = await client.post(url + "/send?x=1", data={"to": "447700900123", "n": str(n)})
        assert (answer.status_code, answer.json()) == (200, {"ok": 1})
    assert server.connections == 1
    first = server.requests[0]
    assert first.startswith(b"POST /send?x=1 HTTP/1.1\r\n")
    assert b"\r\nhost: 127.0.0.1:" in first.lower() and b"content-length: 19\r\n" in first.lower()
    assert first.endswith(b"\r\n\r\nto=447700900123&n=0")


async def test_chunked_answers_with_extensions_and_trailers(client: httpx.AsyncClient) -> None:
    chunked = (
        b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'4;ext=1\r\n{"a"\r\n6\r\n: "b"}\r\n0\r\nX-Trailer: y\r\n\r\n'
    )
    server = Server(replying(chunked))
    url = await server.start()
    for _ in range(2):
        answer = await client.get(url + "/")
        assert (answer.status_code, answer.json()) == (201, {"a": "b"})
    assert server.connections == 1


async def test_answers_framed_by_closing_or_saying_close_are_not_reused(
    client: httpx.AsyncClient,
) -> None:
    closing = Server(replying(b"HTTP/1.0 200 OK\r\n\r\n" + b"z" * 70_000))
    url = await closing.start()

    async def close_after(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.0 200 OK\r\n\r\n" + b"z" * 70_000)
        writer.close()

    closing.answer = close_after
    for _ in range(2):
        assert (await client.get(url + "/")).content == b"z" * 70_000
    said_close = Server(replying(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"))
    url2 = await said_close.start()
    for _ in range(2):
        assert (await client.delete(url2 + "/")).status_code == 204
    assert (closing.connections, said_close.connections) == (2, 2)


async def test_a_connection_the_server_closed_while_idle_is_not_used(
    client: httpx.AsyncClient,
) -> None:
    async def answer_then_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(OK)  # keep-alive promised, then closed, as a server's idle timeout does
        await writer.drain()
        writer.close()

    server = Server(answer_then_close)
    url = await server.start()
    for _ in range(3):
        assert (await client.post(url + "/", data={"a": "b"})).status_code == 200
        await asyncio.sleep(0.05)
    assert server.connections == 3


async def test_an_informational_answer_is_skipped(client: httpx.AsyncClient) -> None:
    server = Server(replying(b"HTTP/1.1 100 Continue\r\n\r\n" + OK))
    url = await server.start()
    assert (await client.post(url + "/", content=b"x")).status_code == 200


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (b"SMTP/1.0 200 OK\r\n\r\n", httpx.RemoteProtocolError),
        (b"HTTP/1.1 2x0 OK\r\n\r\n", httpx.RemoteProtocolError),
        (b"HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n", httpx.RemoteProtocolError),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n", httpx.RemoteProtocolError),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n", httpx.RemoteProtocolError),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", httpx.RemoteProtocolError),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", httpx.RemoteProtocolError),
        (b"HTTP/1.1 200 OK\r\nX: " + b"y" * 70_000 + b"\r\n\r\n", httpx.RemoteProtocolError),
    ],
)
async def test_broken_answers_are_protocol_errors_that_may_have_sent(
    client: httpx.AsyncClient, answer: bytes, error: type[Exception]
) -> None:
    async def broken(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(answer)
        await writer.drain()
        writer.close()

    url = await Server(broken).start()
    with pytest.raises(error) as raised:
        await client.post(url + "/send", data={"a": "b"})
    assert transport_failure(raised.value, "P").maybe_sent  # type: ignore[arg-type]


async def test_no_answer_in_time_is_a_read_timeout_that_may_have_sent(
    client: httpx.AsyncClient,
) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)

    url = await Server(silent).start()
    with pytest.raises(httpx.ReadTimeout) as raised:
        await client.post(url + "/send", data={"a": "b"}, timeout=0.2)
    assert transport_failure(raised.value, "P").maybe_sent


async def test_a_refused_connection_surely_sent_nothing(client: httpx.AsyncClient) -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    with pytest.raises(httpx.ConnectError) as raised:
        await client.post(f"http://127.0.0.1:{port}/send", data={"a": "b"})
    assert not transport_failure(raised.value, "P").maybe_sent
    with pytest.raises(httpx.UnsupportedProtocol):
        await client.get("ftp://127.0.0.1/")


@pytest.mark.skipif(not tls_available(), reason="needs the openssl command")
async def test_tls_is_verified_against_the_trusted_certificates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = Server(replying(OK))
    url = await server.start(tls=True)
    async with httpx.AsyncClient(transport=KeepAliveTransport()) as untrusting:
        with pytest.raises(httpx.ConnectError) as raised:  # a self-signed certificate
            await untrusting.post(url + "/send", data={"a": "b"})
        assert not transport_failure(raised.value, "P").maybe_sent
    bundle = tmp_path / "ca.pem"
    bundle.write_text(self_signed_certificate()[1])
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    async with httpx.AsyncClient(transport=KeepAliveTransport()) as trusting:
        for _ in range(2):
            assert (await trusting.post(url + "/send", data={"a": "b"})).json() == {"ok": 1}
    assert server.connections == 1


def test_a_proxy_in_the_environment_gets_httpx_own_transport(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    assert isinstance(provider_transport(), KeepAliveTransport)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.com:3128")
    assert provider_transport() is None  # httpx then routes through the proxy, NO_PROXY too


async def test_a_connection_the_server_spoke_on_while_idle_is_not_used(
    client: httpx.AsyncClient,
) -> None:
    """Apache answers an idle keep-alive connection with 408 before closing it: read as the
    answer to the next request, it would misreport a text the provider accepted."""

    async def answer_then_408(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(OK)
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n")  # still open

    server = Server(answer_then_408)
    url = await server.start()
    assert (await client.post(url + "/", data={"a": "b"})).status_code == 200
    await asyncio.sleep(0.2)  # the 408 arrives while the connection is in the pool
    assert (await client.post(url + "/", data={"a": "b"})).status_code == 200
    assert server.connections == 2
