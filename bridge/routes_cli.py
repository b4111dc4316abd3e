"""What ``smsbridge routes check``, ``routes explain`` and ``inbox`` print.

``explain`` runs the same router the bridge runs (``workers/routing.py``), after the same
opt-out keywords, so its answer is the bridge's answer. A time given without a zone is read
in the reply number's time zone, as an admin reading a rota would mean it.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bridge.config import Settings
from bridge.inbound.compliance import Keyword, keyword_of
from bridge.models import InboundJob, InboundRecord
from bridge.parsing.numbers import mask, parse_number
from bridge.routing.checks import warnings_for
from bridge.workers.routing import build_router

__all__ = ["check_report", "explain", "format_inbox", "parse_at"]


def check_report(settings: Settings, source: str) -> str:
    warnings = warnings_for(settings.routes, settings.inbound)
    lines = [f"{source}: OK, {len(settings.routes)} route(s), {len(warnings)} warning(s)"]
    lines += [f"  warning: {w}" for w in warnings]
    return "\n".join(lines)


def parse_at(value: str | None, zone: str) -> datetime:
    """``2026-12-25 22:15`` in ``zone``, an ISO time with its own offset, or now."""
    if value is None:
        return datetime.now(ZoneInfo(zone))
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a time: write it as 2026-12-25 22:15") from None
    return at if at.tzinfo is not None else at.replace(tzinfo=ZoneInfo(zone))


def explain(settings: Settings, *, sender: str, to: str, text: str, at: str | None) -> str:
    region = settings.smtp.default_region
    customer, number = (
        parse_number(sender, default_region=region),
        parse_number(to, default_region=region),
    )
    reply_number = settings.reply_number(number)
    when = parse_at(at, reply_number.timezone if reply_number else "UTC")
    keyword = keyword_of(text, settings.inbound, opted_out=True)
    if keyword is not Keyword.NONE:
        return (
            f"{text!r} is the {keyword.value.upper()} keyword: it is handled before routing"
            " (START only for a customer who opted out) and never reaches an inbox."
        )
    job = InboundJob(
        id="explain",
        provider="explain",
        provider_message_id="explain",
        from_number=customer,
        to_number=number,
        text=text,
        received_at=when,
        attempts=0,
    )
    routed = build_router(settings)(job, when)
    lines = [routed.explanation or f"Route {routed.route!r}."]
    if routed.owner:
        lines.append(
            "If a member of staff texted this customer from this number within"
            f" {settings.inbound.conversation_days:g} days, it goes to them first."
        )
    return "\n".join(lines)


def format_inbox(records: list[InboundRecord]) -> str:
    if not records:
        return "No inbound texts yet."
    lines = [f"{'received (UTC)':<19}  {'id':<16}  {'from':<15}  {'to':<15}  route"]
    for record in records:
        lines.append(
            f"{record.received_at:%Y-%m-%d %H:%M:%S}  {record.id:<16}"
            f"  {mask(record.from_number):<15}  {record.to_number:<15}"
            f"  {record.route or '(' + record.state + ')'}"
        )
    return "\n".join(lines)
