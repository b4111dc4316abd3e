"""What only the shared PostgreSQL store must do: migrations checked and applied once, two
bridges' claims that never overlap, and cluster locks that move when their holder dies."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import asyncpg
import pytest

from bridge.store.base import HeldLock
from bridge.store.migrations import SCHEMA_VERSION, SchemaTooNew, SchemaTooOld
from bridge.store.postgres import PostgresStore
from tests.conftest import postgres_schema
from tests.support.jobs import new_job

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


async def test_migrations_are_required_applied_once_and_newer_schemas_refused() -> None:
    with postgres_schema() as dsn:
        store = PostgresStore(dsn)
        with pytest.raises(SchemaTooOld, match="smsbridge migrate"):
            await store.open()
        results = await asyncio.gather(PostgresStore(dsn).migrate(), PostgresStore(dsn).migrate())
        assert sorted(results) == [(0, SCHEMA_VERSION), (SCHEMA_VERSION, SCHEMA_VERSION)]
        await store.open()
        conn = await asyncpg.connect(dsn)
        await conn.execute("UPDATE schema_version SET version = version + 1")
        await conn.close()
        with pytest.raises(SchemaTooNew):
            await PostgresStore(dsn).open()
        await store.close()


async def test_two_bridges_claiming_together_never_lease_the_same_job() -> None:
    with postgres_schema() as dsn:
        first, second = PostgresStore(dsn), PostgresStore(dsn)
        await first.migrate()
        for store in (first, second):
            await store.open()
        await first.enqueue_sms([new_job(n) for n in range(600)], now=T0)
        # Each pool has a connection for each of its claimers before they start: one making
        # its first (slow on a busy machine) could find the queue emptied by the others.
        for store in (first, second):
            await asyncio.gather(*(store.recent_sms(limit=1) for _ in range(4)))

        async def claimer(store: PostgresStore, owner: str) -> list[str]:
            got: list[str] = []
            while batch := await store.claim_sms(now=T0, limit=7, lease_seconds=60, owner=owner):
                got += [job.id for job in batch]
            return got

        claims = await asyncio.gather(
            *(claimer(s, f"{s is first}-{i}") for s in (first, second) for i in range(4))
        )
        everything = [job_id for claim in claims for job_id in claim]
        assert len(everything) == 600 and len(set(everything)) == 600
        assert all(claims)  # every claimer got some: they really ran side by side
        for store in (first, second):
            await store.close()


def _own(name: str, dsn: str) -> str:
    """A lock name of this test's own. Advisory locks belong to the whole database, not to
    the test's schema, and bridges of the tests running beside this one (pytest -n) hold
    theirs: every bridge on PostgreSQL runs its hourly "clean-up" under one."""
    return f"{name} in {dsn.partition('search_path=')[2]}"


async def test_a_cluster_lock_moves_to_another_bridge_when_its_holder_dies() -> None:
    with postgres_schema() as dsn:
        holder, other = PostgresStore(dsn), PostgresStore(dsn)
        watch_100 = _own("watch vonage +447700900100", dsn)
        await holder.migrate()
        await holder.open()
        await other.open()
        lock = await holder.try_lock(watch_100)
        assert lock is not None and await lock.alive()
        assert await other.try_lock(watch_100) is None
        another = _own("watch vonage +447700900200", dsn)
        assert await other.try_lock(another) is not None
        await holder.close()  # the holder's connections go, as when its process is killed
        taken = await other.try_lock(watch_100)
        assert taken is not None and await taken.alive()
        await taken.release()
        await other.close()


def test_a_password_in_the_dsn_is_refused(tmp_path: Path) -> None:
    from bridge.errors import ConfigError
    from tests.conftest import make_settings

    with pytest.raises(ConfigError) as caught:
        make_settings(
            tmp_path,
            store={"backend": "postgres", "dsn": "postgresql://sms:hunter2@db.example/sms"},
        )
    assert "must not hold the password" in caught.value.report()


class _Recorder:
    """A worker that notes which bridge runs it, and when."""

    running: ClassVar[list[str]] = []

    def __init__(self, bridge: str) -> None:
        self.bridge = bridge
        self._stop = asyncio.Event()

    async def run(self) -> None:
        self.running.append(self.bridge)
        try:
            await self._stop.wait()
        finally:
            self.running.remove(self.bridge)

    def stop(self) -> None:
        self._stop.set()


class _Mortal:
    """A bridge's cluster locks, asked for through its store until the bridge dies.

    A dead bridge asks for nothing again. Closing its store (the test's way of killing it)
    takes its lock's connection away at once, but its pool closes after that; without this,
    the dying bridge's loop, on seeing its lock gone, could take the lock again through the
    pool still closing, before the other bridge's next try (as it did under load)."""

    exclusive = False

    def __init__(self, store: PostgresStore) -> None:
        self.store = store
        self.dead = False

    async def try_lock(self, name: str) -> HeldLock | None:
        if self.dead:
            raise ConnectionError("this bridge is dead")
        return await self.store.try_lock(name)


async def test_once_per_cluster_work_runs_on_one_bridge_and_moves_when_it_dies() -> None:
    from bridge.workers.cluster import OncePerCluster

    with postgres_schema() as dsn:
        stores = {name: PostgresStore(dsn) for name in ("a", "b")}
        bridges = {name: _Mortal(store) for name, store in stores.items()}
        await stores["a"].migrate()
        onces = {}
        for name, store in stores.items():
            await store.open()
            onces[name] = OncePerCluster(
                store=bridges[name],
                name=_own("clean-up", dsn),
                retry_seconds=0.1,
                check_seconds=0.1,
                make=lambda name=name: _Recorder(name),
            )
        tasks = [asyncio.create_task(once.run()) for once in onces.values()]
        await asyncio.sleep(1.0)
        assert len(_Recorder.running) == 1
        holder = _Recorder.running[0]
        other = "b" if holder == "a" else "a"
        bridges[holder].dead = True
        await stores[holder].close()  # its connections, and with them the lock, are gone
        for _ in range(50):
            await asyncio.sleep(0.1)
            if _Recorder.running == [other]:
                break
        assert _Recorder.running == [other]
        for once in onces.values():
            once.stop()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), timeout=10)
        await stores[other].close()
