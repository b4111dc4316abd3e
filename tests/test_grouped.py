"""Group commits on PostgreSQL: the writes that arrive while one statement is on its way go
together in the next, and each caller gets its own answer; leases kept and texts sent,
written that way, are fenced by their leases as one at a time would be."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from bridge.models import JobState, SendResult
from bridge.store import ops
from bridge.store.base import Store
from bridge.store.grouped import Grouped
from bridge.store.rows import ts
from tests.support.jobs import new_job

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


async def test_writes_that_arrive_meanwhile_go_together_in_the_next_statement() -> None:
    groups: list[list[int]] = []

    async def run(items: Sequence[int]) -> list[int]:
        groups.append(list(items))
        await asyncio.sleep(0.01)  # on its way
        return [item * 10 for item in items]

    grouped: Grouped[int, int] = Grouped(run)
    first = asyncio.create_task(grouped(0))
    await asyncio.sleep(0.001)  # its statement is on its way: it went alone, at once
    answers = await asyncio.gather(*(grouped(n) for n in range(1, 5)))
    assert (await first, answers) == (0, [10, 20, 30, 40])
    assert groups == [[0], [1, 2, 3, 4]]


async def test_with_two_lanes_a_second_statement_starts_while_the_first_is_on_its_way() -> None:
    groups: list[list[int]] = []
    out = 0
    most_out = 0

    async def run(items: Sequence[int]) -> list[int]:
        nonlocal out, most_out
        groups.append(list(items))
        out += 1
        most_out = max(most_out, out)
        await asyncio.sleep(0.02)  # on its way
        out -= 1
        return [item * 10 for item in items]

    grouped: Grouped[int, int] = Grouped(run, lanes=2)
    first = asyncio.create_task(grouped(0))
    await asyncio.sleep(0.005)
    second = asyncio.create_task(grouped(1))  # a lane is free: it goes at once, alone
    await asyncio.sleep(0.005)
    rest = asyncio.gather(*(grouped(n) for n in range(2, 5)))  # both lanes busy: they wait
    assert (await first, await second, await rest) == (0, 10, [20, 30, 40])
    assert groups == [[0], [1], [2, 3, 4]]
    assert most_out == 2
    late = await grouped(5)  # the lanes were given back: a new item is written at once
    assert (late, groups[-1]) == (50, [5])


async def test_a_failed_statement_fails_its_callers_and_not_the_next_group() -> None:
    calls = 0

    async def run(items: Sequence[str]) -> list[str]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0)
        if calls == 1:
            raise OSError("connection lost")
        return list(items)

    grouped: Grouped[str, str] = Grouped(run)
    first = asyncio.create_task(grouped("a"))
    await asyncio.sleep(0)
    second = asyncio.create_task(grouped("b"))
    with pytest.raises(OSError, match="connection lost"):
        await first
    assert await second == "b"


async def test_a_group_is_at_most_so_many() -> None:
    sizes: list[int] = []

    async def run(items: Sequence[int]) -> list[bool]:
        sizes.append(len(items))
        await asyncio.sleep(0)
        return [True] * len(items)

    grouped: Grouped[int, bool] = Grouped(run, most=3)
    await asyncio.gather(*(grouped(n) for n in range(8)))
    assert sizes == [3, 3, 2]


async def test_texts_sent_together_are_each_recorded_only_by_their_lease_holder(
    store: Store,
) -> None:
    """Through the store's ``sms_sent`` (grouped on PostgreSQL), and through the statement
    itself on either backend."""
    await store.enqueue_sms([new_job(n) for n in range(4)], now=T0)
    mine = await store.claim_sms(now=T0, limit=3, lease_seconds=60, owner="me")
    [theirs] = await store.claim_sms(now=T0, limit=1, lease_seconds=60, owner="other")
    sent = await asyncio.gather(
        *(
            store.sms_sent(job.id, owner="me", provider="p", result=SendResult(f"P{n}"), now=T0)
            for n, job in enumerate([*mine[:2], theirs])
        )
    )
    assert sent == [True, True, False]
    texts = [
        ops.Sent(mine[2].id, "me", "p", SendResult("P9", price="0.04"), ts(T0)),
        ops.Sent(theirs.id, "me", "p", SendResult("P8"), ts(T0)),
    ]
    assert await store._do(ops.sms_sent_many(texts)) == {mine[2].id}  # type: ignore[attr-defined]
    stored = await store.get_sms(mine[2].id)
    assert stored is not None
    assert (stored.state, stored.provider_message_id, stored.price) == (JobState.SENT, "P9", "0.04")
    assert stored.updated_at == T0
    other = await store.get_sms(theirs.id)
    assert other is not None and other.state is JobState.SENDING


async def test_leases_kept_together_are_each_kept_only_for_their_holder(store: Store) -> None:
    await store.enqueue_sms([new_job(n) for n in range(3)], now=T0)
    mine = await store.claim_sms(now=T0, limit=2, lease_seconds=60, owner="me")
    [theirs] = await store.claim_sms(now=T0, limit=1, lease_seconds=60, owner="other")
    await store.sms_sent(mine[1].id, owner="me", provider="p", result=SendResult("P1"), now=T0)
    later = T0 + timedelta(seconds=30)
    kept = await asyncio.gather(
        *(
            store.keep_sms_lease(job.id, owner="me", lease_seconds=60, now=later)
            for job in [mine[0], mine[1], theirs]
        )
    )
    assert kept == [True, False, False]  # a text already sent, a job leased to another
    leases = [ops.Kept(theirs.id, "other", ts(later) + 60), ops.Kept(mine[0].id, "x", 0.0)]
    assert await store._do(ops.keep_sms_leases(leases)) == {theirs.id}  # type: ignore[attr-defined]
    taken = await store.claim_sms(
        now=T0 + timedelta(seconds=61), limit=3, lease_seconds=60, owner="third"
    )
    assert taken == []  # both leases now run to 90 s
