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
    """

    name: str

    async def deliver(
        self, *, envelope_from: str, recipients: tuple[str, ...], content: bytes
    ) -> None: ...
