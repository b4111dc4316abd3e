"""What a flow tells people: the note above a hand-over's email, and at the end the answers,
emailed to the flow's ``notify`` and POSTed as JSON to its ``webhook`` (signed by the
bridge's webhook transport like a route's). Pure: bytes from the turn, the text and the
time."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from zoneinfo import ZoneInfo

from bridge.flows.engine import Turn
from bridge.parsing.numbers import display_number

__all__ = ["FlowEnd", "finished_email", "finished_json", "handover_note"]


def handover_note(turn: Turn) -> str:
    """Why a person is getting this text, and what the flow had collected."""
    lines = [f"The flow {turn.flow.name!r} handed this customer over to you: {turn.handover}."]
    answers = turn.state.answers if turn.state is not None else ()
    if answers:
        lines.append("Answers so far: " + "; ".join(f"{k}: {v}" for k, v in answers))
    lines.append("While you (or whoever replies) own the conversation the flow is silent;")
    lines.append("/close in a reply closes it, and the flow carries on with the next text.")
    return "\n".join(lines)


@dataclass(frozen=True, slots=True, kw_only=True)
class FlowEnd:
    """Who finished which flow (``turn.finished`` holds the answers), when, by which text."""

    turn: Turn
    customer: str
    reply_number: str
    inbound_id: str
    at: datetime
    timezone: str

    @property
    def answers(self) -> tuple[tuple[str, str], ...]:
        return self.turn.finished or ()


def finished_email(end: FlowEnd, *, from_address: str, hostname: str) -> bytes:
    """A plain email to the flow's ``notify`` with the answers, one a line."""
    flow = end.turn.flow
    who = display_number(end.customer)
    msg = EmailMessage(policy=policy.default)
    msg["From"] = from_address
    msg["To"] = ", ".join(flow.notify)
    msg["Subject"] = f"{flow.name}: answers from {who}"
    msg["Date"] = format_datetime(end.at)
    msg["Message-ID"] = make_msgid(domain=hostname)
    msg["X-SMS-Reply-Number"] = end.reply_number
    local = end.at.astimezone(ZoneInfo(end.timezone))
    lines = [f"{who} finished the flow {flow.name!r} on {display_number(end.reply_number)}"]
    lines[0] += f" at {local:%H:%M %A %d %B %Y} ({end.timezone})."
    lines += ["", *(f"{key}: {value}" for key, value in end.answers)]
    if not end.answers:
        lines.append("(the flow collected no answers)")
    msg.set_content("\n".join(lines) + "\n")
    return msg.as_bytes()


def finished_json(end: FlowEnd) -> bytes:
    """The webhook's body: the flow, the customer, the number, the answers, the time."""
    return json.dumps(
        {
            "event": "flow finished",
            "flow": end.turn.flow.name,
            "id": end.inbound_id,
            "from": end.customer,
            "to": end.reply_number,
            "answers": dict(end.answers),
            "finished_at": end.at.isoformat(),
        },
        ensure_ascii=False,
    ).encode()
