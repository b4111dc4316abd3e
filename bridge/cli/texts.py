"""Commands about texts: ``send``, ``outbound explain``, ``outbox`` and ``simulate-inbound``.

``send`` passes the same outbound chain as an email (``bridge.chain``): a customer who replied
STOP is refused with the sentence SMTP gives, an empty text is refused, a sender the bridge
does not own is refused, an author's segment limit holds. What it accepts goes into the same
queue, and is sent, retried and reported like a text from a mail client.
"""

from __future__ import annotations

import json
import secrets
import socket
from datetime import datetime

from bridge.chain.chain import build_chain
from bridge.chain.explain import explain_outbound
from bridge.chain.facts import StoreFacts
from bridge.chain.gate import Gate
from bridge.chain.gate import job as sms_job
from bridge.chain.request import OutboundRequest, Source
from bridge.cli.common import opened_store
from bridge.clock import system_clock
from bridge.errors import Refused
from bridge.models import InboundSms, SmsJob
from bridge.parsing.numbers import mask, parse_number
from bridge.settings.root import Settings

__all__ = ["explain_text", "format_outbox", "queue_text", "receive_simulated"]


async def queue_text(
    settings: Settings, *, to: str, text: str, sender: str | None, notify: str | None
) -> str:
    """Pass the chain and store one text; return its job id. Raises ``InvalidNumber`` or
    ``Refused`` with the sentence the author would read."""
    number = parse_number(to, default_region=settings.smtp.default_region)
    request = OutboundRequest(
        source=Source.CLI, author=(notify or "").lower(), to_number=number, text=text, sender=sender
    )
    async with opened_store(settings) as store:
        gate = Gate(chain=build_chain(settings), facts=StoreFacts(store))
        decision = await gate.decide(request, at=system_clock())
        if decision.refusal is not None:
            refusal = decision.refusal
            raise Refused(refusal.code, refusal.status, refusal.reason)
        message_id = f"<cli-{secrets.token_hex(12)}@{socket.gethostname()}>"
        new = sms_job(decision, idempotency_key=f"{message_id}|{number}", message_id=message_id)
        [queued] = await store.enqueue_sms([new], now=system_clock())
    return queued.id


async def explain_text(
    settings: Settings, *, author: str, to: str, text: str, sender: str | None, at: datetime
) -> tuple[str, bool]:
    """The chain's answer for a text, rule by rule, and whether it would be accepted."""
    number = parse_number(to, default_region=settings.smtp.default_region)
    async with opened_store(settings) as store:
        words, decision = await explain_outbound(
            build_chain(settings),
            facts=StoreFacts(store),
            author=author,
            to=number,
            text=text,
            sender=sender,
            at=at,
            source=Source.CLI if sender else Source.EMAIL,
        )
    return words, decision.accepted


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
    async with opened_store(settings) as store:
        inbound_id, _ = await store.receive_sms(sms, now=system_clock())
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
        "chain": [{"rule": h.rule, "action": h.action, "detail": h.detail} for h in job.chain],
    }
