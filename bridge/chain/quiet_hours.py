"""Rule ``quiet-hours``: no texts at night, on quiet days or holidays; they wait, never refused.

Outside the allowed hours in the recipient's time zone (``compliance.quiet_hours`` or
``send_window``, ``quiet_days``, the ``[[calendars]]`` of ``quiet_during``) a text of one of
``compliance.quiet_categories`` (marketing unless set) is deferred until the window opens.
The zone is the contact's (the address book), else the number's (phonenumbers); a number
that may ring in several zones gets the hours open in all of them; else
``compliance.timezone``. Not held back: the bridge's own answers to a customer (STOP, HELP,
auto-replies), and a subject tagged ``[urgent]`` by an author whose sender rule says
``urgent_allowed = true``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from bridge.chain.facts import Facts
from bridge.chain.request import OutboundRequest
from bridge.chain.rule import Fact, Stage
from bridge.chain.sender import sender_for
from bridge.chain.verdicts import Accept, Defer, Verdict
from bridge.chain.windows import QuietTime
from bridge.models import Contact
from bridge.parsing.numbers import time_zones_of
from bridge.settings.text import SendersSettings

__all__ = ["QuietHours", "contact_zones", "recipient_zones"]


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def recipient_zones(
    request: OutboundRequest, facts: Facts, *, fallback: str
) -> tuple[tuple[ZoneInfo, ...], str]:
    """The recipient's zones, and in words where they came from."""
    return contact_zones(request, facts.contact, fallback=fallback)


def contact_zones(
    request: OutboundRequest, contact: Contact | None, *, fallback: str
) -> tuple[tuple[ZoneInfo, ...], str]:
    """``recipient_zones`` from the recipient's contact, before the chain's facts exist (the
    frequency cap's windows are asked for while the facts are read)."""
    if contact is not None and contact.timezone:
        return (_zone(contact.timezone),), contact.timezone
    names = time_zones_of(request.to_number)
    if len(names) == 1:
        return (_zone(names[0]),), names[0]
    if names:
        return tuple(_zone(n) for n in names), f"{names[0]}, one of the number's {len(names)} zones"
    return (_zone(fallback),), fallback


@dataclass(frozen=True, slots=True)
class QuietHours:
    quiet: QuietTime
    categories: frozenset[str]
    senders: SendersSettings
    fallback_zone: str = "UTC"
    name: str = "quiet-hours"
    stage: Stage = Stage.CONTENT
    needs: frozenset[Fact] = frozenset({Fact.CONTACT})

    def check(self, request: OutboundRequest, facts: Facts) -> Verdict:
        if request.category not in self.categories:
            return Accept(f"{request.category or 'this'} text: not held back")
        if not request.source.chosen_by_a_person:
            return Accept("the bridge's answer to a customer: not held back")
        zones, where = recipient_zones(request, facts, fallback=self.fallback_zone)
        opens = self.quiet.next_open(zones, facts.at)
        if opens is None and len(zones) > 1:  # no hour open in all: the fallback zone's
            zones, where = (_zone(self.fallback_zone),), f"{self.fallback_zone}, no common hour"
            opens = self.quiet.next_open(zones, facts.at)
        if opens is None or opens == facts.at:
            return Accept(f"within the hours, recipient's time ({where})")
        if "urgent" in request.tags and self._urgent_allowed(request.author):
            return Accept(f"[urgent], allowed for {request.author}: not held back")
        says = f"until {_local(opens, zones[0], facts.at)} recipient's time ({where})"
        return Defer(opens, f"quiet hours, recipient's time ({where})", says)

    def _urgent_allowed(self, author: str) -> bool:
        return bool(author) and sender_for(author, settings=self.senders).urgent_allowed


def _local(opens: datetime, zone: ZoneInfo, at: datetime) -> str:
    """``08:00`` today (the recipient's today), else ``08:00 on Mon 5 Jan``."""
    local = opens.astimezone(zone)
    if local.date() == at.astimezone(zone).date():
        return f"{local:%H:%M}"
    return f"{local:%H:%M} on {local:%a} {local.day} {local:%b}"
