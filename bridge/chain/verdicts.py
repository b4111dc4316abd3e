"""What a rule answers, and what the chain decided with all of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bridge.chain.request import OutboundRequest
from bridge.models import RuleHit

__all__ = ["Accept", "Decision", "Defer", "Notice", "Refuse", "Rewrite", "Verdict"]


@dataclass(frozen=True, slots=True)
class Notice:
    """An email a rule asks for (a spend cap's warning to the team's admin): sent once per
    ``key`` by whichever bridge gets there first, and only for a text that goes on."""

    key: str
    to: str
    subject: str
    text: str


@dataclass(frozen=True, slots=True)
class Accept:
    """Go on. ``request``, when given, is the same text with what the rule measured added
    (its encoding and segments), nothing that changes what is sent; ``notice``, an email to
    send about it."""

    note: str = ""
    request: OutboundRequest | None = None
    notice: Notice | None = None


@dataclass(frozen=True, slots=True)
class Refuse:
    """The text will not be sent. ``reason`` is the sentence its author reads; ``code`` and
    ``status`` are what an SMTP edge answers with (other edges map them)."""

    reason: str
    code: int = 550
    status: str = "5.7.1"

    def smtp_reply(self) -> str:
        return f"{self.code} {self.status} {self.reason}"


@dataclass(frozen=True, slots=True)
class Defer:
    """Not now: send at ``until`` (timezone-aware), because ``why``; ``says`` is how the
    author is told when (``until 08:00 recipient's time (Europe/London)``), if not by ``until``."""

    until: datetime
    why: str
    says: str = ""
    # The rules after this one judge the text as of ``until``, not now: a text scheduled for
    # 23:30 meets quiet hours at 23:30 (rule ``schedule``).
    moves_clock: bool = False

    @property
    def told(self) -> str:
        return self.says or f"until {self.until:%Y-%m-%d %H:%M %Z}"


@dataclass(frozen=True, slots=True)
class Rewrite:
    """Go on with ``request`` instead; ``what`` says what changed, for the record."""

    request: OutboundRequest
    what: str


Verdict = Accept | Refuse | Defer | Rewrite


@dataclass(frozen=True, slots=True)
class Decision:
    """What the chain decided: the request as rewritten, every rule's answer, and the outcome."""

    request: OutboundRequest
    hits: tuple[RuleHit, ...]
    refusal: Refuse | None = None
    not_before: datetime | None = None
    deferred: str = ""  # when, in the author's words: the latest deferral's ``Defer.told``
    notices: tuple[Notice, ...] = ()  # emails the rules asked for (sent only if accepted)

    @property
    def accepted(self) -> bool:
        return self.refusal is None

    @property
    def record(self) -> tuple[RuleHit, ...]:
        """The rules that acted (rewrote, deferred, refused): what is kept with the job."""
        return tuple(hit for hit in self.hits if hit.action != "accept")

    def explain(self) -> str:
        """Every rule's answer, one line each, as ``smsbridge outbound explain`` prints it."""
        lines = [
            f"  {hit.rule}: {hit.action}{': ' + hit.detail if hit.detail else ''}"
            for hit in self.hits
        ]
        if self.refusal is not None:
            lines.append(f"Refused: {self.refusal.smtp_reply()}")
        elif self.not_before is not None:
            lines.append(f"Accepted, to be sent at {self.not_before:%Y-%m-%d %H:%M %Z}.")
        else:
            lines.append("Accepted, to be sent at once.")
        return "\n".join(lines)
