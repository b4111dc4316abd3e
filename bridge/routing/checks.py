"""Warnings about a valid routing table: routes that can never match, keywords never seen.

A route is shadowed when an earlier route matches every text it would: on each condition the
earlier route either sets nothing or allows at least as much (a prefix allows the numbers
that start with it, a country the numbers in it, all seven days the same as no days). The
check is conservative: it warns only when that is certain, never about routes that overlap
only partly. Each warning is ``(key path, message)``, at the route it concerns.
"""

from __future__ import annotations

import phonenumbers

from bridge.parsing.calendar import WEEKDAYS
from bridge.parsing.numbers import country_of, is_e164
from bridge.settings.inbound import InboundSettings
from bridge.settings.routes import RouteSettings

__all__ = ["warnings_for"]


def warnings_for(
    routes: tuple[RouteSettings, ...], inbound: InboundSettings
) -> list[tuple[str, str]]:
    found = []
    for index, route in enumerate(routes):
        earlier = next((r for r in routes[:index] if _covers(r, route)), None)
        if earlier is not None:
            found.append(
                (
                    f"routes.{index}",
                    f"route {route.name!r} can never match: route {earlier.name!r} before it"
                    " matches every text it would; move it above, or remove it",
                )
            )
        found += [(f"routes.{index}.keywords", w) for w in _keyword_warnings(route, inbound)]
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
    return bool(narrow) and all(any(_sender_covers(w, n) for w in wide) for n in narrow)


def _sender_covers(wide: str, narrow: str) -> bool:
    """Every number ``narrow`` (a number, a prefix or a country) matches, ``wide`` matches."""
    if wide == narrow:
        return True
    if wide.startswith("+"):
        return narrow.startswith(wide)
    if is_e164(narrow):
        return country_of(narrow) == wide
    return narrow.startswith("+") and _only_region(narrow) == wide


def _only_region(prefix: str) -> str | None:
    """The region of every number starting with ``prefix``, when its country code has only
    one (+33 is France alone; +44 is also Jersey, Guernsey and the Isle of Man)."""
    digits = prefix[1:]
    for length in range(1, min(len(digits), 3) + 1):  # country codes are prefix-free
        regions = phonenumbers.region_codes_for_country_code(int(digits[:length]))
        if regions:
            return regions[0] if len(regions) == 1 and regions[0] != "001" else None
    return None


def _days(route: RouteSettings) -> tuple[str, ...]:
    """All seven days allow what no days allow."""
    return () if set(route.days) >= set(WEEKDAYS) else route.days


def _window_covers(first: RouteSettings, later: RouteSettings) -> bool:
    if first.start is None:
        return _superset(_days(first), _days(later))
    same_hours = (first.start, first.end, first.timezone) == (
        later.start,
        later.end,
        later.timezone,
    )
    return same_hours and _superset(_days(first), _days(later))


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
