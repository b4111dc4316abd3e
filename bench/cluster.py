"""Ingest and dispatch with one and two bridges on PostgreSQL, next to one bridge on SQLite.

For each set-up it runs real ``smsbridge run`` processes (sandbox provider, 16 workers each,
sharing one sandbox journal as two bridges would share one provider account):

- ingest: 20 parallel SMTP sessions (this script's asyncio client from ``bench/ingest.py``),
  split evenly between the bridges, 5,000 emails; emails/s until the last 250;
- dispatch: 10,000 jobs written to the store before the bridges start (a full queue), then
  jobs/s from the first text the sandbox records to the last, by the journal's timestamps.

PostgreSQL is the database in $SMSBRIDGE_TEST_DSN (default: the local test database), in a
scratch schema per run, migrated with ``smsbridge migrate``.

    .venv/bin/python bench/cluster.py [--emails 5000] [--jobs 10000] [--setups sqlite,postgres]

``--setups`` picks some of ``sqlite``, ``postgres`` (one bridge) and ``postgres2`` (two);
``--emails 0`` measures dispatch alone.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from harness import QUEUE, fill_queue, running, scratch_schema, wait_journal, write_config
from ingest import python_client


def _config(folder: Path, journal: Path, store: str) -> tuple[Path, int]:
    sandbox = f'[provider]\nname = "sandbox"\n[provider.sandbox]\njournal = "{journal}"\n'
    path, smtp, _ = write_config(folder, f"[store]\n{store}\n{QUEUE}{sandbox}")
    return path, smtp


@contextmanager
def _bridges(configs: list[tuple[Path, int]]) -> Iterator[list[int]]:
    with ExitStack() as stack:
        for config, port in configs:
            stack.enter_context(running(config, port))
        yield [port for _, port in configs]


async def _ingest(ports: list[int], emails: int, sessions: int) -> float:
    share = [emails // len(ports) + (i < emails % len(ports)) for i in range(len(ports))]
    started = time.perf_counter()
    await asyncio.gather(
        *(
            python_client(port, n, sessions // len(ports))
            for port, n in zip(ports, share, strict=True)
        )
    )
    return emails / (time.perf_counter() - started)


SETUPS = {"sqlite": ("sqlite", 1), "postgres": ("postgres", 1), "postgres2": ("postgres", 2)}


def run(setup: str, bridges: int, emails: int, jobs: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory(prefix="smsbridge-bench-") as tmp, _maybe_schema(setup) as dsn:
        root = Path(tmp)
        store = 'backend = "postgres"\n' + f'dsn = "{dsn}"' if dsn else ""
        journal = root / "sent.jsonl"
        configs = [_config(root / f"b{i}", journal, store) for i in range(bridges)]
        if dsn:
            subprocess.run(
                [sys.executable, "-m", "bridge", "migrate", "--config", str(configs[0][0])],
                check=True,
                capture_output=True,
            )
        ingest = 0.0
        if emails:
            with _bridges(configs) as ports:
                ingest = asyncio.run(_ingest(ports, emails, 20))
                wait_journal(journal, emails)
        asyncio.run(fill_queue(configs[0][0], jobs))
        with _bridges(configs):
            lines = wait_journal(journal, emails + jobs)[emails:]
        stamps = sorted(line["at"] for line in lines)
        return ingest, (len(stamps) - 1) / (stamps[-1] - stamps[0])


@contextmanager
def _maybe_schema(setup: str) -> Iterator[str | None]:
    if setup == "sqlite":
        yield None
        return
    with scratch_schema() as dsn:
        yield dsn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=5000)
    parser.add_argument("--jobs", type=int, default=10000)
    parser.add_argument("--setups", default=",".join(SETUPS), help="of " + ", ".join(SETUPS))
    args = parser.parse_args()
    for setup, bridges in (SETUPS[name] for name in args.setups.split(",")):
        ingest, dispatch = run(setup, bridges, args.emails, args.jobs)
        print(
            f"{setup:8} x{bridges}: ingest {ingest:5.0f} emails/s, dispatch {dispatch:5.0f} jobs/s"
        )


if __name__ == "__main__":
    main()
