"""An outbound mail transport that appends each email to an IMAP folder.

For a team whose shared inbox is a hosted mailbox the bridge cannot send to by SMTP routing
(or should not: appending needs no relay permission), customers' texts are put straight into
that folder. "Delivered" means the server answered OK to APPEND; any failure (connection,
login, a full mailbox) is temporary and retried by the mail worker.
"""

from __future__ import annotations

import ssl

import aioimaplib

from bridge.errors import TemporaryFailure
from bridge.settings.mail import ImapFolderSettings

__all__ = ["ImapAppendTransport", "quoted"]


def quoted(mailbox: str) -> str:
    """A mailbox name as an IMAP quoted string, so names with spaces work."""
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapAppendTransport:
    name = "imap"

    def __init__(self, settings: ImapFolderSettings) -> None:
        self._settings = settings

    async def aclose(self) -> None:
        return None  # nothing is kept open between messages

    async def deliver(
        self,
        *,
        envelope_from: str,
        recipients: tuple[str, ...],
        content: bytes,
        key: str | None = None,
        retry: bool = False,
    ) -> None:
        where = f"the mailbox {self._settings.username}@{self._settings.host}"
        try:
            await self._append(content)
        except (OSError, TimeoutError, aioimaplib.Abort, aioimaplib.CommandTimeout) as exc:
            raise TemporaryFailure(f"could not reach {where}: {exc.__class__.__name__}") from None
        except _Refused as exc:
            raise TemporaryFailure(f"{where} refused: {exc}") from None

    async def _append(self, content: bytes) -> None:
        s = self._settings
        client = self._client()
        await client.wait_hello_from_server()
        try:
            password = s.password.get_secret_value() if s.password else ""
            _check(await client.login(s.username, password), "LOGIN")
            await client.create(quoted(s.folder))  # "already exists" is fine
            _check(await client.append(content, mailbox=quoted(s.folder)), "APPEND")
        finally:
            await client.logout()

    def _client(self) -> aioimaplib.IMAP4:
        s = self._settings
        if s.security == "none":
            return aioimaplib.IMAP4(host=s.host, port=s.server_port, timeout=s.timeout_seconds)
        context = ssl.create_default_context(cafile=str(s.ca_file) if s.ca_file else None)
        return aioimaplib.IMAP4_SSL(
            host=s.host, port=s.server_port, ssl_context=context, timeout=s.timeout_seconds
        )


class _Refused(Exception):
    pass


def _check(response: aioimaplib.Response, command: str) -> None:
    if response.result != "OK":
        last = response.lines[-1] if response.lines else b""
        text = (
            bytes(last).decode(errors="replace")
            if isinstance(last, bytes | bytearray)
            else str(last)
        )
        raise _Refused(f"{command}: {text}")
