"""Facts read ahead for many texts at once: a bulk send's 100,000 rows ask the store about
opt-outs once, not once a row.

``KnownOptOuts`` is told, in one query before the rows are decided, every customer who has
any opt-out at all (``Store.suppressed_customers``); a customer outside that set has none,
so the ``opt-out`` rule's fact is None without a query, and for one inside it the store is
asked exactly as ``StoreFacts`` asks it (the scope, the sender, the latest STOP). Every other
fact is the wrapped reader's. A STOP that arrives while the rows are being decided counts
for the rows decided after it only if its customer was already in the set: the same window
an email has between RCPT TO and DATA, a few seconds.
"""

from __future__ import annotations

from collections.abc import Set
from datetime import datetime

from bridge.chain.facts import FactReader
from bridge.models import (
    ConsentEvent,
    Contact,
    NewNumbers,
    Recipient,
    SentWindow,
    Spent,
    Suppression,
    ThreadNumbers,
)

__all__ = ["KnownOptOuts"]


class KnownOptOuts:
    """``base``, except that only the customers in ``stopped`` can have opted out."""

    def __init__(self, base: FactReader, stopped: Set[str]) -> None:
        self._base = base
        self._stopped = stopped

    async def opted_out(self, *, sender: str, customer: str) -> Suppression | None:
        if customer not in self._stopped:
            return None
        return await self._base.opted_out(sender=sender, customer=customer)

    async def consent(self, *, sender: str, customer: str) -> ConsentEvent | None:
        return await self._base.consent(sender=sender, customer=customer)

    async def rate_wait(self, *, keys: tuple[str, ...], at: datetime) -> float:
        return await self._base.rate_wait(keys=keys, at=at)

    async def thread_numbers(
        self, *, customer: str, references: tuple[str, ...], at: datetime
    ) -> ThreadNumbers:
        return await self._base.thread_numbers(customer=customer, references=references, at=at)

    async def contact(self, number: str) -> Contact | None:
        return await self._base.contact(number)

    async def new_numbers(self, *, author: str, to_number: str, at: datetime) -> NewNumbers:
        return await self._base.new_numbers(author=author, to_number=to_number, at=at)

    async def sent_times(
        self, *, number: str, category: str, since: datetime
    ) -> tuple[datetime, ...]:
        return await self._base.sent_times(number=number, category=category, since=since)

    async def spent(self, *, author: str, at: datetime) -> tuple[Spent, ...]:
        return await self._base.spent(author=author, at=at)

    async def recipient(
        self,
        *,
        number: str,
        category: str,
        author: str,
        at: datetime,
        wants: frozenset[str],
        windows: tuple[SentWindow, ...] = (),
    ) -> Recipient:
        return await self._base.recipient(
            number=number, category=category, author=author, at=at, wants=wants, windows=windows
        )
