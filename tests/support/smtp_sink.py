"""A real SMTP server on loopback that records what it receives and fails when told to.

Tests of anything that sends mail talk to this sink over a socket, exactly as they would to a
smarthost, instead of mocking the client. It runs in the test's own event loop
(``async with SmtpSink() as sink``) or in a background thread for synchronous tests that run
the bridge as a subprocess (``with SmtpSink.threaded() as sink``). It can offer STARTTLS with
a throwaway self-signed certificate (made with the ``openssl`` command), require AUTH, and
refuse the next RCPT or DATA with a chosen reply, like a real server having a bad moment.
"""

from __future__ import annotations

import asyncio
import functools
import shutil
import ssl
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.support.certificates import make_certificate

__all__ = [
    "ReceivedMessage",
    "SmtpSink",
    "ThreadedSmtpSink",
    "TlsUnavailable",
    "self_signed_certificate",
    "tls_available",
]

Stage = Literal["rcpt", "data"]
_Authenticator = Callable[[SMTP, Session, Envelope, str, Any], AuthResult]
_STOP_TIMEOUT = 10.0


class TlsUnavailable(RuntimeError):
    """No ``openssl`` command to make a certificate with; TLS tests should be skipped."""


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    """One accepted message. A null reverse-path (``MAIL FROM:<>``) is recorded as ``"<>"``."""

    envelope_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes
    tls: bool
    login: str | None
    arrived: float = 0.0  # time.perf_counter() when the sink answered 250, for benchmarks

    def parsed(self) -> EmailMessage:
        message = BytesParser(policy=policy.default).parsebytes(self.content)
        assert isinstance(message, EmailMessage)
        return message


@dataclass(slots=True)
class _Fault:
    code: int
    text: str
    remaining: int


def tls_available() -> bool:
    """Whether the sink can offer STARTTLS here (the ``openssl`` command is installed)."""
    return shutil.which("openssl") is not None


@functools.cache
def self_signed_certificate() -> tuple[ssl.SSLContext, str]:
    """A server context and the PEM of its self-signed certificate (localhost, 127.0.0.1),
    made once per process; other test servers (the HTTP transport's) use it too."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise TlsUnavailable("the openssl command is not installed")
    with tempfile.TemporaryDirectory(prefix="smtp-sink-") as tmp:
        cert, key = make_certificate(Path(tmp))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        return context, cert.read_text(encoding="ascii")


class _SinkCore:
    """Everything but the way the server's event loop is run (see the two subclasses)."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, tls: bool = False) -> None:
        self.host = host
        self.port = port
        self._tls: ssl.SSLContext | None = self_signed_certificate()[0] if tls else None
        self._lock = threading.Condition()
        self._messages: list[ReceivedMessage] = []
        self._faults: dict[Stage, deque[_Fault]] = {"rcpt": deque(), "data": deque()}
        self._credentials: tuple[str, str] | None = None
        self._server: asyncio.Server | None = None
        self._connections: list[SMTP] = []

    @property
    def messages(self) -> tuple[ReceivedMessage, ...]:
        with self._lock:
            return tuple(self._messages)

    def fail_next(
        self, *, code: int = 451, text: str = "4.3.0 try later", times: int = 1, at: Stage = "rcpt"
    ) -> None:
        """Answer the next ``times`` RCPT (or DATA) commands with ``code text`` instead of 250."""
        with self._lock:
            self._faults[at].append(_Fault(code, text, times))

    def require_auth(self, user: str, password: str) -> None:
        """From the next connection on, refuse MAIL until AUTH (after STARTTLS) succeeds."""
        if self._tls is None:
            raise ValueError("AUTH is offered only after STARTTLS: create the sink with tls=True")
        with self._lock:
            self._credentials = (user, password)

    def client_tls_context(self) -> ssl.SSLContext:
        """A client context that trusts this sink's certificate (and nothing else)."""
        if self._tls is None:
            raise ValueError("this sink was created without tls=True")
        return ssl.create_default_context(cadata=self_signed_certificate()[1])

    def _wait(self, count: int, timeout: float) -> tuple[ReceivedMessage, ...]:
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self._messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"the sink received {len(self._messages)} of {count} messages"
                        f" in {timeout} s"
                    )
                self._lock.wait(left)
            return tuple(self._messages)

    async def _start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for connection in self._connections:
            if connection.transport is not None:
                connection.transport.close()
        await self._server.wait_closed()
        await asyncio.sleep(0)  # let closed connections run their connection_lost
        self._server = None

    def _protocol(self) -> SMTP:
        with self._lock:
            credentials = self._credentials
        smtp = SMTP(
            self,
            hostname="sink.localhost",
            tls_context=self._tls,
            auth_required=credentials is not None,
            authenticator=self._authenticator(credentials),
            loop=asyncio.get_running_loop(),
        )
        self._connections.append(smtp)
        return smtp

    @staticmethod
    def _authenticator(credentials: tuple[str, str] | None) -> _Authenticator:
        def authenticate(
            server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
        ) -> AuthResult:
            expected = tuple(v.encode() for v in credentials) if credentials else None
            ok = isinstance(data, LoginPassword) and (data.login, data.password) == expected
            return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

        return authenticate

    def _fault(self, stage: Stage) -> str | None:
        with self._lock:
            pending = self._faults[stage]
            if not pending:
                return None
            fault = pending[0]
            fault.remaining -= 1
            if fault.remaining <= 0:
                pending.popleft()
            return f"{fault.code} {fault.text}"

    # aiosmtpd handler hooks

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        refusal = self._fault("rcpt")
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        refusal = self._fault("data")
        if refusal is not None:
            return refusal
        auth = session.auth_data
        received = ReceivedMessage(
            envelope_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            content=envelope.original_content or b"",
            tls=session.ssl is not None,
            login=auth.login.decode() if isinstance(auth, LoginPassword) else None,
            arrived=time.perf_counter(),
        )
        with self._lock:
            self._messages.append(received)
            self._lock.notify_all()
        return "250 OK message accepted"


class SmtpSink(_SinkCore):
    """The sink in the current event loop: ``async with SmtpSink(tls=True) as sink: ...``."""

    async def __aenter__(self) -> Self:
        await self._start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stop()

    async def wait_for(
        self,
        count: int,
        timeout: float = 5.0,
    ) -> tuple[ReceivedMessage, ...]:
        """Wait until ``count`` messages have arrived (the server keeps running meanwhile)."""
        return await asyncio.to_thread(self._wait, count, timeout)

    @classmethod
    def threaded(
        cls, *, host: str = "127.0.0.1", port: int = 0, tls: bool = False
    ) -> ThreadedSmtpSink:
        """The same sink with its own event loop in a background thread, for sync tests."""
        return ThreadedSmtpSink(host=host, port=port, tls=tls)


class ThreadedSmtpSink(_SinkCore):
    """The sink in a background thread: ``with SmtpSink.threaded() as sink: ...``."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, tls: bool = False) -> None:
        super().__init__(host=host, port=port, tls=tls)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="smtp-sink", daemon=True
        )

    def __enter__(self) -> Self:
        self._thread.start()
        try:
            self._call(self._start())
        except BaseException:
            self._shut_down()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._call(self._stop())
        finally:
            self._shut_down()

    def wait_for(self, count: int, timeout: float = 5.0) -> tuple[ReceivedMessage, ...]:
        """Block until ``count`` messages have arrived; raise ``TimeoutError`` otherwise."""
        return self._wait(count, timeout)

    def _call(self, coroutine: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(_STOP_TIMEOUT)

    def _shut_down(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(_STOP_TIMEOUT)
        self._loop.close()
