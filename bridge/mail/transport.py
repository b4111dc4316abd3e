"""The one interface every outbound mail transport implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

__all__ = ["MailTransport", "NoticeSettings"]


@dataclass(frozen=True, slots=True, kw_only=True)
class NoticeSettings:
    """Where the bridge's own notices come from: its From address and Message-ID host."""

    from_address: str
    hostname: str


class MailTransport(Protocol):
    """Hand one message to its next hop.

    ``content`` is the complete RFC 5322 message as bytes. Raise ``TemporaryFailure`` (retry
    later: 4xx, connection refused, timeout) or ``PermanentFailure`` (5xx for every recipient).

    ``key`` names the message for good (the mail job's id) and ``retry`` says an earlier attempt
    may have got as far as delivering it (the bridge died before recording that). A transport
    that can see its earlier deliveries (the Maildir) delivers a key at most once; one that
    cannot (an SMTP 250 lost with the connection) may deliver it again, with the same
    Message-ID, which is what mail software removes duplicates by.
    """

    name: str

    async def aclose(self) -> None:
        """Close what the transport keeps open between messages (sessions, clients)."""
        ...

    async def deliver(
        self,
        *,
        envelope_from: str,
        recipients: tuple[str, ...],
        content: bytes,
        key: str | None = None,
        retry: bool = False,
    ) -> None: ...
