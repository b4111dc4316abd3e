"""The admin console over HTTP, on a bridge in this process with a clock the test moves:
the history and its filters, a text's timeline, retry and cancel (their effect in the store
and the audit log), reveal (audited), the login lockout, CSRF refusals, session expiry and
the cookies' attributes."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bridge.app import Bridge
from bridge.models import JobState, SmsJob
from tests.conftest import make_settings
from tests.support.admin_login import alogin, csrf_of
from tests.support.smtp_client import converse, message
from tests.test_admin_page import PASSWORD
from tests.test_scheduled_end_to_end import RULES, Clock

FAILS = """
[[provider.sandbox.fail]]
pattern = "+447700900999"
kind = "permanent"
reason = "the number is not in service"
"""
T0 = datetime(2026, 12, 2, 10, tzinfo=UTC)


class Console:
    def __init__(self, bridge: Bridge, clock: Clock, client: httpx.AsyncClient) -> None:
        self.bridge, self.clock, self.client = bridge, clock, client

    async def send(self, to: str, *, subject: str = "Parcel", text: str = "Hello") -> SmsJob:
        msg = message(subject=subject, body=text)
        said = await asyncio.to_thread(
            converse,
            self.bridge.smtp_address,
            mail_from="alice@example.com",
            rcpts=[f"{to}@sms.example.com"],
            content=msg.as_bytes(),
        )
        assert said.data is not None and said.data[0] == 250, said
        jobs = await self.bridge.store.recent_sms(limit=1)
        return jobs[0]

    async def settled(self, job_id: str, *states: JobState) -> SmsJob:
        for _ in range(200):
            job = await self.bridge.store.get_sms(job_id)
            if job is not None and job.state in states:
                return job
            await asyncio.sleep(0.05)
        raise AssertionError(f"{job_id} never reached {states}: {job}")

    async def post(self, path: str, page: str | None = None, **fields: str) -> httpx.Response:
        """POST a console form with the CSRF token of ``page`` (fetched from ``path``'s
        own page when not given)."""
        if page is None:
            page = (await self.client.get("/admin")).text
        return await self.client.post(path, data={"csrf": csrf_of(page), **fields})


@pytest.fixture
async def console(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Console]:
    monkeypatch.setenv("SMSBRIDGE_ADMIN__PASSWORD", PASSWORD)
    settings = make_settings(tmp_path, extra=RULES + FAILS, admin={"enabled": True})
    clock = Clock(T0)
    async with Bridge(settings, clock=clock) as bridge:
        base = f"http://{bridge.http_address}"
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            yield Console(bridge, clock, client)


def _ids(page: str) -> set[str]:
    return set(re.findall(r'href="/admin/texts/([^"/]+)"', page))


async def test_the_history_filters_and_pages_without_showing_whole_numbers(
    console: Console,
) -> None:
    sent = await console.send("+447700900123", text="<b>Hello</b>")
    failed = await console.send("+447700900999")
    await console.settled(sent.id, JobState.SENT)
    await console.settled(failed.id, JobState.FAILED)
    client = console.client
    assert 'type="password"' in (await client.get("/admin/history")).text
    await alogin(client, PASSWORD, name="Dana")
    page = (await client.get("/admin/history")).text
    assert _ids(page) == {sent.id, failed.id}
    assert "+447700900123" not in page and "+44******0123" in page
    only_failed = (await client.get("/admin/history", params={"state": "failed"})).text
    assert _ids(only_failed) == {failed.id} and "not in service" in only_failed
    by_number = (await client.get("/admin/history", params={"number": "07700 900123"})).text
    assert _ids(by_number) == {sent.id}
    by_domain = (await client.get("/admin/history", params={"author": "example.com"})).text
    assert _ids(by_domain) == {sent.id, failed.id}
    nobody = (await client.get("/admin/history", params={"author": "bob@example.com"})).text
    assert _ids(nobody) == set() and 'id="history-none"' in nobody
    later = (await client.get("/admin/history", params={"since": "2026-12-02 10:01"})).text
    assert _ids(later) == set()
    wrong = (await client.get("/admin/history", params={"number": "12"})).text
    assert 'id="history-error"' in wrong and _ids(wrong) == set()
    # the keyset: the page after the newest row holds the older one alone
    newest, older = sorted([sent, failed], key=lambda j: (j.created_at, j.id), reverse=True)
    after = f"{newest.created_at.timestamp()!r}~{newest.id}"
    second = (await client.get("/admin/history", params={"after": after})).text
    assert _ids(second) == {older.id}


async def test_retry_cancel_and_reveal_change_the_store_and_are_audited(console: Console) -> None:
    failed = await console.send("+447700900999")
    waiting = await console.send("+447700900124", subject="[tomorrow 9am] Rota")
    failed = await console.settled(failed.id, JobState.FAILED)
    assert (await console.bridge.store.get_sms(waiting.id)).state is JobState.QUEUED  # type: ignore[union-attr]
    client = console.client
    await alogin(client, PASSWORD, name="Dana")

    assert f'href="/admin/texts/{failed.id}"' in (await client.get("/admin")).text
    timeline = (await client.get(f"/admin/texts/{failed.id}")).text
    assert "the number is not in service" in timeline and 'id="retry"' in timeline
    assert "+447700900999" not in timeline and "+44******0999" in timeline
    rows = re.findall(r'<tr class="([a-z-]+)">', timeline)
    assert rows == ["accepted", "attempts", "last-error", "state"]
    assert "sender: rewrite (from ExampleCo (the rule for example.com))" in timeline
    unsigned = await client.post(f"/admin/texts/{failed.id}/retry", data={})
    assert unsigned.status_code == 403 and "security token" in unsigned.text
    forged = await client.post(f"/admin/texts/{failed.id}/retry", data={"csrf": "x" * 43})
    assert forged.status_code == 403
    assert (await console.bridge.store.get_sms(failed.id)).state is JobState.FAILED  # type: ignore[union-attr]
    assert await console.bridge.store.audit_of(failed.id) == []

    confirm = (await client.get(f"/admin/texts/{failed.id}/retry")).text
    assert 'id="confirm"' in confirm and "Retry text" in confirm
    console.clock.at += timedelta(minutes=1)
    done = await console.post(f"/admin/texts/{failed.id}/retry", confirm)
    assert done.status_code == 303 and "done=retry-done" in done.headers["location"]
    [entry] = await console.bridge.store.audit_of(failed.id)
    assert (entry.who, entry.address, entry.action) == ("Dana", "127.0.0.1", "retry")
    assert entry.detail == "queued again (was failed)" and entry.at == console.clock.at
    # the worker takes it again from its first attempt, and it fails again
    again = await _until(
        console,
        failed.id,
        lambda j: j.state is JobState.FAILED and j.updated_at > failed.updated_at,
    )
    assert again.attempts == 1 and again.error == "the number is not in service"
    assert await _notices(console, 2) == 2

    confirm = (await client.get(f"/admin/texts/{waiting.id}/cancel")).text
    done = await console.post(f"/admin/texts/{waiting.id}/cancel", confirm)
    assert done.status_code == 303
    assert (await console.bridge.store.get_sms(waiting.id)).state is JobState.CANCELLED  # type: ignore[union-attr]
    said = (await client.get(done.headers["location"])).text
    assert "The text was cancelled" in said
    refused = await console.post(f"/admin/texts/{waiting.id}/cancel", confirm)
    assert refused.status_code == 303 and "cancel-gone" in refused.headers["location"]
    entries = await console.bridge.store.audit_of(waiting.id)
    assert [e.detail for e in entries] == ["cancelled", "not cancelled: was cancelled"]

    page = (await client.get(f"/admin/texts/{waiting.id}")).text
    shown = await console.post(f"/admin/texts/{waiting.id}/reveal", page)
    assert shown.status_code == 200 and '<span id="number">+447700900124</span>' in shown.text
    assert "+447700900124" not in (await client.get(f"/admin/texts/{waiting.id}")).text
    reveal = (await console.bridge.store.audit_of(waiting.id))[-1]
    assert (reveal.action, reveal.who, reveal.detail) == ("reveal", "Dana", "the number was shown")

    log = (await client.get("/admin/audit")).text
    assert log.count("<td>Dana</td>") == 4 and "queued again (was failed)" in log


async def _notices(console: Console, want: int) -> int:
    """The failure notices the author was sent (the test's Maildir), once ``want`` are there
    (or after five seconds)."""
    folder = console.bridge.settings.maildir_path / "new"
    found = 0
    for _ in range(100):
        paths = list(folder.iterdir()) if folder.exists() else []
        found = sum(b"not in service" in path.read_bytes() for path in paths)
        if found >= want:
            break
        await asyncio.sleep(0.05)
    return found


async def _until(console: Console, job_id: str, done: Callable[[SmsJob], bool]) -> SmsJob:
    for _ in range(200):
        job = await console.bridge.store.get_sms(job_id)
        if job is not None and done(job):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"{job_id} did not change")


async def test_wrong_passwords_lock_the_address_out_for_a_while(console: Console) -> None:
    client = console.client
    for _ in range(5):
        wrong = await alogin(client, "guess")
        assert wrong.status_code == 401 and "not right" in wrong.text
    locked = await alogin(client, PASSWORD)
    assert locked.status_code == 429
    assert "Too many wrong passwords from this address: try again in 15 minutes." in locked.text
    assert 890 <= int(locked.headers["retry-after"]) <= 900
    assert 'type="password"' in (await client.get("/admin/history")).text  # not logged in
    console.clock.at += timedelta(minutes=14)
    assert (await alogin(client, PASSWORD)).status_code == 429
    console.clock.at += timedelta(minutes=1, seconds=1)
    assert (await alogin(client, PASSWORD)).status_code == 303
    assert 'id="history-filter"' in (await client.get("/admin/history")).text


async def test_four_wrong_passwords_then_the_right_one_start_the_count_again(
    console: Console,
) -> None:
    client = console.client
    for _ in range(4):
        assert (await alogin(client, "guess")).status_code == 401
    assert (await alogin(client, PASSWORD)).status_code == 303
    client.cookies.clear()  # logged out: the login form again
    for _ in range(4):
        assert (await alogin(client, "guess")).status_code == 401
    assert (await alogin(client, PASSWORD)).status_code == 303


async def test_a_login_needs_its_forms_token(console: Console) -> None:
    bare = await console.client.post("/admin/login", data={"password": PASSWORD})
    assert bare.status_code == 403 and "security token" in bare.text
    assert "smsbridge_admin" not in bare.headers.get("set-cookie", "")
    huge = await console.client.post("/admin/login", content=b"password=" + b"x" * 70_000)
    assert huge.status_code == 413


async def test_sessions_end_when_idle_and_after_their_lifetime(console: Console) -> None:
    client, clock = console.client, console.clock
    await alogin(client, PASSWORD)
    clock.at += timedelta(minutes=29)
    assert 'id="history-filter"' in (await client.get("/admin/history")).text
    clock.at += timedelta(minutes=30, seconds=1)  # idle_minutes = 30 since the last request
    assert 'type="password"' in (await client.get("/admin/history")).text
    await alogin(client, PASSWORD)
    for _ in range(19):  # busy all day: 19 x 25 min = 475 min
        clock.at += timedelta(minutes=25)
        assert 'id="history-filter"' in (await client.get("/admin/history")).text
    clock.at += timedelta(minutes=5)  # session_minutes = 480 since the login
    assert 'type="password"' in (await client.get("/admin/history")).text


async def test_logging_out_ends_the_session(console: Console) -> None:
    client = console.client
    await alogin(client, PASSWORD)
    page = (await client.get("/admin")).text
    cookie = client.cookies.get("smsbridge_admin")
    assert (await console.post("/admin/logout", page)).status_code == 303
    client.cookies.set("smsbridge_admin", cookie or "", path="/admin")  # a copy kept elsewhere
    assert 'type="password"' in (await client.get("/admin")).text


async def test_cookies_are_http_only_strict_and_secure_under_https(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMSBRIDGE_ADMIN__PASSWORD", PASSWORD)
    for public_url, secure in ((None, False), ("https://sms.example.com", True)):
        bridge_section: dict[str, Any] = {"public_url": public_url} if public_url else {}
        (tmp_path / str(secure)).mkdir()
        settings = make_settings(
            tmp_path / str(secure), admin={"enabled": True}, bridge=bridge_section
        )
        async with Bridge(settings, clock=Clock(T0)) as bridge:
            async with httpx.AsyncClient(base_url=f"http://{bridge.http_address}") as client:
                form = await client.get("/admin")
                # a Secure cookie does not come back over http: the test sends it itself
                nonce = form.headers["set-cookie"].split(";")[0]
                done = await client.post(
                    "/admin/login",
                    data={"csrf": csrf_of(form.text), "password": PASSWORD},
                    headers={"Cookie": nonce},
                )
            assert done.status_code == 303
        for answer in (form, done):
            cookie = answer.headers["set-cookie"].lower()
            assert "httponly" in cookie and "samesite=strict" in cookie and "path=/admin" in cookie
            assert ("; secure" in cookie) is secure, cookie


async def test_the_health_page_shows_each_provider_and_the_charts(console: Console) -> None:
    sent = await console.send("+447700900123")
    failed = await console.send("+447700900999")
    await console.settled(sent.id, JobState.SENT)
    await console.settled(failed.id, JobState.FAILED)
    await alogin(console.client, PASSWORD)
    page = (await console.client.get("/admin/health")).text
    row = page.split('<tr class="breaker-closed">')[1].split("</tr>")[0]
    assert "<td>sandbox</td><td>closed</td>" in row
    assert "permanent: the number is not in service (2026-12-02 10:00:00)" in row
    assert " ms / " in row
    assert page.count("<svg") == 2 and "location.reload()" in page
    assert "<title>02 10:00: 1 sent (no report yet)</title>" in page
    assert "<title>02 10:00: 1 failed</title>" in page
