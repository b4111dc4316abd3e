"""What rules know about the world beyond the request, read for them before they run.

A rule declares the facts it needs (``Rule.needs``); the chain reads exactly those, for the
request as it stands when the rule's turn comes (the sender rule may have chosen the sender
the opt-out rule asks about). So rules stay pure functions of the request and the facts, and
their tests need no store: a ``FactReader`` is two small methods.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bridge.models import (
    ConsentEvent,
    Contact,
    NewMailJob,
    NewNumbers,
    Recipient,
    SentWindow,
    Spent,
    Suppression,
    ThreadNumbers,
)
from bridge.parsing.addresses import widest_match

__all__ = [
    "NO_THREAD",
    "SENT_DAYS",
    "FactReader",
    "FactStore",
    "Facts",
    "NewNumbers",
    "Recipient",
    "Spent",
    "StoreFacts",
    "ThreadNumbers",
    "VelocityWatch",
]

NO_THREAD = ThreadNumbers()  # no thread asked about, or none found
_PASSED_KEPT = 100_000  # numbers remembered under the velocity limit, at most (about 20 MB)
SENT_DAYS = 32  # how far back a recipient's texts are read: the longest cap's period, and a day


@dataclass(frozen=True, slots=True, kw_only=True)
class Facts:
    at: datetime  # the time the chain decides at (aware)
    opted_out: Suppression | None = None  # the customer's STOP that stops this sender
    rate_wait: float = 0.0  # seconds until every rate limit on this send has room
    thread: ThreadNumbers = NO_THREAD
    contact: Contact | None = None  # the recipient in the address book, if they are in it
    new_numbers: NewNumbers | None = None  # how new the recipient is to the author
    sent: tuple[datetime, ...] = ()  # the recipient's texts of this category, SENT_DAYS back
    sent_counts: tuple[int, ...] | None = None  # in each frequency-cap window (Recipient)
    spent: tuple[Spent, ...] = ()  # the author's team's segments this month, by author, country
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

    async def new_numbers(self, *, author: str, to_number: str, at: datetime) -> NewNumbers:
        """How new ``to_number`` is to ``author`` within the velocity guard's window."""
        ...

    async def sent_times(
        self, *, number: str, category: str, since: datetime
    ) -> tuple[datetime, ...]:
        """When ``number``'s texts of ``category`` made since ``since`` go (or went, or will go
        when deferred), oldest first; texts that failed not counted; every bridge's count."""
        ...

    async def spent(self, *, author: str, at: datetime) -> tuple[Spent, ...]:
        """The segments of the spend-capped team ``author`` belongs to, this month and today
        (the cap's days), by author and country; nothing if no spend cap covers them."""
        ...

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
        """``contact``, ``sent`` and ``spent`` (those of ``wants``), as the three methods
        above answer them, in one read: the chain asks once a text, not once a rule. With
        ``windows`` (and ``sent`` wanted), the texts are counted in each, and their times
        given only when a count reaches its window's ``enough`` (``Recipient``)."""
        ...


class FactStore(Protocol):
    """What the chain reads from the store: opt-outs, consent, threads, the address book, the
    numbers an author texted for the first time, and what the caps count. Each is read as
    committed (``SqlStore._read``), never queued behind writes."""

    async def suppression(
        self, *, customer: str, reply_number: str | None
    ) -> Suppression | None: ...

    async def latest_consent(self, *, customer: str, sender: str) -> ConsentEvent | None: ...

    async def thread_numbers(
        self, *, customer: str, references: tuple[str, ...], since: datetime
    ) -> ThreadNumbers: ...

    async def contact(self, number: str) -> Contact | None: ...

    async def new_numbers(
        self, *, author: str, to_number: str, since: datetime, now: datetime
    ) -> NewNumbers: ...

    async def velocity_alert(
        self, *, author: str, mail: NewMailJob, since: datetime, now: datetime
    ) -> bool: ...

    async def sent_times(
        self, *, number: str, category: str, since: datetime
    ) -> tuple[datetime, ...]: ...

    async def spent(self, *, authors: str, month: datetime, day: datetime) -> tuple[Spent, ...]: ...

    async def recipient(
        self,
        *,
        number: str | None,
        category: str | None,
        since: datetime,
        authors: str | None,
        month: datetime,
        day: datetime,
        windows: tuple[SentWindow, ...] = (),
    ) -> Recipient:
        """The contact of ``number``, its texts of ``category`` since ``since``, the spend of
        ``authors``; each left out (None) is not read."""
        ...


