"""Rule ``spend-cap``: an author or a team spends at most so much a day or a month.

Each of ``compliance.spend_caps`` names its authors as sender rules do (an address, or a
domain with its subdomains: one team), a period (the day or month in ``compliance.timezone``)
and a cap in segments or in money (each segment priced by its recipient's country,
``compliance.prices``, in ``compliance.currency``; a country without a price costs nothing;
a text whose provider reported its price in that currency costs that price instead,
``reported_cost``). The team's segments are counted from the store, so bridges sharing it
share the cap;
``each_author = true`` caps each author of the team on their own. A text that would go over
is refused with a sentence (550 5.7.1); the text that reaches 80% asks for a warning to the
cap's ``admin``, sent once a period.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bridge.chain.facts import Facts, Spent
from bridge.chain.periods import calendar_period
from bridge.chain.request import OutboundRequest
from bridge.chain.rule import Fact, Stage
from bridge.chain.verdicts import Accept, Notice, Refuse, Verdict
from bridge.parsing.addresses import best_match
from bridge.parsing.numbers import country_of
from bridge.settings.compliance import SpendCap as CapSettings

__all__ = ["SpendCap", "reported_cost"]

WARN_AT = 0.8
_PER = {"day": "daily", "month": "monthly"}


@dataclass(frozen=True, slots=True)
class SpendCap:
    caps: tuple[CapSettings, ...]
    prices: dict[str, float]
    currency: str = "GBP"
    zone: str = "UTC"
    name: str = "spend-cap"
    stage: Stage = Stage.CONTENT
    needs: frozenset[Fact] = frozenset({Fact.SPENT})

    def check(self, request: OutboundRequest, facts: Facts) -> Verdict:
        author = request.author
        caps = [cap for cap in self.caps if author and best_match(author, {cap.match})]
        if not caps:
            return Accept("no spend cap for this author")
        notes, notice = [], None
        for cap in caps:
            who = author if cap.each_author or "@" in cap.match else cap.match
            before = self._spent(cap, who, facts.spent)
            this = self._cost(cap, country_of(request.to_number) or "", request.segments or 1)
            limit = float(cap.segments if cap.segments is not None else cap.money or 0)
            if before + this > limit:
                return Refuse(self._over(cap, who, before, this, limit))
            notes.append(f"{who}: {self._amount(cap, before + this)} of {self._amount(cap, limit)}")
            if cap.admin and before + this >= WARN_AT * limit and notice is None:
                notice = self._warning(cap, who, before + this, limit, facts)
        return Accept(", ".join(notes), notice=notice)

    def _spent(self, cap: CapSettings, who: str, spent: tuple[Spent, ...]) -> float:
        rows = [row for row in spent if best_match(row.author, {who})]
        return sum(self._spent_on(cap, row) for row in rows)

    def _spent_on(self, cap: CapSettings, row: Spent) -> float:
        """One author's texts to one country: the segments a provider priced at its price,
        the rest at the table's."""
        monthly = cap.per == "month"
        segments = row.month if monthly else row.day
        if cap.segments is not None:
            return float(segments)
        priced, cost = (
            (row.month_priced, row.month_cost) if monthly else (row.day_priced, row.day_cost)
        )
        return self._cost(cap, row.country, segments - priced) + cost

    def _cost(self, cap: CapSettings, country: str, segments: int) -> float:
        if cap.segments is not None:
            return float(segments)
        return segments * self.prices.get(country, 0.0)

    def _amount(self, cap: CapSettings, value: float) -> str:
        if cap.segments is not None:
            return f"{value:.0f} segment{'' if value == 1 else 's'}"
        return f"{value:.2f} {self.currency}"

    def _over(self, cap: CapSettings, who: str, before: float, this: float, limit: float) -> str:
        period = "today" if cap.per == "day" else "this month"
        return (
            f"{who} has spent {self._amount(cap, before)} of {self._amount(cap, limit)} {period}"
            f" (compliance.spend_caps); this text ({self._amount(cap, this)}) would go over it,"
            f" so it was not sent: ask {cap.admin or 'your administrator'} to raise the cap"
        )

    def _warning(
        self, cap: CapSettings, who: str, total: float, limit: float, facts: Facts
    ) -> Notice:
        start, after = calendar_period(cap.per, facts.at, ZoneInfo(self.zone))
        period = "today" if cap.per == "day" else "this month"
        assert cap.admin is not None
        return Notice(
            key=f"spend|{cap.match}|{who}|{cap.per}|{start:%Y-%m-%d}",
            to=cap.admin,
            subject=f"{who} has used {total / limit:.0%} of its {_PER[cap.per]} SMS spend cap",
            text=f"{who} has spent {self._amount(cap, total)} of {self._amount(cap, limit)}"
            f" {period} (compliance.spend_caps). Texts that would go over are refused until"
            f" {after:%Y-%m-%d %H:%M %Z}, when the cap starts again. This warning is sent once a"
            " period.",
        )


def reported_cost(price: str | None, currency: str) -> float | None:
    """What a provider reported a text cost, in ``currency`` (``compliance.currency``), or
    None when it cannot be counted so: no price, no currency named with it (Vonage's bare
    ``message-price``), another currency (no rates are guessed), or credits (The SMS Works).
    Twilio's ``"-0.0079 USD"`` is negative for a charge: 0.0079 USD."""
    amount, _, unit = (price or "").strip().partition(" ")
    if not currency or unit.strip().upper() != currency.upper():
        return None
    try:
        value = abs(float(amount))
    except ValueError:
        return None
    return value if math.isfinite(value) else None
