"""Rule ``frequency-cap``: at most so many texts of a category to one recipient a period.

Each of ``compliance.caps`` (``{category = "marketing", max = 4, per = "month"}``) counts the
recipient's texts of the category from the store (every bridge on it), over the calendar
day, week or month in the recipient's time zone, or the last 24 hours, 7 or 30 days
(``mode = "rolling"``). Over a cap the text is refused with a sentence (550 5.7.1), or, with
``over = "defer"``, waits for room: the next period, or when the oldest counted text leaves
the rolling window; a wait that ends in quiet hours ends when they do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bridge.chain.facts import Facts
from bridge.chain.periods import ROLLING, period_words, utc_period
from bridge.chain.quiet_hours import contact_zones, recipient_zones
from bridge.chain.request import OutboundRequest
from bridge.chain.rule import Fact, Stage
from bridge.chain.verdicts import Accept, Defer, Refuse, Verdict
from bridge.chain.windows import QuietTime
from bridge.models import Contact, SentWindow
from bridge.settings.compliance import FrequencyCap as CapSettings

__all__ = ["FrequencyCap"]

_INSTANT = timedelta(microseconds=1)  # the finest step of the times compared
_PERIODS_AHEAD = 12  # texts deferred into the next periods: look this far for room


@dataclass(frozen=True, slots=True)
class FrequencyCap:
    caps: tuple[CapSettings, ...]
    quiet: QuietTime | None = None  # the quiet hours a deferral must not end in
    quiet_categories: frozenset[str] = frozenset()
    fallback_zone: str = "UTC"
    name: str = "frequency-cap"
    stage: Stage = Stage.CONTENT
    needs: frozenset[Fact] = frozenset({Fact.SENT, Fact.CONTACT})

    def windows(
        self, request: OutboundRequest, contact: Contact | None, at: datetime
    ) -> tuple[SentWindow, ...]:
        """Where each cap on the request's category counts at ``at``, for the store to count
        in (``Recipient.counts``), in the order ``check`` takes the caps."""
        caps = self._caps(request.category)
        if not caps:
            return ()
        zone = contact_zones(request, contact, fallback=self.fallback_zone)[0][0]
        return tuple(_window(cap, at, zone) for cap in caps)

    def check(self, request: OutboundRequest, facts: Facts) -> Verdict:
        caps = self._caps(request.category)
        if not caps:
            return Accept(f"no cap on {request.category or 'this'} texts")
        zones, _ = recipient_zones(request, facts, fallback=self.fallback_zone)
        waits: list[tuple[datetime, str]] = []
        used: list[str] = []
        for index, cap in enumerate(caps):
            if facts.sent_counts is not None and facts.sent_counts[index] < cap.max:
                used.append(self._used(cap, facts.sent_counts[index]))
                continue
            counted = self._counted(cap, facts.sent, facts.at, zones[0])
            if len(counted) < cap.max:
                used.append(self._used(cap, len(counted)))
                continue
            words = self._over(request, cap, len(counted))
            room = self._room(cap, facts, zones[0], counted)
            if cap.over == "refuse":
                when = room.astimezone(zones[0])
                return Refuse(f"{words}; not sent: it could go from {when:%Y-%m-%d %H:%M %Z}")
            waits.append((room, words))
        if not waits:
            return Accept(", ".join(used))
        until, words = max(waits)
        until = self._out_of_quiet(request, until, zones)
        return Defer(until, words, f"until {until:%Y-%m-%d %H:%M %Z} ({words})")

    def _caps(self, category: str) -> list[CapSettings]:
        return [cap for cap in self.caps if cap.category == category]

    def _counted(
        self, cap: CapSettings, sent: tuple[datetime, ...], at: datetime, zone: ZoneInfo
    ) -> list[datetime]:
        """The texts that count against ``cap`` at ``at`` (``_window``)."""
        window = _window(cap, at, zone)
        if window.end is None:
            return [t for t in sent if t >= window.start]
        return [t for t in sent if window.start <= t < window.end]

    def _room(
        self, cap: CapSettings, facts: Facts, zone: ZoneInfo, counted: list[datetime]
    ) -> datetime:
        """When a text could go: when the oldest counted text leaves the rolling window, or
        the start of the first calendar period after this one with room."""
        if cap.mode == "rolling":
            return counted[len(counted) - cap.max] + ROLLING[cap.per]
        start = utc_period(cap.per, facts.at, zone)[1]
        for _ in range(_PERIODS_AHEAD):
            if len(self._counted(cap, facts.sent, start, zone)) < cap.max:
                break
            start = utc_period(cap.per, start, zone)[1]
        return start.astimezone(zone)

    def _used(self, cap: CapSettings, used: int) -> str:
        return f"{used + 1} of {cap.max} {cap.category} texts {period_words(cap.per, cap.mode)}"

    def _over(self, request: OutboundRequest, cap: CapSettings, count: int) -> str:
        noun = "text" if count == 1 else "texts"
        return (
            f"{request.to_number} has had {count} {cap.category} {noun}"
            f" {period_words(cap.per, cap.mode)}, the most they agreed to"
            f" (compliance.caps: {cap.max} a {cap.per})"
        )

    def _out_of_quiet(
        self, request: OutboundRequest, until: datetime, zones: tuple[ZoneInfo, ...]
    ) -> datetime:
        if self.quiet is None or request.category not in self.quiet_categories:
            return until
        return self.quiet.next_open(zones, until) or until


def _window(cap: CapSettings, at: datetime, zone: ZoneInfo) -> SentWindow:
    """Where ``cap`` counts at ``at``: its calendar period in ``zone`` (a text deferred into
    it too), or its rolling window and after (texts already deferred past now), the window's
    oldest instant itself left out. Times in UTC: compared without asking zones for offsets."""
    if cap.mode == "rolling":
        since = (at - ROLLING[cap.per]).astimezone(UTC)
        return SentWindow(since + _INSTANT, None, cap.max)
    start, after = utc_period(cap.per, at, zone)
    return SentWindow(start, after, cap.max)
