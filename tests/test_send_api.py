"""``POST /api/v1/texts``: a text from a system that cannot send email, through the chain.

The store's part (tokens kept as digests, one answer and one job per Idempotency-Key, also
when two requests race) runs on SQLite and PostgreSQL; the endpoint itself is driven end to
end against the bridge as its users run it, with a token made by ``smsbridge api-tokens``.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bridge.models import ApiAnswer, NewSmsJob, Queued
from bridge.web.send_api import WINDOW, new_token, token_digest
from tests.support.bridge_process import BridgeProcess

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
REPLY, CUSTOMER = "+447700900100", "+447700900123"
SETTINGS = f"""
[[numbers]]
number = "{REPLY}"
inbox = ["team@example.com"]
"""


def _job(key: str) -> NewSmsJob:
    return NewSmsJob(
        idempotency_key=f"api|n8n|{key}",
        message_id=f"<api-{key}@example.com>",
        author="",
        subject="",
        to_number=CUSTOMER,
        sender="ExampleCo",
        text="Your parcel is here",
        encoding="GSM-7",
        segments=1,
        merge_window=WINDOW.total_seconds(),
    )


def _answer(queued: Queued | None) -> ApiAnswer:
    assert queued is not None
    return ApiAnswer(status=201, body=json.dumps({"id": queued.id}), fingerprint="f1")


async def test_tokens_are_kept_as_digests_and_revoked(store: Any) -> None:
    token = new_token()
    assert len(token) > 40 and token.startswith("sb_")
    digest = token_digest(token)
    assert await store.add_api_token("n8n", digest=digest, author="ops@example.com", now=T0)
    assert not await store.add_api_token("n8n", digest="other", author="", now=T0)
    found = await store.api_token(digest)
    assert (found.name, found.author, found.revoked_at) == ("n8n", "ops@example.com", None)
    assert await store.api_token(token_digest(token + "x")) is None
    assert await store.revoke_api_token("n8n", now=T0 + timedelta(hours=1))
    assert not await store.revoke_api_token("n8n", now=T0 + timedelta(hours=2))
    assert (await store.api_token(digest)).revoked_at == T0 + timedelta(hours=1)
    # a revoked name may be given a new token, which replaces the old one
    assert await store.add_api_token("n8n", digest="new", author="", now=T0)
    assert await store.api_token(digest) is None
    assert [t.name for t in await store.api_tokens()] == ["n8n"]


async def test_one_key_stores_one_job_and_one_answer_even_when_requests_race(store: Any) -> None:
    since = T0 - WINDOW
    first, second = await asyncio.gather(
        store.api_send("n8n", "k1", _job("k1"), _answer, now=T0, since=since),
        store.api_send("n8n", "k1", _job("k1"), _answer, now=T0, since=since),
    )
    assert first.body == second.body and {first.replayed, second.replayed} == {False, True}
    later = await store.api_send("n8n", "k1", _job("k1"), _answer, now=T0, since=since)
    assert later.replayed and later.body == first.body
    assert len(await store.recent_sms(limit=10)) == 1
    # another system's same key is its own
    await store.api_send("other", "k1", _job("other-k1"), _answer, now=T0, since=since)
    assert len(await store.recent_sms(limit=10)) == 2


async def test_a_key_is_remembered_for_24_hours(store: Any) -> None:
    await store.api_send("n8n", "k2", _job("k2"), _answer, now=T0, since=T0 - WINDOW)
    assert await store.api_answer("n8n", "k2", since=T0 + timedelta(hours=23) - WINDOW)
    next_day = T0 + WINDOW + timedelta(seconds=1)
    assert await store.api_answer("n8n", "k2", since=next_day - WINDOW) is None
    again = await store.api_send(
        "n8n", "k2", _job("k2"), _answer, now=next_day, since=next_day - WINDOW
    )
    assert not again.replayed
    assert len(await store.recent_sms(limit=10)) == 2


# The endpoint, end to end


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Any:
    bridge = BridgeProcess(tmp_path_factory.mktemp("api"), extra=SETTINGS)
    with bridge:
        made = bridge.cli("api-tokens", "add", "node-red", "--author", "Ops@Example.com")
        assert made.returncode == 0, made.stderr
        assert "shown once" in made.stderr
        yield bridge, made.stdout.strip()


def _post(bridge: BridgeProcess, token: str | None, body: Any, **headers: str) -> httpx.Response:
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(
        f"{bridge.public_url}/api/v1/texts",
        content=content,
        headers={"Content-Type": "application/json", **headers},
        timeout=10,
    )


def test_a_text_is_stored_before_the_answer_and_sent(api: Any) -> None:
    bridge, token = api
    answer = _post(bridge, token, {"to": "07700 900123", "text": "Your parcel is here"})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["status"] == "queued" and body["sender"] == "ExampleCo"
    [job] = [job for job in bridge.jobs() if job["id"] == body["id"]]
    assert job["to_number"] == CUSTOMER and job["author"] == "ops@example.com"
    sent = bridge.wait_until(
        lambda: [s for s in bridge.sandbox_sent() if s["text"] == "Your parcel is here"],
        what="the text sent",
    )
    assert sent[0]["to"] == CUSTOMER


def test_the_same_key_gets_the_first_answer_and_one_text(api: Any) -> None:
    bridge, token = api
    text = {"to": CUSTOMER, "text": "Gate code 4412"}
    first = _post(bridge, token, text, **{"Idempotency-Key": "order-77"})
    again = _post(bridge, token, text, **{"Idempotency-Key": "order-77"})
    assert first.status_code == again.status_code == 201, again.text
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    other = _post(
        bridge, token, {**text, "text": "Gate code 9999"}, **{"Idempotency-Key": "order-77"}
    )
    assert other.status_code == 422 and "another request" in other.json()["error"]
    assert len([job for job in bridge.jobs() if job["body"] == "Gate code 4412"]) == 1


def test_a_scheduled_text_is_deferred(api: Any) -> None:
    bridge, token = api
    when = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    answer = _post(bridge, token, {"to": CUSTOMER, "text": "Later", "send_at": when.isoformat()})
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "deferred"
    assert datetime.fromisoformat(answer.json()["send_at"]) == when


def test_the_chain_refuses_with_its_sentence(api: Any) -> None:
    bridge, token = api
    answer = _post(bridge, token, {"to": CUSTOMER, "text": "Hi", "sender": "+447700900777"})
    assert answer.status_code == 451
    assert "does not send texts from +447700900777" in answer.json()["error"]
    assert answer.json()["rule"] == "owned-sender"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"{not json", "not JSON"),
        ([], "JSON object"),
        ({"text": "Hi"}, "to must be"),
        ({"to": CUSTOMER, "text": ""}, "text must be"),
        ({"to": "12", "text": "Hi"}, "to: "),
        ({"to": CUSTOMER, "text": "Hi", "colour": "red"}, "Unknown field 'colour'"),
        ({"to": CUSTOMER, "text": "Hi", "category": "spam"}, "category"),
        ({"to": CUSTOMER, "text": "Hi", "send_at": "2026-12-08T09:00"}, "time zone"),
    ],
)
def test_invalid_requests_are_400_with_a_sentence(api: Any, body: Any, says: str) -> None:
    bridge, token = api
    answer = _post(bridge, token, body)
    assert answer.status_code == 400 and says in answer.json()["error"], answer.text


def test_tokens_are_checked(api: Any) -> None:
    bridge, _ = api
    text = {"to": CUSTOMER, "text": "Hi"}
    missing = _post(bridge, None, text)
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert _post(bridge, new_token(), text).status_code == 401
    made = bridge.cli("api-tokens", "add", "old-system")
    old = made.stdout.strip()
    assert _post(bridge, old, text).status_code == 201
    assert bridge.cli("api-tokens", "add", "old-system").returncode == 1  # one at a time
    assert bridge.cli("api-tokens", "revoke", "old-system").returncode == 0
    revoked = _post(bridge, old, text)
    assert revoked.status_code == 403 and "revoked" in revoked.json()["error"]
    listed = [
        json.loads(line) for line in bridge.cli("api-tokens", "list", "--json").stdout.splitlines()
    ]
    states = {entry["name"]: entry["revoked_at"] is not None for entry in listed}
    assert states == {"node-red": False, "old-system": True}


def test_the_store_keeps_no_token(api: Any) -> None:
    bridge, token = api
    rows = bridge._rows("api_tokens")
    assert token_digest(token) in {row["digest"] for row in rows}
    assert not any(token in str(value) for row in rows for value in row.values())
