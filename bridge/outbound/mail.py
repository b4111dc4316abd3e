"""The two ways the bridge hands over its own email: a local Maildir or an SMTP smarthost.

Both translate their foreign errors (``OSError``, ``aiosmtplib`` exceptions) here, once, into
``TemporaryFailure`` or ``PermanentFailure``; the mail worker sees nothing else. "Delivered"
means the next hop has the message for good: the Maildir file and its directory are fsynced,
and the smarthost answered 250 to DATA.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import ssl
import time
from pathlib import Path

import aiosmtplib

from bridge.config import MailSettings, SmarthostSettings
from bridge.errors import DeliveryFailure, PermanentFailure, TemporaryFailure
from bridge.outbound.base import MailTransport
from bridge.outbound.imap_append import ImapAppendTransport
from bridge.store.ids import new_id

__all__ = ["MaildirTransport", "SmtpTransport", "build_transport"]

log = logging.getLogger(__name__)

_MAILDIR_SUBDIRS = ("tmp", "new", "cur")


class MaildirTransport:
    """Write each message into one Maildir, as a local delivery agent would.

    Every recipient shares the one Maildir: it is the bridge's own mailbox (for a single-host
    setup or for inspection), not a router. The message gets the ``Return-Path`` an MDA adds,
    and LF line endings, which is what Maildir readers expect.

    A message with a ``key`` is filed as ``<key>.smsbridge`` (the key is a time-ordered job id,
    so names still sort by time), and a retry first looks for that name in ``new/`` and, as a
    reader may have moved it, in ``cur/`` (``<name>:2,<flags>``): a bridge killed between the
    rename and recording the delivery does not file the message twice. The name carries no
    host, so a bridge that takes over another's job on a shared Maildir finds it too.
    """

    name = "maildir"

    def __init__(self, path: Path) -> None:
        self.path = path

    async def deliver(
        self,
        *,
        envelope_from: str,
        recipients: tuple[str, ...],
        content: bytes,
        key: str | None = None,
        retry: bool = False,
    ) -> None:
        data = _with_return_path(envelope_from, content)
        name = f"{key or new_id('m')}.smsbridge"  # one unkeyed (a test's) gets a fresh id
        try:
            written = await asyncio.to_thread(self._write, name, data, retry)
        except OSError as exc:
            raise TemporaryFailure(
                f"cannot write to the Maildir {self.path}: {exc.strerror or exc}"
            ) from exc
        what = "written to" if written else "already in"
        log.debug("mail for %d recipient(s) %s %s as %s", len(recipients), what, self.path, name)

    def _write(self, name: str, data: bytes, retry: bool) -> bool:
        """Write to tmp/, fsync, move into new/, fsync new/: the Maildir way to be atomic.
        False if a retry finds the message already delivered."""
        self._ensure_maildir()
        if retry and self._delivered(name):
            return False
        tmp_path = self.path / "tmp" / name
        _write_synced(tmp_path, data)
        os.rename(tmp_path, self.path / "new" / name)
        _fsync_dir(self.path / "new")
        return True

    def _delivered(self, name: str) -> bool:
        if (self.path / "new" / name).exists():
            return True
        moved = name + ":"
        with os.scandir(self.path / "cur") as entries:
            return any(entry.name.startswith(moved) for entry in entries)

    def _ensure_maildir(self) -> None:
        if all((self.path / sub).is_dir() for sub in _MAILDIR_SUBDIRS):
            return
        for sub in _MAILDIR_SUBDIRS:
            (self.path / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
        _fsync_dir(self.path)
        _fsync_dir(self.path.parent)


def _with_return_path(envelope_from: str, content: bytes) -> bytes:
    header = f"Return-Path: <{envelope_from}>\n".encode()
    return header + content.replace(b"\r\n", b"\n")


def _write_synced(path: Path, data: bytes) -> None:
    """Write and fsync; a file left in tmp/ by an attempt that died is written over."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class SmtpTransport:
    """Send through the configured smarthost, reusing a few open sessions.

    A session is kept open after a message (up to ``POOL_SIZE`` of them, for at most
    ``IDLE_SECONDS``) and sent ``RSET`` before it is used again, which saves the connection,
    TLS and login for each email when many texts arrive at once. A kept session that turns out
    to be closed is replaced once, at no cost to the message. ``tls_context`` replaces the
    system trust store, for a smarthost with a private CA (or a test server's certificate).
    """

    name = "smtp"
    POOL_SIZE = 8
    IDLE_SECONDS = 30.0

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
            if client.is_connected and time.monotonic() - since < self.IDLE_SECONDS:
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

    async def close(self) -> None:
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


def build_transport(
    settings: MailSettings, *, maildir_path: Path, local_hostname: str | None = None
) -> MailTransport:
    """The transport the settings ask for; ``maildir_path`` is the already resolved folder.

    ``local_hostname`` is the name given in EHLO; without it aiosmtplib looks up this host's
    FQDN for every session, which can mean a DNS query per email.
    """
    if settings.transport == "smtp":
        return SmtpTransport(settings.smtp, local_hostname=local_hostname)
    if settings.transport == "imap":
        return ImapAppendTransport(settings.imap)
    return MaildirTransport(maildir_path)
