"""The admin page's scheduled texts: behind the login, numbers masked, values escaped, and
a cancel button that works only from the page itself."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bridge.app import Bridge
from bridge.models import JobState
from tests.conftest import make_settings
from tests.support.admin_login import alogin, csrf_of
from tests.support.smtp_client import converse, message
from tests.test_admin_page import PASSWORD
from tests.test_scheduled_end_to_end import RULES, Clock


async def test_the_page_lists_waiting_texts_and_cancels_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMSBRIDGE_ADMIN__PASSWORD", PASSWORD)
    settings = make_settings(tmp_path, extra=RULES, admin={"enabled": True})
    clock = Clock(datetime(2026, 12, 2, 10, tzinfo=UTC))
    async with Bridge(settings, clock=clock) as bridge:
        msg = message(subject="[tomorrow 9am] <b>Rota</b>")
        said = await asyncio.to_thread(
            converse,
            bridge.smtp_address,
            mail_from="alice@example.com",
            rcpts=["+447700900123@sms.example.com"],
            content=msg.as_bytes(),
        )
        assert said.data is not None and said.data[0] == 250
        [job] = await bridge.store.recent_sms(limit=5)
        base = f"http://{bridge.http_address}"
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            assert 'type="password"' in (await client.get("/admin/scheduled")).text
            await alogin(client, PASSWORD)
            assert 'href="/admin/scheduled"' in (await client.get("/admin")).text
            page = (await client.get("/admin/scheduled")).text
            assert job.id in page and "Thu 3 Dec 2026 09:00 Europe/London" in page
            assert "+447700900123" not in page and "0123" in page
            assert "&lt;b&gt;Rota&lt;/b&gt;" in page and "<b>Rota" not in page
            token = csrf_of(page)
            unsigned = await client.post("/admin/scheduled/cancel", data={"id": job.id})
            assert unsigned.status_code == 403 and "security token" in unsigned.text
            elsewhere = await client.post(
                "/admin/scheduled/cancel",
                data={"id": job.id, "csrf": token},
                headers={"Origin": "https://evil.example"},
            )
            assert elsewhere.status_code == 403
            assert (await bridge.store.get_sms(job.id)).state is JobState.QUEUED  # type: ignore[union-attr]
            done = await client.post(
                "/admin/scheduled/cancel",
                data={"id": job.id, "csrf": token},
                follow_redirects=True,
            )
            assert "The text was cancelled" in done.text and job.id not in done.text
            assert (await bridge.store.get_sms(job.id)).state is JobState.CANCELLED  # type: ignore[union-attr]
            again = await client.post(
                "/admin/scheduled/cancel",
                data={"id": job.id, "csrf": token},
                follow_redirects=True,
            )
            assert "no longer waiting" in again.text
