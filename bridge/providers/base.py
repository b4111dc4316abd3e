"""The one interface every SMS provider implements.

A provider turns an ``OutboundSms`` into one HTTP call (or, for the sandbox, a recorded send)
and translates everything that can go wrong into ``TemporaryFailure`` or ``PermanentFailure``
(``bridge.errors``). Nothing above this layer sees httpx exceptions or provider JSON.

``find_sent`` exists because a process can die between the provider accepting a text and the
store recording it. The bridge promises at most one text per accepted recipient, so a job
claimed again after such a crash is never sent blindly: the provider is asked first.
"""

from __future__ import annotations

from typing import Protocol

from bridge.models import OutboundSms, SendResult

__all__ = ["Provider"]


class Provider(Protocol):
    """Send one text. Raise ``TemporaryFailure`` (retry) or ``PermanentFailure`` (give up)."""

    name: str

    async def send(self, sms: OutboundSms) -> SendResult: ...

    async def find_sent(self, sms: OutboundSms) -> SendResult | None:
        """The provider's record of an earlier send of ``sms.job_id``, or None if surely none.

        Raise ``OutcomeUnknown`` when the provider cannot tell, or ``TemporaryFailure`` when it
        cannot be asked right now.
        """
        ...