@dataclass(frozen=True, slots=True)
class VelocityWatch:
    """The velocity guard's window, its limit of new numbers, and the alert an administrator
    gets once a window (``alert(author, new numbers, now)``; None: nobody is alerted)."""

    limit: int
    window: timedelta
    alert: Callable[[str, int, datetime], NewMailJob] | None = None


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
        velocity: VelocityWatch | None = None,
        teams: tuple[str, ...] = (),
        zone: str = "UTC",
        opt_out_scope: str = "organisation",
    ) -> None:
        """``teams``: the spend caps' matches (addresses, domains); ``zone``: where their days
        and months begin."""
        self._store = store
        self._limiter = limiter
        self._live = timedelta(days=conversation_days)
        self._velocity = velocity
        self._passed: dict[tuple[str, str], NewNumbers] = {}  # see ``new_numbers``
        self._teams = {team: team for team in teams}
        self._zone = ZoneInfo(zone)
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

    async def new_numbers(self, *, author: str, to_number: str, at: datetime) -> NewNumbers:
        """Read from the store; past the limit, the administrator's alert is queued (once a
        window, however many bridges ask).

        A number's place among the author's new numbers only falls as the window moves on
        (its first text stays put, earlier ones leave), so a number found under the limit
        stays under it: its later texts are answered from memory, not counted again (the
        count reads every new number of the window). Forgotten when its first text leaves
        the window, and so at most the limit's numbers per author are kept."""
        watch = self._velocity
        if watch is None:
            return NewNumbers(new=False)
        since = at - watch.window
        key = (author, to_number)
        known = self._passed.get(key)
        if known is not None and known.first_at is not None and known.first_at >= since:
            return known
        found = await self._store.new_numbers(
            author=author, to_number=to_number, since=since, now=at
        )
        self._remember(key, found, since, watch.limit)
        if found.new and found.earlier >= watch.limit and watch.alert is not None:
            mail = watch.alert(author, found.earlier, at)
            await self._store.velocity_alert(author=author, mail=mail, since=since, now=at)
        return found

    def _remember(
        self, key: tuple[str, str], found: NewNumbers, since: datetime, limit: int
    ) -> None:
        self._passed.pop(key, None)
        if not found.new or found.earlier >= limit or found.first_at is None:
            return
        if len(self._passed) >= _PASSED_KEPT:  # drop those whose first text left the window
            self._passed = {
                k: v for k, v in self._passed.items() if v.first_at and v.first_at >= since
            }
        if len(self._passed) < _PASSED_KEPT:
            self._passed[key] = found

    async def sent_times(
        self, *, number: str, category: str, since: datetime
    ) -> tuple[datetime, ...]:
        return await self._store.sent_times(number=number, category=category, since=since)

    async def spent(self, *, author: str, at: datetime) -> tuple[Spent, ...]:
        team = self._team(author)
        if team is None:
            return ()
        day = self._day(at)
        return await self._store.spent(authors=team, month=day.replace(day=1), day=day)

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
        team = self._team(author) if "spent" in wants else None
        day = self._day(at)
        counted = "sent" in wants and category
        return await self._store.recipient(
            number=number if "contact" in wants or counted else None,
            category=category if counted else None,
            since=at - timedelta(days=SENT_DAYS),
            authors=team,
            month=day.replace(day=1),
            day=day,
            windows=windows if counted else (),
        )

    def _team(self, author: str) -> str | None:
        return widest_match(author, self._teams) if author and self._teams else None

    def _day(self, at: datetime) -> datetime:
        """Where ``at``'s day begins in the spend caps' zone."""
        return at.astimezone(self._zone).replace(hour=0, minute=0, second=0, microsecond=0)
