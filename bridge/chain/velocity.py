"""Rule ``velocity``: an author suddenly texting many numbers new to them is held.

A stolen password or a script gone wrong shows as one author texting hundreds of numbers they
never texted before: SMS pumping pays per text, so it is bought by volume. When an author
has already reached ``compliance.velocity_new_numbers`` numbers first texted within
``compliance.velocity_minutes``, a text to yet another new number is deferred until the
window after its first text has passed (without spending an attempt); texts to numbers they
texted before go on. ``compliance.alert_to`` is emailed once a window
(``bridge.chain.facts.StoreFacts.new_numbers``).

At the send stage, where the job is stored: the counts come from ``sms_jobs``, so every text
of one bulk email counts (the envelope stage, at RCPT TO, would see none of its siblings),
every bridge on a shared PostgreSQL database sees the same counts, and a held text is asked
about again each time it comes due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bridge.chain.facts import Facts
from bridge.chain.request import OutboundRequest
from bridge.chain.rule import Fact, Stage
from bridge.chain.verdicts import Accept, Defer, Verdict

__all__ = ["VelocityGuard"]


@dataclass(frozen=True, slots=True)
class VelocityGuard:
    limit: int
    window: timedelta
    name: str = "velocity"
    stage: Stage = Stage.SEND
    needs: frozenset[Fact] = frozenset({Fact.NEW_NUMBERS})

    def check(self, request: OutboundRequest, facts: Facts) -> Verdict:
        found = facts.new_numbers
        if found is None or not found.new or found.earlier < self.limit:
            return Accept()
        first = found.first_at or facts.at
        minutes = self.window.total_seconds() / 60
        return Defer(
            max(first + self.window, facts.at),
            f"{request.author} has texted {found.earlier} new numbers within {minutes:g}"
            f" minutes (the limit is {self.limit}); texts to new numbers are held",
        )
