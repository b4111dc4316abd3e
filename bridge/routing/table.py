"""The ordered routing table: the first route whose every condition holds decides.

``resolve`` also records, for each route it tried, why it did not match, so the decision can
be explained to an admin ("sales-hours: 22:15 Sunday in Europe/London is outside mon-fri
09:00-17:30") and stored with the text it routed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bridge.routing.matchers import (
    CalendarIs,
    Condition,
    InboundText,
    KeywordIs,
    NumberIs,
    SenderMatches,
    TimeWindow,
)
from bridge.settings.routes import CalendarSettings, RouteSettings

__all__ = ["Considered", "Decision", "Destination", "InboundText", "Route", "RoutingTable"]


@dataclass(frozen=True, slots=True)
class Destination:
    emails: tuple[str, ...] = ()
    owner: bool = False
    auto_reply: str | None = None
    forward_to: tuple[str, ...] = ()
    webhook: str | None = None


@dataclass(frozen=True, slots=True)
class Route:
    name: str
    conditions: tuple[Condition, ...]
    destination: Destination
    timezone: str | None  # None: the reply number's


@dataclass(frozen=True, slots=True)
class Considered:
    route: str
    reasons: tuple[str, ...]

    @property
    def matched(self) -> bool:
        return not self.reasons


@dataclass(frozen=True, slots=True)
class Decision:
    route: str
    destination: Destination
    timezone: str
    considered: tuple[Considered, ...]
    local_time: str

    def explain(self) -> str:
        lines = [f"At {self.local_time}:"]
        for step in self.considered:
            verdict = "matched" if step.matched else "no: " + "; ".join(step.reasons)
            lines.append(f"  {step.route}: {verdict}")
        to = list(self.destination.emails)
        if self.destination.owner:
            to.insert(0, "the member of staff in the conversation, if any")
        lines.append(f"Route {self.route!r} sends it to: {', '.join(to) or 'nobody by email'}")
        if self.destination.forward_to:
            lines.append(f"  and forwards it by text to {', '.join(self.destination.forward_to)}")
        if self.destination.webhook:
            lines.append(f"  and posts it to {self.destination.webhook}")
        if self.destination.auto_reply:
            lines.append(f"  and answers: {self.destination.auto_reply}")
        return "\n".join(lines)


class RoutingTable:
    def __init__(self, routes: tuple[Route, ...]) -> None:
        if not routes or routes[-1].conditions:
            raise ValueError("a routing table ends with a default route that matches everything")
        self._routes = routes

    @property
    def routes(self) -> tuple[Route, ...]:
        return self._routes

    @classmethod
    def from_settings(
        cls, routes: tuple[RouteSettings, ...], calendars: tuple[CalendarSettings, ...] = ()
    ) -> RoutingTable:
        days = {calendar.name: calendar.days() for calendar in calendars}
        return cls(tuple(_route(settings, days) for settings in routes))

    def resolve(self, text: InboundText, *, at: datetime) -> Decision:
        if at.tzinfo is None:
            raise ValueError("routing needs an aware time")
        considered = []
        for route in self._routes:
            reasons = tuple(r for c in route.conditions if (r := c.check(text, at=at)) is not None)
            considered.append(Considered(route.name, reasons))
            if not reasons:
                zone = route.timezone or text.zone
                local = at.astimezone(ZoneInfo(zone))
                return Decision(
                    route.name,
                    route.destination,
                    zone,
                    tuple(considered),
                    f"{local:%H:%M %A %d %B %Y} ({zone})",
                )
        raise AssertionError("the default route matches every text")


def _route(settings: RouteSettings, calendars: dict[str, frozenset[date]]) -> Route:
    conditions: list[Condition] = []
    if settings.numbers:
        conditions.append(NumberIs(settings.numbers))
    if settings.senders:
        conditions.append(SenderMatches(settings.senders))
    if settings.keywords:
        conditions.append(KeywordIs(settings.keywords))
    if settings.days or settings.start:
        conditions.append(
            TimeWindow(settings.days, _time(settings.start), _time(settings.end), settings.timezone)
        )
    for name in settings.during:
        conditions.append(CalendarIs(name, calendars[name], settings.timezone))
    for name in settings.except_during:
        conditions.append(CalendarIs(name, calendars[name], settings.timezone, outside=True))
    destination = Destination(
        settings.emails, settings.owner, settings.auto_reply, settings.forward_to, settings.webhook
    )
    return Route(settings.name, tuple(conditions), destination, settings.timezone)


def _time(value: str | None) -> time | None:
    return time.fromisoformat(value) if value else None
