"""An email's send-at time, read in its author's zone, and the batch its texts then make.

The email edges hand the intake an email; if its ``Send-At:`` (or ``X-Send-At:``) header or a
``[tomorrow 9am]`` subject tag asks for a later time, the intake reads it here
(``bridge.parsing.send_at``) in the author's zone: their sender rule's ``timezone``, else
``compliance.timezone``. Two different times, a time that cannot be read, has passed, or is
further ahead than ``text.max_schedule_days``, refuse the email (550 5.6.0: the message's
content cannot be used as written). The texts then pass the chain with ``send_at`` set (rule
``schedule``), and become one batch whose confirmation tells the author what goes when and
how to cancel it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from bridge.chain.verdicts import Decision
from bridge.errors import Refused
from bridge.mail.notices import schedule_confirmation
from bridge.mail.transport import NoticeSettings
from bridge.models import NewBatch, NewMailJob
from bridge.parsing.addresses import best_match
from bridge.parsing.headers import header_text
from bridge.parsing.recipients import control_address
from bridge.parsing.send_at import HEADERS, SendAtError, parse_send_at, when_local
from bridge.parsing.tags import schedule_tags
from bridge.settings.root import Settings
from bridge.settings.text import SendersSettings

__all__ = ["SchedulePolicy", "Scheduled"]

# How long after its last text a batch's control address still answers (CANCEL then says
# that everything had gone).
KEPT_AFTER = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Scheduled:
    """When an email's texts are to go, in whose zone, and its subject without the tag."""

    at: datetime
    zone: str
    subject: str

    @property
    def told(self) -> str:
        return f"scheduled for {when_local(self.at, self.zone)}"


@dataclass(frozen=True, slots=True)
class SchedulePolicy:
    senders: SendersSettings
    fallback_zone: str
    max_days: int
    domain: str  # of the control address: the first of smtp.domains

    @classmethod
    def from_settings(cls, settings: Settings) -> SchedulePolicy:
        """Authors' zones, how far ahead they may schedule, the control addresses' domain."""
        return cls(
            senders=settings.senders,
            fallback_zone=settings.compliance.timezone,
            max_days=settings.text.max_schedule_days,
            domain=settings.smtp.domains[0],
        )

    def zone_of(self, author: str) -> str:
        """The author's zone: their sender rule's, else the bridge's."""
        rules = {rule.match: rule for rule in self.senders.rules}
        match = best_match(author, rules) if author else None
        zone = rules[match].timezone if match is not None else None
        return zone or self.fallback_zone

    def read(self, msg: EmailMessage, subject: str, author: str, now: datetime) -> Scheduled | None:
        """The email's send-at time, or None; ``Refused`` when it cannot be honoured."""
        tags, rest = schedule_tags(subject)
        written = [header_text(msg, name) for name in HEADERS]
        asked = list(dict.fromkeys(w.strip() for w in (*written, *tags) if w.strip()))
        if not asked:
            return None
        if len(asked) > 1:
            raise Refused(550, "5.6.0", _TWO_TIMES.format(", ".join(repr(a) for a in asked)))
        zone = self.zone_of(author)
        try:
            at = parse_send_at(asked[0], zone=zone, now=now, max_days=self.max_days)
        except SendAtError as exc:
            raise Refused(550, "5.6.0", exc.reason) from None
        return Scheduled(at, zone, rest)

    def batch(
        self,
        scheduled: Scheduled,
        decisions: list[Decision],
        *,
        message_id: str,
        notices: NoticeSettings,
        now: datetime,
    ) -> NewBatch:
        """The batch of an email's accepted, scheduled texts, with its confirmation."""
        token = secrets.token_hex(16)  # 128 bits: the only thing a reply must know
        first = decisions[0].request
        times = [d.not_before or scheduled.at for d in decisions]
        content = schedule_confirmation(
            author=first.author,
            subject=scheduled.subject,
            message_id=message_id,
            texts=[_line(d, scheduled) for d in decisions],
            reply_to=control_address(token, self.domain),
            now=now,
            from_address=notices.from_address,
            hostname=notices.hostname,
        )
        return NewBatch(
            token=token,
            author=first.author,
            kind="scheduled",
            message_id=message_id,
            subject=scheduled.subject,
            zone=scheduled.zone,
            expires_at=max(times) + KEPT_AFTER,
            confirmation=NewMailJob(envelope_from="", recipients=(first.author,), content=content),
        )


_TWO_TIMES = (
    "The email asks for more than one send-at time ({}): give one, in the subject's [at …]"
    " tag or the Send-At header."
)


def _line(decision: Decision, scheduled: Scheduled) -> str:
    """``to +447700900123 on Tue 3 Dec 09:00 Europe/London``, and why later if it is."""
    request = decision.request
    at = decision.not_before or scheduled.at
    line = f"to {request.to_number}: {when_local(at, scheduled.zone)}"
    if at != scheduled.at:
        line += f" (asked for {when_local(scheduled.at, scheduled.zone)}; {decision.deferred})"
    return line
