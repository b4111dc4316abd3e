"""The velocity guard: the rule with fake facts, the counts and the alert on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from bridge.chain.chain import build_chain, velocity_watch
from bridge.chain.facts import StoreFacts
from bridge.chain.request import OutboundRequest, Source
from bridge.chain.rule import Stage
from bridge.mail.alerts import VelocityAlert
from bridge.models import NewNumbers, NewSmsJob
from bridge.store.base import Store
from tests.conftest import make_settings
from tests.support.facts import Facts

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
SEND = frozenset({Stage.SEND})
ALICE = "alice@example.com"
GUARD = {"velocity_new_numbers": 2, "velocity_minutes": 10, "alert_to": ["sec@example.com"]}


class Knows(Facts):
    """A FactReader whose answer about new numbers is given."""

    def __init__(self, found: NewNumbers) -> None:
        super().__init__()
        self.found, self.new_asked = found, 0

    async def new_numbers(self, *, author: str, to_number: str, at: datetime) -> NewNumbers:
        self.new_asked += 1
        return self.found


def _stored(author: str = ALICE) -> OutboundRequest:
    return OutboundRequest(
        source=Source.STORED,
        author=author,
        to_number="+447700900123",
        text="Hi",
        sender="ExampleCo",
        provider="sandbox",
    )


async def test_a_new_number_past_the_limit_is_held_for_the_window(tmp_path: Path) -> None:
    chain = build_chain(make_settings(tmp_path, compliance=GUARD))
    first = T0 - timedelta(minutes=3)
    held = await chain.run(_stored(), facts=Knows(NewNumbers(True, 2, first)), at=T0, stages=SEND)
    assert held.accepted and held.not_before == first + timedelta(minutes=10)
    [hit] = held.record
    assert (hit.rule, hit.action) == ("velocity", "defer")
    assert "alice@example.com has texted 2 new numbers within 10 minutes" in hit.detail
    for found in (NewNumbers(True, 1, first), NewNumbers(False)):
        assert (
            await chain.run(_stored(), facts=Knows(found), at=T0, stages=SEND)
        ).not_before is None
    bridge_answer = Knows(NewNumbers(True, 99, first))
    await chain.run(_stored(author=""), facts=bridge_answer, at=T0, stages=SEND)
    assert bridge_answer.new_asked == 0  # the bridge's own answers are never counted


def test_no_velocity_rule_unless_set(tmp_path: Path) -> None:
    assert "velocity" not in [r.name for r in build_chain(make_settings(tmp_path)).rules]
    names = [r.name for r in build_chain(make_settings(tmp_path, compliance=GUARD)).rules]
    assert names[-1] == "velocity"


def _job(number: str, n: int, author: str = ALICE) -> NewSmsJob:
    return NewSmsJob(
        idempotency_key=f"<v{n}.{author}>|{number}",
        message_id=f"<v{n}.{author}>",
        author=author,
        subject="",
        to_number=number,
        sender="ExampleCo",
        text="Hi",
        encoding="GSM-7",
        segments=1,
    )


async def _enqueue(store: Store, jobs: list[tuple[str, datetime]], author: str = ALICE) -> None:
    for number, at in jobs:
        n = int(at.timestamp()) * 100 + int(number[-2:])
        await store.enqueue_sms([_job(number, n, author)], now=at)


async def test_new_numbers_are_counted_from_the_stored_jobs(store: Store) -> None:
    old, a, b, c = "+447700900101", "+447700900102", "+447700900103", "+447700900104"
    minute = timedelta(minutes=1)
    await _enqueue(store, [(old, T0 - 60 * minute), (a, T0), (b, T0 + minute), (old, T0)])
    await _enqueue(store, [(c, T0)], author="bob@example.com")
    await _enqueue(store, [(c, T0 + 2 * minute)])
    now, since = T0 + 3 * minute, T0 - 5 * minute

    async def new(number: str) -> NewNumbers:
        return await store.new_numbers(author=ALICE, to_number=number, since=since, now=now)

    assert await new(old) == NewNumbers(False)  # texted before the window
    assert await new(a) == NewNumbers(True, 0, T0)
    assert await new(b) == NewNumbers(True, 1, T0 + minute)
    assert await new(c) == NewNumbers(True, 2, T0 + 2 * minute)  # bob's text is not alice's
    assert await new("+447700900199") == NewNumbers(True, 3, now)  # never texted


async def test_the_alert_is_queued_once_a_window(store: Store, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, compliance=GUARD)
    alert = VelocityAlert(
        to=("sec@example.com",),
        from_address="bridge@example.com",
        hostname="h",
        limit=2,
        minutes=10,
    )
    facts = StoreFacts(store, velocity=velocity_watch(settings, alert))
    numbers = [f"+4477009001{n:02d}" for n in range(5)]
    await _enqueue(store, [(number, T0) for number in numbers])
    seen = [await facts.new_numbers(author=ALICE, to_number=n, at=T0) for n in numbers]
    assert [found.earlier for found in seen] == [0, 1, 2, 3, 4]
    mails = await store.claim_mail(now=T0, limit=10, lease_seconds=60, owner="t")
    assert [m.kind for m in mails] == ["alert"] and mails[0].recipients == ("sec@example.com",)
    body = message_from_bytes(mails[0].content, policy=policy.default)
    assert "alice@example.com" in str(body["Subject"])
    text: Any = body.get_content()  # type: ignore[attr-defined]
    assert "+4477009001" not in text  # no customer's number in the alert
    await store.mail_sent(mails[0].id, owner="t", now=T0)
    later = T0 + timedelta(minutes=11)  # the next window: told again
    await _enqueue(store, [(f"+4477009002{n:02d}", later) for n in range(3)])
    for n in range(3):
        await facts.new_numbers(author=ALICE, to_number=f"+4477009002{n:02d}", at=later)
    again = await store.claim_mail(now=later, limit=10, lease_seconds=60, owner="t")
    assert [m.kind for m in again] == ["alert"]


class Counting:
    """The store, with the number of times the velocity count was read."""

    def __init__(self, store: Store) -> None:
        self.store, self.counted = store, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    async def new_numbers(self, **kwargs: Any) -> NewNumbers:
        self.counted += 1
        return await self.store.new_numbers(**kwargs)


async def test_a_number_under_the_limit_is_not_counted_again_within_its_window(
    store: Store, tmp_path: Path
) -> None:
    """Its place among the new numbers only falls as the window moves on; a number over the
    limit is counted each time (it may have come under), and one whose first text left the
    window is read again (it is no longer new)."""
    settings = make_settings(tmp_path, compliance=GUARD)
    counting = Counting(store)
    facts = StoreFacts(counting, velocity=velocity_watch(settings))  # type: ignore[arg-type]
    numbers = [f"+4477009001{n:02d}" for n in range(3)]
    await _enqueue(store, [(number, T0) for number in numbers])

    async def ask(number: str, at: datetime) -> NewNumbers:
        return await facts.new_numbers(author=ALICE, to_number=number, at=at)

    first = [await ask(n, T0) for n in numbers]
    assert [found.earlier for found in first] == [0, 1, 2] and counting.counted == 3
    assert await ask(numbers[0], T0 + timedelta(minutes=5)) == first[0]
    assert counting.counted == 3  # under the limit: from memory
    assert (await ask(numbers[2], T0 + timedelta(minutes=5))).earlier == 2
    assert counting.counted == 4  # over it: counted again
    assert await ask(numbers[0], T0 + timedelta(minutes=11)) == NewNumbers(False)
    assert counting.counted == 5  # its first text left the window
