"""A FactReader with its answers given, for the outbound chain's rules tested without a store
(``bridge.chain.facts``): every fact the chain can ask for, neutral unless a test sets it."""

from __future__ import annotations

from datetime import datetime, timedelta

from bridge.chain.facts import SENT_DAYS
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

__all__ = ["Facts"]


class Facts:
    """A FactReader with its answers given."""

    def __init__(
        self, *, stopped: datetime | None = None, wait: float = 0.0, book: tuple[Contact, ...] = ()
    ) -> None:
        self.stopped, self.wait, self.asked = stopped, wait, []
        self.book = {contact.number: contact for contact in book}
        self.looked_up: list[str] = []

    async def opted_out(self, *, sender: str, customer: str) -> Suppression | None:
        self.asked.append((sender, customer))
        return Suppression(sender, self.stopped) if self.stopped else None

    async def consent(self, *, sender: str, customer: str) -> ConsentEvent | None:
        return None

    async def rate_wait(self, *, keys: tuple[str, ...], at: datetime) -> float:
        return self.wait

    async def contact(self, number: str) -> Contact | None:
        self.looked_up.append(number)
        return self.book.get(number)

    async def thread_numbers(
        self, *, customer: str, references: tuple[str, ...], at: datetime
    ) -> ThreadNumbers:
        return ThreadNumbers()

    async def new_numbers(self, *, author: str, to_number: str, at: datetime) -> NewNumbers:
        return NewNumbers(new=False)

    async def sent_times(
        self, *, number: str, category: str, since: datetime
    ) -> tuple[datetime, ...]:
        return ()

    async def spent(self, *, author: str, at: datetime) -> tuple[Spent, ...]:
        return ()

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
        """The three answers above, as the store reads them together; with ``windows``, the
        texts counted in each (up to its ``enough``) and their times only when one reached
        it, as the store counts them."""
        since = at - timedelta(days=SENT_DAYS)
        sent: tuple[datetime, ...] = ()
        if "sent" in wants and category:
            sent = await self.sent_times(number=number, category=category, since=since)
        counts = None
        if windows and "sent" in wants and category:
            counts = tuple(min(_within(sent, w), w.enough) for w in windows)
            if not any(n >= w.enough for n, w in zip(counts, windows, strict=True)):
                sent = ()
        return Recipient(
            await self.contact(number) if "contact" in wants else None,
            sent,
            await self.spent(author=author, at=at) if "spent" in wants else (),
            counts,
        )


def _within(sent: tuple[datetime, ...], window: SentWindow) -> int:
    return sum(1 for t in sent if t >= window.start and (window.end is None or t < window.end))
