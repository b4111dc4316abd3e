"""The spend caps' read made for every text, against a team's history of quarter hours.

A spend cap on a team (``match = "example.com"``) sums the segments every author of the
team sent this month and today, from ``spend_counts``: one row per author, country and
quarter hour in which they sent anything, kept for ``store.retention_days``. This fills a
SQLite store with the rows of ``--authors`` authors, each sending in ``--slots`` quarter
hours of each of the last ``--days`` days, and times the read (the store's own statement, on
a connection of its own) for the team and for one author. It runs on the code before schema
version 25 as well (quarter hours only), which is how the figures before it were measured.

    .venv/bin/python bench/spend_caps.py --authors 50 --days 90 --slots 32
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import harness  # noqa: F401  (puts the repository on the path)

from bridge.store import ops_caps
from bridge.store.migrations import migrate_sqlite
from bridge.store.ops_counts import SLOT_SECONDS
from bridge.store.queries import Q
from bridge.store.sqlite_writer import connect

_NOW = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # late in a month: its most to sum


def _fill(conn, authors: int, days: int, slots: int) -> int:  # type: ignore[no-untyped-def]
    """The rows the store writes as texts are stored (``ops_counts.counted``): a quarter
    hour's, and its UTC day's where the schema has days (not before version 25)."""
    quarters = [
        (f"author{a}@example.com", "com.example.", "GB", start + s * SLOT_SECONDS, 1)
        for a in range(authors)
        for d in range(days)
        for start in [(_NOW - timedelta(days=d)).replace(hour=8).timestamp()]
        for s in range(slots)
    ]
    conn.execute("BEGIN")
    conn.executemany(Q.spend.text, quarters)
    if hasattr(Q, "spend_day"):
        conn.executemany(
            Q.spend_day.text, [(*row[:3], row[3] // 86400 * 86400, 1) for row in quarters]
        )
    conn.execute("COMMIT")
    return len(quarters)


def _timed(conn, who: str, reads: int) -> float:  # type: ignore[no-untyped-def]
    day = _NOW.replace(hour=0).timestamp()
    month = _NOW.replace(day=1, hour=0).timestamp()
    times = []
    for _ in range(reads):
        statement = next(ops_caps.spent(who, month, day))
        start = time.perf_counter()
        conn.execute(statement.text, statement.args).fetchall()
        times.append((time.perf_counter() - start) * 1e6)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--authors", type=int, default=50)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--slots", type=int, default=32, help="quarter hours a day with texts")
    parser.add_argument("--reads", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="smsbridge-spend-") as tmp:
        conn = connect(Path(tmp) / "bridge.db")
        migrate_sqlite(conn)
        rows = _fill(conn, args.authors, args.days, args.slots)
        for who in ("example.com", "author0@example.com"):
            print(
                f"{who}: {_timed(conn, who, args.reads):.0f} µs a read"
                f" ({args.authors} authors, {rows} rows of quarter hours, p50 of {args.reads})"
            )
        conn.close()


if __name__ == "__main__":
    main()
