"""The opt-out read made at every RCPT TO, against a long suppression list.

With ``compliance.opt_out_scope = "organisation"`` (the default) every recipient of every
email is checked for an opt-out from any of the organisation's numbers: the customer's
latest row in ``suppressions``. An organisation that imports its old provider's opt-outs
(``smsbridge consent import``) can have a hundred thousand. This fills a SQLite store with
``--opt-outs`` of them and times the read (the store's own statement, on a connection of
its own) for a customer who is not on the list, with the schema's index and without it.

    .venv/bin/python bench/opt_outs.py --opt-outs 100000
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import harness  # noqa: F401  (puts the repository on the path)

from bridge.store import ops_consent
from bridge.store.migrations import migrate_sqlite
from bridge.store.sqlite_writer import connect


def _timed(conn, statement, reads: int) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(reads):
        start = time.perf_counter()
        conn.execute(statement.text, statement.args).fetchall()
        times.append((time.perf_counter() - start) * 1e6)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opt-outs", type=int, default=100_000)
    parser.add_argument("--reads", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="smsbridge-opt-outs-") as tmp:
        conn = connect(Path(tmp) / "bridge.db")
        migrate_sqlite(conn)
        conn.execute("BEGIN")
        rows = ((f"+4477{n:08d}", float(n)) for n in range(args.opt_outs))
        conn.executemany("INSERT INTO suppressions VALUES ('*', ?, ?)", rows)
        conn.execute("COMMIT")
        for scope, reply_number in (("organisation", None), ("number", "+447700900100")):
            statement = next(ops_consent.suppression("+447700900123", reply_number))
            indexed = statistics.median(_timed(conn, statement, args.reads))
            conn.execute("DROP INDEX suppressions_customer")
            scanned = statistics.median(_timed(conn, statement, args.reads))
            conn.execute(
                "CREATE INDEX suppressions_customer ON suppressions (customer_number, since)"
            )
            print(
                f"{scope} scope, {args.opt_outs} opt-outs: {indexed:.1f} µs a read with the index"
                f" (schema version 24), {scanned:.1f} µs without it (p50 of {args.reads})"
            )
        conn.close()


if __name__ == "__main__":
    main()
