"""SMS jobs for tests: a new one as the intake stores it, and a stored one as a worker claims
it, for tests of what decides on one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bridge.models import JobState, NewSmsJob, SmsJob

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def claimed_job(**fields: Any) -> SmsJob:
    """A job in ``sending``, first attempt; ``fields`` override any of its values."""
    base: dict[str, Any] = dict(
        id="s1",
        idempotency_key="k",
        message_id="<m@x>",
        author="alice@example.com",
        subject="",
        to_number="+14155550100",
        sender="ExampleCo",
        text="Hi",
        encoding="GSM-7",
        segments=1,
        state=JobState.SENDING,
        attempts=1,
        created_at=T0,
        updated_at=T0,
    )
    return SmsJob(**{**base, **fields})


def new_job(n: int, *, text: str = "Text {n}") -> NewSmsJob:
    """Text number ``n`` from alice to one customer, with a key of its own (``text`` may name
    ``{n}``)."""
    return NewSmsJob(
        idempotency_key=f"<m{n}@example.com>|+447700900123",
        message_id=f"<m{n}@example.com>",
        author="alice@example.com",
        subject="Hi",
        to_number="+447700900123",
        sender="ExampleCo",
        text=text.format(n=n),
        encoding="GSM-7",
        segments=1,
    )
