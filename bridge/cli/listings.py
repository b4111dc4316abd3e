"""``smsbridge outbox`` and ``inbox``: recent texts, as a table for people or JSON lines.

Numbers are masked either way (the customer's; a reply number is the organisation's own and
shown whole). The outbox can be narrowed by state, number, author and time, in the store
(``bridge.store.outbox_filter``), so ``--limit`` counts only the texts that match.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from bridge.cli.common import opened_store, read_settings
from bridge.cli.where import UsageError
from bridge.clock import system_clock
from bridge.errors import InvalidNumber
from bridge.models import InboundRecord, JobState, LinkClicks, SmsJob
from bridge.parsing.numbers import mask, parse_number
from bridge.settings.root import Settings
from bridge.store.outbox_filter import OutboxFilter

__all__ = ["cmd_inbox", "cmd_outbox", "format_inbox", "format_outbox", "parse_since"]

_AGO = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhd])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def cmd_outbox(args: argparse.Namespace) -> int:
    settings = read_settings(args.config)
    only = _filter(args, settings)

    async def recent() -> tuple[list[SmsJob], dict[str, LinkClicks]]:
        async with opened_store(settings) as store:
            jobs = await store.recent_sms(limit=args.limit, only=only)
            return jobs, await store.job_clicks([job.id for job in jobs])

    jobs, clicks = asyncio.run(recent())
    filtered = only != OutboxFilter()
    shown = format_outbox(
        jobs, as_json=args.json, filtered=filtered, now=system_clock(), clicks=clicks
    )
    print(shown)
    return 0


def _filter(args: argparse.Namespace, settings: Settings) -> OutboxFilter:
    try:
        to = parse_number(args.to, default_region=settings.smtp.default_region) if args.to else None
    except InvalidNumber as exc:
        raise UsageError(f"--to: {exc.reason}") from None
    return OutboxFilter(
        state=JobState(args.state) if args.state else None,
        to_number=to,
        author=args.author,
        since=parse_since(args.since, now=datetime.now(UTC)) if args.since else None,
    )


def parse_since(value: str, *, now: datetime) -> datetime:
    """``30m``, ``2h``, ``7d`` before ``now``, or a time (UTC unless it gives an offset)."""
    ago = _AGO.match(value)
    if ago:
        return now - timedelta(**{_UNITS[ago.group(2)]: float(ago.group(1))})
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        raise UsageError(
            f'--since {value!r} is not a time: write "2026-12-01 09:00", or 30m, 2h, 7d'
        ) from None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def format_outbox(
    jobs: list[SmsJob],
    *,
    as_json: bool,
    filtered: bool = False,
    now: datetime | None = None,
    clicks: Mapping[str, LinkClicks] | None = None,
) -> str:
    """A table for people, or JSON lines for scripts; numbers are masked either way. A
    queued text a rule deferred past ``now`` says until when, and which rule; a text with
    short links, how often they were clicked (``clicks``, by job id)."""
    clicks = clicks or {}
    if as_json:
        return "\n".join(
            json.dumps(_record(job, clicks.get(job.id)), ensure_ascii=False) for job in jobs
        )
    if not jobs:
        return "No texts match." if filtered else "The outbox is empty."
    header = (
        f"{'time (UTC)':<19}  {'id':<16}  {'to':<15}  {'state':<11}  attempts  seg  enc    error"
    )
    lines = [header]
    for job in jobs:
        lines.append(
            f"{job.created_at:%Y-%m-%d %H:%M:%S}  {job.id:<16}  {mask(job.to_number):<15}"
            f"  {job.state.value:<11}  {job.attempts:>8}  {job.segments:>3}  {job.encoding:<5}"
            f"  {job.error or _deferred(job, now)}{_clicked(clicks.get(job.id))}"
        )
    return "\n".join(lines)


def _deferred(job: SmsJob, now: datetime | None) -> str:
    due = job.next_attempt_at
    if job.state is not JobState.QUEUED or due is None or now is None or due <= now:
        return ""
    rules = [hit.rule for hit in job.chain if hit.action == "defer"]
    by = f" ({rules[-1]})" if rules else ""
    return f"deferred until {due.astimezone(UTC):%Y-%m-%d %H:%M} UTC{by}"


def _clicked(found: LinkClicks | None) -> str:
    if found is None:
        return ""
    noun = "click" if found.clicks == 1 else "clicks"
    more = f" (+{found.not_counted} previews, not counted)" if found.not_counted else ""
    return f"  [{found.clicks} {noun} on {found.links} link{'s' if found.links > 1 else ''}{more}]"


def _links(found: LinkClicks | None) -> dict[str, object] | None:
    if found is None:
        return None
    first = found.first_click.isoformat() if found.first_click else None
    return {
        "links": found.links,
        "clicks": found.clicks,
        "not_counted": found.not_counted,
        "first_click": first,
    }


def _record(job: SmsJob, clicks: LinkClicks | None = None) -> dict[str, object]:
    return {
        "id": job.id,
        "created_at": job.created_at.isoformat(),
        "to": mask(job.to_number),
        "state": job.state.value,
        "category": job.category,
        "not_before": job.next_attempt_at.isoformat() if job.next_attempt_at else None,
        "segments": job.segments,
        "encoding": job.encoding,
        "attempts": job.attempts,
        "provider": job.provider,
        "provider_message_id": job.provider_message_id,
        "price": job.price,
        "error": job.error,
        "error_code": job.error_code,
        "chain": [{"rule": h.rule, "action": h.action, "detail": h.detail} for h in job.chain],
        "links": _links(clicks),
    }


def cmd_inbox(args: argparse.Namespace) -> int:
    settings = read_settings(args.config)

    async def recent() -> list[InboundRecord]:
        async with opened_store(settings) as store:
            return await store.recent_inbound(limit=args.limit)

    records = asyncio.run(recent())
    if args.json:
        for record in records:
            print(json.dumps(_inbound(record, explain=args.explain), ensure_ascii=False))
        return 0
    print(format_inbox(records))
    if args.explain:
        for record in records:
            print(f"\n{record.id}:\n{record.explanation or '(not routed yet)'}")
            if record.mailed_to:
                print(f"Emailed to: {', '.join(record.mailed_to)}")
    return 0


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


def _inbound(record: InboundRecord, *, explain: bool) -> dict[str, object]:
    found: dict[str, object] = {
        "id": record.id,
        "received_at": record.received_at.isoformat(),
        "from": mask(record.from_number),
        "to": record.to_number,
        "state": record.state,
        "route": record.route or None,
    }
    if explain:
        found["explanation"] = record.explanation
        found["mailed_to"] = list(record.mailed_to)
    return found
