"""SEND that arrives while a bulk send's texts are still being stored after its preview: it
waits for them and queues them all; one that waits too long gets a 451, which the author's
mail program tries again. On SQLite and PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from bridge.errors import Refused
from bridge.inbound import control
from bridge.inbound.control import ControlDesk
from bridge.store.base import Store
from tests.support.smtp_client import message
from tests.test_bulk_store import _job, _preview, _send

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
AUTHOR = "alice@example.com"


async def _previewed_and_storing(store: Store) -> tuple[str, str]:
    """A bulk send previewed, four of its texts stored, its batch still 'received'."""
    send = _send()
    batch_id, _ = await store.receive_bulk(send, now=NOW)
    assert await store.claim_bulk(now=NOW, lease_seconds=60, owner="w") is not None
    shown = await store.bulk_previewed(
        batch_id, owner="w", not_sent="[]", preview=_preview(), now=NOW
    )
    assert shown == "previewed"
    jobs = [(i + 2, _job(i)) for i in range(4)]
    assert await store.store_bulk_jobs(batch_id, jobs, state="held", now=NOW) == 4
    return batch_id, send.token


def _desk(store: Store) -> ControlDesk:
    return ControlDesk(store=store, clock=lambda: NOW)


def _send_reply() -> bytes:
    return message(to="batch@sms.example.com", sender=AUTHOR, body="SEND\n").as_bytes()


async def test_send_waits_for_the_texts_stored_after_the_preview(store: Store) -> None:
    batch_id, token = await _previewed_and_storing(store)

    async def finish_storing() -> None:
        await asyncio.sleep(0.4)
        more = [(i + 2, _job(i)) for i in range(4, 10)]
        await store.store_bulk_jobs(batch_id, more, state="held", now=NOW)
        await store.bulk_planned(batch_id, owner="w", state="held", not_sent="[]", now=NOW)

    began = time.monotonic()
    storing = asyncio.create_task(finish_storing())
    said = await _desk(store).handle(token, AUTHOR, _send_reply())
    await storing
    assert said == "250 2.0.0 10 texts queued."  # all of them, not the four stored at SEND
    assert time.monotonic() - began >= 0.4
    states = {job.state.value for job in await store.recent_sms(limit=20)}
    assert states == {"queued"}


async def test_send_that_waits_too_long_gets_a_temporary_failure(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, token = await _previewed_and_storing(store)
    monkeypatch.setattr(control, "STORING_WAIT", 0.3)
    with pytest.raises(Refused) as refused:
        await _desk(store).handle(token, AUTHOR, _send_reply())
    assert (refused.value.code, refused.value.status) == (451, "4.3.0")
    assert "still being stored" in refused.value.reason
    held: Any = {job.state.value for job in await store.recent_sms(limit=20)}
    assert held == {"held"}  # nothing queued: SEND again finds them all
