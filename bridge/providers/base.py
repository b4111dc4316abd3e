"""The one interface every SMS provider implements.

A provider turns an ``OutboundSms`` into one HTTP call (or, for the sandbox, a recorded send)
and translates everything that can go wrong into ``TemporaryFailure`` or ``PermanentFailure``
(``bridge.errors``). Nothing above this layer sees httpx exceptions or provider JSON.
"""

from __future__ import annotations

from typing import Protocol

from bridge.models import OutboundSms, SendResult

__all__ = ["Provider"]


class Provider(Protocol):
    """Send one text. Raise ``TemporaryFailure`` (retry) or ``PermanentFailure`` (give up)."""

    name: str

    async def send(self, sms: OutboundSms) -> SendResult: ...
