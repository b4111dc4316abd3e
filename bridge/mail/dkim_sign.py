"""DKIM signatures on the email the bridge sends itself, added as it is handed over.

``DkimSigning`` wraps the SMTP transport: each message is signed with ``[mail.dkim]``'s key
just before it goes (a retry is signed again, with a fresh timestamp), by dkimpy, the
maintained DKIM library (it also verifies, in the tests and in ``bridge.inbound``). The
signed headers are the ones a reader sees and a forger would change; the body is signed
whole (no ``l=``), relaxed/relaxed, so a relay that rewraps headers does not break it.
"""

from __future__ import annotations

import logging

from bridge.errors import PermanentFailure
from bridge.mail.transport import MailTransport
from bridge.settings.mail import DkimSettings

__all__ = ["DkimSigning", "dkim_signature"]

log = logging.getLogger(__name__)


def dkim_signature(content: bytes, settings: DkimSettings) -> bytes:
    """The ``DKIM-Signature:`` header line (with its CRLF) for ``content``."""
    import dkim  # dkimpy and dnspython: loaded when the first email is signed (start-up time)

    assert settings.private_key is not None  # checked with the settings
    key = settings.private_key.get_secret_value().encode()
    present = {line.split(b":", 1)[0].strip().lower() for line in _header_lines(content)}
    headers = [name.encode() for name in settings.headers if name.lower().encode() in present]
    signature: bytes = dkim.sign(
        content,
        settings.selector.encode(),
        settings.domain.encode(),
        key,
        include_headers=headers,
        canonicalize=(b"relaxed", b"relaxed"),
        linesep=b"\r\n",
    )
    return signature


def _header_lines(content: bytes) -> list[bytes]:
    head = content.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    return [line for line in head.split(b"\n") if line and not line[:1].isspace()]


class DkimSigning:
    """Another transport's ``deliver``, with the message signed first."""

    def __init__(self, inner: MailTransport, settings: DkimSettings) -> None:
        self._inner = inner
        self._settings = settings
        self.name = inner.name

    async def deliver(
        self,
        *,
        envelope_from: str,
        recipients: tuple[str, ...],
        content: bytes,
        key: str | None = None,
        retry: bool = False,
    ) -> None:
        import dkim

        try:
            signed = dkim_signature(content, self._settings) + content
        except (
            dkim.DKIMException,
            ValueError,
        ) as exc:  # a key dkimpy cannot use: no retry would help
            log.error("DKIM signing failed for %s: %s", key or "a message", exc)
            raise PermanentFailure(f"the DKIM key could not sign: {exc}") from None
        await self._inner.deliver(
            envelope_from=envelope_from,
            recipients=recipients,
            content=signed,
            key=key,
            retry=retry,
        )

    async def aclose(self) -> None:
        await self._inner.aclose()
