"""Who would get a customer's text: the bridge's own decision, in words, without sending.

``smsbridge routes explain`` and the admin page ask the same function the inbound worker
does (``decide.decide``), for a customer with no conversation and no opt-out, so the answer
is the bridge's answer. A time given without a zone is read in the reply number's time zone,
as an admin reading a rota would mean it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bridge.models import InboundContext
from bridge.parsing.numbers import parse_number, parse_owned
from bridge.routing.decide import InboundRules, Router, decide
from bridge.routing.keywords import Keyword
from bridge.routing.matchers import InboundText
from bridge.settings.root import Settings

__all__ = ["explain_inbound", "parse_at"]

_NO_PAST = InboundContext(conversation=None, suppressed_since=None, last_auto_reply=None)


def parse_at(value: str | None, zone: str) -> datetime:
    """``2026-12-25 22:15`` in ``zone``, an ISO time with its own offset, or now."""
    if value is None:
        return datetime.now(ZoneInfo(zone))
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a time: write it as 2026-12-25 22:15") from None
    return at if at.tzinfo is not None else at.replace(tzinfo=ZoneInfo(zone))


def explain_inbound(settings: Settings, *, sender: str, to: str, text: str, at: str | None) -> str:
    region = settings.smtp.default_region
    customer = parse_number(sender, default_region=region)
    number = parse_owned(to, default_region=region)
    reply_number = settings.reply_number(number)
    when = parse_at(at, reply_number.timezone if reply_number else "UTC")
    rules = InboundRules(
        inbound=settings.inbound,
        numbers=settings.numbers,
        fallback=settings.mail.from_address,
        opt_out_scope=settings.compliance.opt_out_scope,
        campaigns=settings.campaigns,
        flows=settings.flows,
    )
    router = Router(settings.routes, settings.calendars, settings.numbers)
    decision = decide(
        InboundText(customer, number, text), _NO_PAST, router=router, rules=rules, at=when
    )
    campaign = decision.consent is not None or decision.pending_campaign is not None
    if decision.keyword is Keyword.NONE and campaign:
        return (
            f"{text!r} is an opt-in campaign's keyword ({decision.explanation}): it is handled"
            " before routing and never reaches an inbox (docs/compliance.md)."
        )
    if decision.keyword is not Keyword.NONE:
        return (
            f"{text!r} is the {decision.keyword.value.upper()} keyword: it is handled before"
            " routing (START only for a customer who opted out) and never reaches an inbox."
        )
    if decision.flow_turn is not None:
        return (
            f"{text!r} starts a dialogue flow ({decision.explanation}): the bridge answers"
            f" {decision.flow_turn.say!r} and nobody is emailed; `smsbridge flows test FILE`"
            " plays a whole conversation (docs/flows.md)."
        )
    lines = [decision.explanation or f"Route {decision.route!r}."]
    lines.append(f"Emailed to: {', '.join(decision.emails)}")
    lines.append(
        "If the customer is in a live conversation with this number (someone texted them from"
        f" it, or took it over, within {settings.inbound.conversation_days:g} days), it goes to"
        " the conversation's owner instead, and no route, auto-reply or forward applies."
    )
    if settings.flows:
        lines.append(
            "A customer in the middle of a dialogue flow on this number gets the flow's answer"
            " instead (until it times out or hands them over); see `smsbridge flows test`."
        )
    return "\n".join(lines)
