"""Several writers on one SQLite file, as the SMTP listener processes of ``smtp.processes``
and the main process are: every operation committed, still in groups, and a writer that
finds the database locked waits for it rather than failing."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

from bridge.store.sqlite_writer import SqliteWriter, connect


def _writers(path: Path, count: int) -> list[SqliteWriter]:
    setup = connect(path)
    setup.execute("CREATE TABLE IF NOT EXISTS t (writer INTEGER, n INTEGER)")
    setup.close()
    writers = [
        SqliteWriter(connect(path), turn=path.with_name(path.name + "-writer"))
        for _ in range(count)
    ]
    for writer in writers:
        writer.start()
    return writers


async def test_two_writers_commit_every_operation_in_groups(tmp_path: Path) -> None:
    path = tmp_path / "bridge.db"
    writers = _writers(path, 2)
    try:

        async def insert(w: int, n: int) -> None:
            def op(conn: sqlite3.Connection) -> None:
                conn.execute("INSERT INTO t VALUES (?, ?)", (w, n))

            await writers[w].run(op)

        await asyncio.gather(*(insert(n % 2, n) for n in range(600)))
    finally:
        for writer in writers:
            writer.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*), count(DISTINCT n) FROM t").fetchone() == (600, 600)
    for writer in writers:
        assert 0 < writer.commits < 300  # 300 operations each, committed in fewer groups


async def test_a_writer_waits_for_a_transaction_of_another_process(tmp_path: Path) -> None:
    """Another program (an older bridge's command, say) holds the write lock for 0.5 s: the
    writer's commit waits for it (``busy_timeout``) and then succeeds."""
    path = tmp_path / "bridge.db"
    [writer] = _writers(path, 1)
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t VALUES (9, 9)")
    threading.Timer(0.5, lambda: other.execute("COMMIT")).start()
    began = time.monotonic()
    try:
        await writer.run(lambda conn: conn.execute("INSERT INTO t VALUES (1, 1)"))
    finally:
        writer.close()
        waited = time.monotonic() - began
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (2,)
    assert waited >= 0.4
    other.close()
