"""A bridge frozen for longer than its lease (SIGSTOP, as in a VM stall) while it holds jobs,
on a PostgreSQL database another bridge shares: the other bridge takes the jobs over and sends
them, and the frozen one, when it wakes, sends none of them again (lease fencing).

Where the freeze falls matters. The sandbox records a text the moment it is handed over (its
journal stands for the phones) and answers ``latency_seconds`` later. Jobs frozen while their
answer is on its way are already with the provider: the other bridge finds them there and
does not send them again, with or without fencing. Fencing is for the jobs the frozen bridge
had claimed but not yet handed over. So the test freezes the first bridge, looks at what it
holds, and lets it run on for a moment and freezes it again until it catches the bridge with
such a job: leased to it by a claim (its lease was never confirmed, so still the claim's
length), not in the journal, and not yet at the check of its lease before the provider call
(the frozen bridge logs at DEBUG when a job comes to it). A freeze that falls between that
check and the provider's receipt (the window docs/reliability.md admits; the check may be
the claim itself, without a statement) is passed over in the same way.
"""

from __future__ import annotations

import asyncio
import random
import re
import socket
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bridge.models import NewSmsJob
from bridge.store.postgres import PostgresStore
from tests.conftest import postgres_schema
from tests.support.bridge_process import BridgeProcess, read_journal

LEASE = 2.0
_CHECKING = re.compile(r"job (\S+): its lease checked before")  # the dispatcher's DEBUG line
BACKLOG = 150  # texts kept waiting while the test looks for a moment to freeze


def _rows(dsn: str, sql: str, *args: object) -> list[dict[str, Any]]:
    import psycopg
    from psycopg.rows import dict_row

    base, _, schema = dsn.partition("?search_path=")  # asyncpg's form; libpq wants options
    with psycopg.connect(base, options=f"-csearch_path={schema}", row_factory=dict_row) as conn:
        return conn.execute(sql, args).fetchall()  # type: ignore[arg-type]


class Feeder:
    """Keeps about ``BACKLOG`` texts queued until stopped, as a busy mail server would."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.stop = threading.Event()
        self.total = 0
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()))

    async def _run(self) -> None:
        store = PostgresStore(self.dsn, pool_size=1)
        await store.open()
        try:
            while not self.stop.is_set():
                queued = _rows(
                    self.dsn, "SELECT count(*) AS n FROM sms_jobs WHERE state = 'queued'"
                )
                if queued[0]["n"] < BACKLOG:
                    await store.enqueue_sms(
                        [_job(self.total + n) for n in range(100)], now=datetime.now(UTC)
                    )
                    self.total += 100
                await asyncio.sleep(0.05)
        finally:
            await store.close()


def _job(n: int) -> NewSmsJob:
    number = f"+4477009{n % 1000:05d}"
    return NewSmsJob(
        idempotency_key=f"<frozen-{n}@example.com>|{number}",
        message_id=f"<frozen-{n}@example.com>",
        author="alice@example.com",
        subject="Frozen",
        to_number=number,
        sender="ExampleCo",
        text=f"Frozen text {n}",
        encoding="GSM-7",
        segments=1,
    )


def _catch(bridge: BridgeProcess, dsn: str, journal: Path) -> set[str]:
    """Freeze ``bridge`` at a moment it holds claimed jobs not yet handed to the provider,
    and none between a confirmation and the provider; return those jobs, left frozen."""
    assert bridge.proc is not None
    owner = f"{socket.gethostname()}:{bridge.proc.pid}"
    chance = random.Random()
    for _ in range(2000):
        bridge.freeze()
        held = _rows(
            dsn,
            "SELECT id, lease_until - updated_at AS lease FROM sms_jobs"
            " WHERE state = 'sending' AND lease_owner = %s",
            owner,
        )
        handed = {line["job_id"] for line in read_journal(journal)}
        checking = set(_CHECKING.findall(bridge.log_text()))
        waiting = [row for row in held if row["id"] not in handed]
        claimed = {
            row["id"]
            for row in waiting
            if row["lease"] < LEASE + 1e-4 and row["id"] not in checking
        }
        if claimed and len(claimed) == len(waiting):
            return claimed

        bridge.thaw()
        time.sleep(chance.uniform(0.005, 0.05))
    raise AssertionError("the bridge was never caught holding a claimed job not yet sent")


def test_a_bridge_frozen_past_its_lease_sends_nothing_twice(tmp_path: Path) -> None:
    journal = tmp_path / "provider" / "sent.jsonl"
    with postgres_schema() as dsn:
        frozen, other = (
            BridgeProcess(
                tmp_path / name,
                store={"backend": "postgres", "dsn": dsn, "pool_size": 4},
                bridge={"log_level": "DEBUG"},
                provider={"name": "sandbox"},
                queue={"workers": 4, "lease_seconds": LEASE, "poll_seconds": 0.2},
                extra=f'[provider.sandbox]\njournal = "{journal}"\nlatency_seconds = 0.05\n',
            )
            for name in ("frozen", "other")
        )
        migrated = frozen.cli("migrate")
        assert migrated.returncode == 0, migrated.stderr
        feeder = Feeder(dsn)
        with frozen, other:
            feeder.thread.start()
            other.wait_until(lambda: len(read_journal(journal)) >= 200, what="sends under way")
            caught = _catch(frozen, dsn, journal)
            feeder.stop.set()
            feeder.thread.join(timeout=30)
            # Frozen for as long as the other bridge takes to send what the frozen one held.
            other.wait_until(
                lambda: caught <= {line["job_id"] for line in read_journal(journal)},
                timeout=120,
                what="the other bridge to send the frozen bridge's jobs",
            )
            frozen.thaw()
            other.wait_until(
                lambda: (
                    _rows(dsn, "SELECT count(*) AS n FROM sms_jobs WHERE state = 'sent'")[0]["n"]
                    == feeder.total
                ),
                timeout=120,
                what="every text to be sent",
            )
            time.sleep(1.0)  # what the woken bridge might still do, it has done by now
        sends = Counter(line["job_id"] for line in read_journal(journal))
        assert len(sends) == feeder.total
        twice = sorted(job_id for job_id, times in sends.items() if times > 1)
        assert twice == [], f"{len(twice)} sent twice, of {len(caught)} caught: {twice[:10]}"
        log = frozen.log_text()
        for job_id in caught:  # each one was left alone by the bridge that woke up
            assert f"job {job_id}: not sent, but its lease has passed to another worker" in log
