"""Texts, inbound texts and consent events stored with known times through the real store's
own methods (stored, claimed, sent, reported), for the reports' tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from bridge.models import ConsentEvent, InboundSms, NewSmsJob, SendResult
from bridge.store.base import Store

__all__ = ["consent", "inbound", "text"]

OWNER = "test"
_keys = iter(range(1_000_000))


async def text(
    store: Store,
    author: str,
    number: str,
    at: datetime,
    *,
    delivered_after: float | None = None,
    failed: tuple[str, str] | None = None,
    undelivered: tuple[str, str] | None = None,
    queued: bool = False,
    segments: int = 1,
    sender: str = "ExampleCo",
    cost: float | None = None,
) -> str:
    """One text accepted at ``at`` and, unless ``queued``, sent at once: then delivered
    ``delivered_after`` seconds after ``at``, failed at the send, or reported undelivered."""
    key = f"k{next(_keys)}"
    new = NewSmsJob(
        idempotency_key=key,
        message_id=f"<{key}@example.com>",
        author=author,
        subject="",
        to_number=number,
        sender=sender,
        text="Hello",
        encoding="GSM-7",
        segments=segments,
    )
    [queued_job] = await store.enqueue_sms([new], now=at)
    if queued:
        return queued_job.id
    [job] = await store.claim_sms(now=at, limit=1, lease_seconds=60, owner=OWNER)
    assert job.id == queued_job.id
    if failed is not None:
        error, code = failed
        await store.sms_failed(job.id, owner=OWNER, error=error, code=code, now=at, notice=None)
        return job.id
    result = SendResult(provider_message_id=f"p-{key}")
    await store.sms_sent(job.id, owner=OWNER, provider="twilio", result=result, now=at)
    if cost is not None:
        await store.sms_priced(job.id, price=f"{cost} GBP", cost=cost)
    if delivered_after is not None:
        when = at + timedelta(seconds=delivered_after)
        await store.sms_reported(
            job.id, state="delivered", error=None, code=None, now=when, notice=None
        )
    if undelivered is not None:
        error, code = undelivered
        await store.sms_reported(
            job.id,
            state="undelivered",
            error=error,
            code=code,
            now=at + timedelta(minutes=1),
            notice=None,
        )
    return job.id


async def inbound(store: Store, number: str, at: datetime, ident: str) -> None:
    sms = InboundSms(
        provider="twilio",
        provider_message_id=ident,
        from_number=number,
        to_number="+447700900100",
        text="Thanks",
        received_at=at,
    )
    await store.receive_sms(sms, now=at)


async def consent(store: Store, number: str, action: str, at: datetime) -> None:
    event = ConsentEvent(customer=number, action=action, scope="*", at=at, how="keyword")
    await store.record_consent([event], suppress=action == "opt-out")
