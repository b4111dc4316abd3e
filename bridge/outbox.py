"""What the CLI shows and queues: the outbox, ``smsbridge send`` and ``simulate-inbound``.

``send`` goes through the same store and the same text rules as an email, so a text queued
from the command line is sent, retried and reported exactly like one from a mail client.
"""

from __future__ import annotations

import json
import secrets
import socket

from bridge.clock import system_clock
from bridge.config import Settings, validate_sender
from bridge.errors import InvalidNumber
from bridge.models import InboundSms, NewSmsJob, SmsJob
from bridge.parsing.fitting import fit_text
from bridge.parsing.numbers import mask, parse_number
from bridge.store.factory import open_store

__all__ = ["format_outbox", "queue_text", "receive_simulated"]


async def queue_text(
    settings: Settings, *, to: str, text: str, sender: str | None, notify: str | None
) -> str:
    """Validate and store one text; return its job id. Raises InvalidNumber or TooLong."""
    number = parse_number(to, default_region=settings.smtp.default_region)
    try:
        sender = validate_sender(sender) if sender else settings.senders.default
    except ValueError as exc:
        raise InvalidNumber(str(exc)) from None
    fitted = fit_text(
        text,
        limit=settings.text.max_segments,
        too_long=settings.text.too_long,
        typographic=settings.text.transliterate,
    )
    message_id = f"<cli-{secrets.token_hex(12)}@{socket.gethostname()}>"
    job = NewSmsJob(
        idempotency_key=f"{message_id}|{number}",
        message_id=message_id,
        author=notify or "",
        subject="",
        to_number=number,
        sender=sender,
        text=fitted.text,
        encoding=fitted.encoding,
        segments=fitted.segments,
    )
    store = open_store(settings)
    await store.open()
    try:
        [queued] = await store.enqueue_sms([job], now=system_clock())
    finally:
        await store.close()
    return queued.id


async def receive_simulated(settings: Settings, *, sender: str, to: str, text: str) -> str:
    """Store a text as if the sandbox provider had received it; return its inbound id."""
    region = settings.smtp.default_region
    sms = InboundSms(
        provider="sandbox",
        provider_message_id="SBI" + secrets.token_hex(16),
        from_number=parse_number(sender, default_region=region),
        to_number=parse_number(to, default_region=region),
        text=text,
        received_at=system_clock(),
    )
    store = open_store(settings)
    await store.open()
    try:
        inbound_id, _ = await store.receive_sms(sms, now=system_clock())
    finally:
        await store.close()
    return inbound_id


def format_outbox(jobs: list[SmsJob], *, as_json: bool) -> str:
    """A table for people, or JSON lines for scripts; numbers are masked either way."""
    if as_json:
        return "\n".join(json.dumps(_record(job), ensure_ascii=False) for job in jobs)
    if not jobs:
        return "The outbox is empty."
    header = f"{'time (UTC)':<19}  {'id':<16}  {'to':<15}  {'state':<11}  seg  enc    error"
    lines = [header]
    for job in jobs:
        lines.append(
            f"{job.created_at:%Y-%m-%d %H:%M:%S}  {job.id:<16}  {mask(job.to_number):<15}"
            f"  {job.state.value:<11}  {job.segments:>3}  {job.encoding:<5}  {job.error or ''}"
        )
    return "\n".join(lines)


def _record(job: SmsJob) -> dict[str, object]:
    return {
        "id": job.id,
        "created_at": job.created_at.isoformat(),
        "to": mask(job.to_number),
        "state": job.state.value,
        "segments": job.segments,
        "encoding": job.encoding,
        "attempts": job.attempts,
        "provider": job.provider,
        "provider_message_id": job.provider_message_id,
        "price": job.price,
        "error": job.error,
        "error_code": job.error_code,
    }
