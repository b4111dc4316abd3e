"""The smarthost mail transport: the bridge's email through an SMTP server, sessions reused.

``aiosmtplib`` and socket errors are translated here, once, into ``TemporaryFailure`` or
``PermanentFailure``; the mail worker sees nothing else. "Delivered" means the smarthost
answered 250 to DATA.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import time

import aiosmtplib

from bridge.errors import DeliveryFailure, PermanentFailure, TemporaryFailure
from bridge.settings.mail import SmarthostSettings

__all__ = ["SmtpTransport"]

log = logging.getLogger(__name__)


class SmtpTransport:
    """Send through the configured smarthost, reusing a few open sessions.

    A session is kept open after a message (up to ``POOL_SIZE`` of them, as many as the mail
    worker sends at once, for at most ``IDLE_SECONDS``), which saves the connection, TLS and
    login for each email when many texts arrive at once. A session idle for more than
    ``CHECK_AFTER_SECONDS`` is sent ``RSET`` before it is used again, to find out whether the
    server still holds it; one used just now is not (its last transaction ended with the 250
    to DATA, which leaves the server ready for the next, and the round trip was a fifth of each
    email's SMTP exchange). A kept session that turns out to be closed, or that the server
    closes with 421, is replaced once, at no cost to the message. ``tls_context`` replaces the
    system trust store, for a smarthost with a private CA (or a test server's certificate).
    """

    name = "smtp"
    POOL_SIZE = 16
    IDLE_SECONDS = 30.0
    CHECK_AFTER_SECONDS = 2.0

    def __init__(
        self,
        settings: SmarthostSettings,
        *,
        tls_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        self._settings = settings
        self._tls_context = tls_context
        self._local_hostname = local_hostname
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []

    async def deliver(
        self,
        *,
        envelope_from: str,
        recipients: tuple[str, ...],
        content: bytes,
        key: str | None = None,
        retry: bool = False,
    ) -> None:
        try:
            refused = await self._send(envelope_from, recipients, content)
        except (aiosmtplib.SMTPException, OSError, ValueError) as exc:
            raise self._translate(exc) from exc
        for reply in refused.values():
            log.warning(
                "%s refused one recipient (%s); delivered to the others",
                self._where,
                _reply(reply.code, reply.message),
            )
        log.debug("%s accepted mail for %d recipient(s)", self._where, len(recipients))

    async def _send(
        self, envelope_from: str, recipients: tuple[str, ...], content: bytes
    ) -> dict[str, aiosmtplib.SMTPResponse]:
        client = await self._kept()
        if client is not None:
            try:
                return await self._on(client, envelope_from, recipients, content)
            except aiosmtplib.SMTPServerDisconnected:
                pass  # the kept session had gone stale: take a fresh one
            except aiosmtplib.SMTPResponseException as exc:
                if exc.code != _CLOSING:
                    raise
                # the server is closing the kept session (its idle timeout): take a fresh one
        client = self._client()
        await client.connect()
        return await self._on(client, envelope_from, recipients, content)

    async def _on(
        self,
        client: aiosmtplib.SMTP,
        envelope_from: str,
        recipients: tuple[str, ...],
        content: bytes,
    ) -> dict[str, aiosmtplib.SMTPResponse]:
        try:
            refused, _ = await client.sendmail(envelope_from, list(recipients), content)
        except BaseException:
            client.close()
            raise
        self._keep(client)
        return refused

    async def _kept(self) -> aiosmtplib.SMTP | None:
        while self._idle:
            client, since = self._idle.pop()
            idle = time.monotonic() - since
            if client.is_connected and idle < self.CHECK_AFTER_SECONDS:
                return client
            if client.is_connected and idle < self.IDLE_SECONDS:
                try:
                    await client.rset()
                    return client
                except (aiosmtplib.SMTPException, OSError):
                    pass
            client.close()
        return None

    def _keep(self, client: aiosmtplib.SMTP) -> None:
        if len(self._idle) < self.POOL_SIZE and client.is_connected:
            self._idle.append((client, time.monotonic()))
        else:
            client.close()

    async def aclose(self) -> None:
        """Say goodbye to the kept sessions."""
        while self._idle:
            client, _ = self._idle.pop()
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await client.quit()
            client.close()

    @property
    def _where(self) -> str:
        return f"the mail server {self._settings.host}:{self._settings.port}"

    def _client(self) -> aiosmtplib.SMTP:
        settings = self._settings
        login = settings.username is not None and settings.password is not None
        password = settings.password.get_secret_value() if settings.password else None
        return aiosmtplib.SMTP(
            hostname=settings.host,
            port=settings.port,
            start_tls=settings.starttls,
            tls_context=self._tls_context,
            username=settings.username if login else None,
            password=password if login else None,
            timeout=settings.timeout_seconds,
            local_hostname=self._local_hostname,
        )

    def _translate(self, exc: Exception) -> DeliveryFailure:
        """The one place an ``aiosmtplib`` or socket error becomes a bridge failure."""
        where = self._where
        if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
            return _refused_everyone(where, exc)
        if isinstance(exc, _SESSION_ERRORS):
            # Our own login or TLS setup failed: not the message's fault, and fixable by an
            # administrator, so the notices wait in the queue instead of being dropped.
            return TemporaryFailure(f"{where} did not let the bridge in: {_describe(exc)}")
        if isinstance(exc, aiosmtplib.SMTPResponseException):
            return _by_code(exc.code, f"{where} answered {_reply(exc.code, exc.message)}")
        if isinstance(exc, ValueError):
            return PermanentFailure(f"the address cannot be used in SMTP: {exc}")
        if isinstance(exc, aiosmtplib.SMTPTimeoutError | TimeoutError):
            return TemporaryFailure(f"{where} did not answer in time")
        return TemporaryFailure(f"could not talk to {where}: {_describe(exc)}")


_CLOSING = 421  # "service not available, closing transmission channel"
_SESSION_ERRORS = (
    aiosmtplib.SMTPAuthenticationError,
    aiosmtplib.SMTPHeloError,
    aiosmtplib.SMTPConnectResponseError,
    aiosmtplib.SMTPNotSupported,
    ssl.SSLError,
)


def _refused_everyone(where: str, exc: aiosmtplib.SMTPRecipientsRefused) -> DeliveryFailure:
    """Permanent only when every refusal was permanent; one 4xx means trying again may work."""
    replies = "; ".join(
        f"{refusal.recipient}: {_reply(refusal.code, refusal.message)}"
        for refusal in exc.recipients
    )
    mildest = min((refusal.code for refusal in exc.recipients), default=451)
    return _by_code(mildest, f"{where} refused the recipient ({replies})")


def _by_code(code: int, reason: str) -> DeliveryFailure:
    if 500 <= code < 600:
        return PermanentFailure(reason, code=str(code))
    return TemporaryFailure(reason, code=str(code))


def _reply(code: int, message: str) -> str:
    return f"{code} {' '.join(message.split())}"


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
