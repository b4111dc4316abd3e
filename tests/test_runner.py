"""The claim loop: jobs claimed while it is being stopped are still waited for; a full loop
waits for a free slot instead of going round."""

from __future__ import annotations

import asyncio
import time

from bridge.workers.runner import JobRunner


async def test_jobs_claimed_during_stop_finish_before_stop_returns() -> None:
    claim_started, release_claim = asyncio.Event(), asyncio.Event()
    finished: list[int] = []

    async def claim(limit: int) -> list[int]:
        if finished:
            return []
        claim_started.set()
        await release_claim.wait()  # the claim is still in the database when stop is called
        return [1, 2]

    async def handle(job: int) -> None:
        await asyncio.sleep(0.05)
        finished.append(job)

    runner = JobRunner(name="test", claim=claim, handle=handle, concurrency=4, poll_seconds=0.1)
    task = asyncio.create_task(runner.run())
    await claim_started.wait()
    stopping = asyncio.create_task(runner.drain(grace_seconds=5))
    await asyncio.sleep(0.05)
    release_claim.set()
    await stopping
    assert sorted(finished) == [1, 2]  # before: stop returned while they still ran
    await task


async def test_a_full_runner_woken_waits_for_a_free_slot_without_spinning() -> None:
    """Every slot busy and new work committed (a wake): the runner waits for a slot to free up,
    then claims. Before, it went round its loop without pause until then, using the event
    loop's whole CPU while its jobs waited on a slow provider or smarthost."""
    release = asyncio.Event()
    claims: list[int] = []

    async def claim(limit: int) -> list[int]:
        claims.append(limit)
        return [len(claims)] if len(claims) <= 2 else []

    async def handle(job: int) -> None:
        await release.wait()

    runner = JobRunner(name="test", claim=claim, handle=handle, concurrency=1, poll_seconds=30)
    task = asyncio.create_task(runner.run())
    try:
        while not claims:
            await asyncio.sleep(0.01)
        runner.wake()  # new work, while the one slot is busy
        used = time.process_time()
        await asyncio.sleep(0.3)
        assert time.process_time() - used < 0.1  # spinning took the whole 0.3 s
        assert claims == [1]  # no claim without a free slot
        release.set()  # the slot frees up: the work the wake announced is claimed
        while len(claims) < 2:
            await asyncio.sleep(0.01)
        assert claims[:2] == [1, 1]
    finally:
        release.set()
        await runner.drain(grace_seconds=1)
        await task
