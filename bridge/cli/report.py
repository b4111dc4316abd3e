"""``smsbridge report``: what became of the texts of a period, by team, sender, provider or
country, as a table, JSON or CSV (``bridge.reports``)."""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime

from bridge.cli.common import opened_store, read_settings
from bridge.cli.listings import parse_since
from bridge.cli.where import UsageError
from bridge.clock import system_clock
from bridge.reports.data import Key
from bridge.reports.figures import Report, compute
from bridge.reports.render import as_csv, as_json, as_table
from bridge.settings.root import Settings

__all__ = ["cmd_report", "make_report"]


def cmd_report(args: argparse.Namespace) -> int:
    settings = read_settings(args.config)
    now = system_clock()
    start = _time("--since", args.since, now)
    end = _time("--until", args.until, now) if args.until else now
    if end <= start:
        raise UsageError(
            f"--until ({end:%Y-%m-%d %H:%M}) must be after --since ({start:%Y-%m-%d %H:%M})"
        )
    report = asyncio.run(make_report(settings, key=args.by, start=start, end=end))
    if args.csv:
        print(as_csv(report), end="")
    elif args.json:
        print(as_json(report))
    else:
        print(as_table(report))
    return 0


async def make_report(settings: Settings, *, key: Key, start: datetime, end: datetime) -> Report:
    async with opened_store(settings) as store:
        data = await store.report_data(key=key, start=start, end=end)
    compliance = settings.compliance
    return compute(data, prices=compliance.prices, currency=compliance.currency)


def _time(option: str, value: str, now: datetime) -> datetime:
    try:
        return parse_since(value, now=now)
    except UsageError:
        raise UsageError(
            f'{option} {value!r} is not a time: write "2026-12-01", "2026-12-01 09:00" (UTC'
            " unless an offset is given), or a while ago: 30m, 2h, 7d"
        ) from None
