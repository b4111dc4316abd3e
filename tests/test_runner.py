"""The claim loop's shutdown: jobs claimed while it is being stopped are still waited for."""

from __future__ import annotations

import asyncio

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
