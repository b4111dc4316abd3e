"""The outbound chain's own cost per text, in the process: no SMTP, no provider, no client.

The ingest benchmark (``bench/ingest.py``) measures what a sender sees, but on a 2-core
machine its emails/s move by a fifth between runs with whatever else runs beside it. This
one isolates what the guard rails add: it stores ``--texts`` texts through the real store
(SQLite in a temporary folder, or a scratch schema of the PostgreSQL database at
``--dsn``) to ``--numbers`` recipients, so that the caps have history to count, then times
``Gate.decide`` (the envelope and content stages, as the SMTP edge runs them) for
``--measured`` texts more, each stored as it is decided, in the same settings as
``bench/ingest.py --rules``.

    .venv/bin/python bench/chain.py --rules none
    .venv/bin/python bench/chain.py --rules all

It prints microseconds per text: wall time and this thread's CPU time, mean and p50.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

from harness import QUEUE, scratch_schema, write_config
from ingest import RULES

from bridge.chain.gate import job
from bridge.chain.request import OutboundRequest, Source
from bridge.cli.common import read_settings
from bridge.clock import system_clock
from bridge.components import build_gate, build_limiter
from bridge.settings.load import Purpose
from bridge.store.factory import open_store

_TEXT = "Benchmark text number {i}: your order is ready for collection."


async def _run(config: Path, texts: int, numbers: int, measured: int) -> None:
    settings = read_settings(config, Purpose.SERVE)
    store = open_store(settings)
    await store.migrate()  # PostgreSQL's schema before it opens (SQLite's as it opens)
    await store.open()
    try:
        gate = build_gate(settings, store, build_limiter(settings, store))
        await _fill(gate, store, texts, numbers)
        wall, cpu = await _measure(gate, store, texts, numbers, measured)
    finally:
        await store.close()
    print(
        f"chain per text: wall mean {statistics.fmean(wall):.0f} µs,"
        f" p50 {statistics.median(wall):.0f} µs; CPU mean {statistics.fmean(cpu):.0f} µs"
    )


async def _decide(gate, i: int, numbers: int):  # type: ignore[no-untyped-def]
    request = OutboundRequest(
        source=Source.EMAIL,
        author="alice@example.com",
        to_number=f"+4477009{i % numbers:05d}",
        text=_TEXT.format(i=i),
        subject="bench",
    )
    return await gate.decide(request, at=system_clock())


async def _store(store, decision, i: int) -> None:  # type: ignore[no-untyped-def]
    if decision.accepted:
        made = job(decision, idempotency_key=f"bench-{i}", message_id=f"<bench-{i}@example.com>")
        await store.enqueue_sms([made], now=system_clock())


async def _fill(gate, store, texts: int, numbers: int) -> None:  # type: ignore[no-untyped-def]
    for i in range(texts):
        await _store(store, await _decide(gate, i, numbers), i)


async def _measure(gate, store, start: int, numbers: int, measured: int):  # type: ignore[no-untyped-def]
    wall, cpu = [], []
    for i in range(start, start + measured):
        w, c = time.perf_counter(), time.thread_time()
        decision = await _decide(gate, i, numbers)
        cpu.append((time.thread_time() - c) * 1e6)
        wall.append((time.perf_counter() - w) * 1e6)
        await _store(store, decision, i)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", choices=sorted(RULES), default="all")
    parser.add_argument("--texts", type=int, default=10_000)
    parser.add_argument("--numbers", type=int, default=1_000)
    parser.add_argument("--measured", type=int, default=5_000)
    parser.add_argument("--dsn", default="", help="a PostgreSQL DSN instead of SQLite")
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="smsbridge-chain-") as tmp,
        scratch_schema(args.dsn) if args.dsn else nullcontext("") as dsn,
    ):
        extra = QUEUE + RULES[args.rules]
        if dsn:
            extra += f'[store]\nbackend = "postgres"\ndsn = "{dsn}"\n'
        config, _, _ = write_config(Path(tmp), extra)
        asyncio.run(_run(config, args.texts, args.numbers, args.measured))


if __name__ == "__main__":
    main()
