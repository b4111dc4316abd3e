"""Warnings about a valid routing table: routes that can never match, keywords never seen.

A route is shadowed when an earlier route matches every text it would: on each condition the
earlier route either sets nothing or allows at least as much. The check is conservative: it
warns only when that is certain, never about routes that overlap only partly.
"""

from __future__ import annotations

from bridge.settings.inbound import InboundSettings
from bridge.settings.routes import RouteSettings

__all__ = ["warnings_for"]


def warnings_for(routes: tuple[RouteSettings, ...], inbound: InboundSettings) -> list[str]:
    found = []
    for index, route in enumerate(routes):
        earlier = next((r for r in routes[:index] if _covers(r, route)), None)
        if earlier is not None:
            found.append(
                f"route {route.name!r} can never match: route {earlier.name!r} before it"
                " matches every text it would"
            )
        found += _keyword_warnings(route, inbound)
    return found


def _covers(first: RouteSettings, later: RouteSettings) -> bool:
    if first.default:
        return True
    same_calendars = (first.during, first.except_during) == (later.during, later.except_during)
    return (
        (same_calendars or not (first.during or first.except_during))
        and _superset(first.numbers, later.numbers)
        and _superset(first.keywords, later.keywords)
        and _senders_cover(first.senders, later.senders)
        and _window_covers(first, later)
    )


def _superset(wide: tuple[str, ...], narrow: tuple[str, ...]) -> bool:
    return not wide or (bool(narrow) and set(narrow) <= set(wide))


def _senders_cover(wide: tuple[str, ...], narrow: tuple[str, ...]) -> bool:
    if not wide:
        return True
    return bool(narrow) and all(
        any(n == w or (w.startswith("+") and n.startswith(w)) for w in wide) for n in narrow
    )


def _window_covers(first: RouteSettings, later: RouteSettings) -> bool:
    if first.start is None:
        return _superset(first.days, later.days)
    same_hours = (first.start, first.end, first.timezone) == (
        later.start,
        later.end,
        later.timezone,
    )
    return same_hours and _superset(first.days, later.days)


def _keyword_warnings(route: RouteSettings, inbound: InboundSettings) -> list[str]:
    reserved = {
        w.casefold(): kind
        for kind, words in (
            ("opt-out", inbound.stop_words),
            ("opt-in", inbound.start_words),
            ("help", inbound.help_words),
        )
        for w in words
    }
    return [
        f"route {route.name!r}: the keyword {keyword.upper()} is reserved ({reserved[keyword]});"
        f" a text that is just {keyword.upper()} is handled as {reserved[keyword]} and never routed"
        for keyword in route.keywords
        if keyword in reserved
    ]
