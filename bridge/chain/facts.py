"""What rules know about the world beyond the request, read for them before they run.

A rule declares the facts it needs (``Rule.needs``); the chain reads exactly those, for the
request as it stands when the rule's turn comes (the sender rule may have chosen the sender
the opt-out rule asks about). So rules stay pure functions of the request and the facts, and
their tests need no store: a ``FactReader`` is two small methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bridge.models import ConsentEvent, Contact, Suppression, ThreadNumbers

__all__ = ["NO_THREAD", "FactReader", "FactStore", "Facts", "StoreFacts", "ThreadNumbers"]

NO_THREAD = ThreadNumbers()  # no thread asked about, or none found


@dataclass(frozen=True, slots=True, kw_only=True)
class Facts:
    at: datetime  # the time the chain decides at (aware)
    opted_out: Suppression | None = None  # the customer's STOP that stops this sender
    rate_wait: float = 0.0  # seconds until every rate limit on this send has room
    thread: ThreadNumbers = NO_THREAD
    contact: Contact | None = None  # the recipient in the address book, if they are in it
    consent: ConsentEvent | None = None  # the customer's latest opt-in or opt-out for the sender

    @property
    def opted_out_since(self) -> datetime | None:
        return self.opted_out.since if self.opted_out else None


class FactReader(Protocol):
    async def opted_out(self, *, sender: str, customer: str) -> Suppression | None:
        """The opt-out that stops ``sender`` texting ``customer`` (``compliance.opt_out_scope``)."""
        ...

    async def consent(self, *, sender: str, customer: str) -> ConsentEvent | None:
        """The customer's latest recorded opt-in or opt-out that applies to ``sender``."""
        ...

    async def rate_wait(self, *, keys: tuple[str, ...], at: datetime) -> float:
        """0 with a token taken from every limited key, or the seconds to wait (none taken)."""
        ...

    async def thread_numbers(
        self, *, customer: str, references: tuple[str, ...], at: datetime
    ) -> ThreadNumbers: ...

    async def contact(self, number: str) -> Contact | None:
        """The recipient's entry in the address book (their name, time zone, language)."""
        ...


class FactStore(Protocol):
    """What the chain reads from the store: opt-outs, consent, threads and the address book."""

    async def suppression(
        self, *, customer: str, reply_number: str | None
    ) -> Suppression | None: ...

    async def latest_consent(self, *, customer: str, sender: str) -> ConsentEvent | None: ...

    async def thread_numbers(
        self, *, customer: str, references: tuple[str, ...], since: datetime
    ) -> ThreadNumbers: ...

    async def contact(self, number: str) -> Contact | None: ...


class Limiter(Protocol):
    async def take(self, keys: tuple[str, ...], *, now: float) -> float: ...


class StoreFacts:
    """Facts from the store (opt-outs, contacts) and the rate limiter, as the running bridge
    has them."""

    def __init__(
        self,
        store: FactStore,
        limiter: Limiter | None = None,
        *,
        conversation_days: float = 30,
        opt_out_scope: str = "organisation",
    ) -> None:
        self._store = store
        self._limiter = limiter
        self._live = timedelta(days=conversation_days)
        self._everywhere = opt_out_scope == "organisation"

    async def opted_out(self, *, sender: str, customer: str) -> Suppression | None:
        """With the organisation's scope, a STOP to any number stops every sender (a sender
        ID too); with the number's, only the number texted (and the organisation's list,
        which an import or an admin fills)."""
        number = None if self._everywhere else sender
        return await self._store.suppression(customer=customer, reply_number=number)

    async def consent(self, *, sender: str, customer: str) -> ConsentEvent | None:
        return await self._store.latest_consent(customer=customer, sender=sender)

    async def rate_wait(self, *, keys: tuple[str, ...], at: datetime) -> float:
        if self._limiter is None:
            return 0.0
        return await self._limiter.take(keys, now=at.timestamp())

    async def thread_numbers(
        self, *, customer: str, references: tuple[str, ...], at: datetime
    ) -> ThreadNumbers:
        since = at - self._live
        return await self._store.thread_numbers(
            customer=customer, references=references, since=since
        )

    async def contact(self, number: str) -> Contact | None:
        return await self._store.contact(number)
