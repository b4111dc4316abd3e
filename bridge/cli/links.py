"""``smsbridge links report``: how often short links were clicked, by author, sender number
and category (the campaign), over texts made since a time.

The click-through rate is the share of texts with links whose links a person clicked at
least once; requests by link previews and scanners are shown apart and never counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bridge.cli.common import opened_store, read_settings
from bridge.cli.listings import parse_since

__all__ = ["cmd_links_report", "format_report", "grouped"]

_KEYS: dict[str, tuple[str, ...]] = {
    "author": ("author",),
    "sender": ("sender",),
    "category": ("category",),
    "all": ("author", "sender", "category"),
}


def cmd_links_report(args: argparse.Namespace) -> int:
    settings = read_settings(args.config)
    since = parse_since(args.since, now=datetime.now(UTC))

    async def read() -> list[dict[str, Any]]:
        async with opened_store(settings) as store:
            return await store.link_report(since=since)

    rows = grouped(asyncio.run(read()), by=_KEYS[args.by])
    if args.json:
        print("\n".join(json.dumps(row, ensure_ascii=False) for row in rows))
    else:
        print(format_report(rows, by=_KEYS[args.by], since=since))
    return 0


def grouped(rows: Sequence[dict[str, Any]], *, by: Sequence[str]) -> list[dict[str, Any]]:
    """The store's rows (by author, sender and category) added up by ``by``, with the rate."""
    totals: dict[tuple[str, ...], dict[str, Any]] = {}
    for row in rows:
        key = tuple(str(row[name]) for name in by)
        total = totals.setdefault(
            key,
            {
                **dict(zip(by, key, strict=True)),
                "texts": 0,
                "clicked": 0,
                "clicks": 0,
                "not_counted": 0,
            },
        )
        for name in ("texts", "clicked", "clicks", "not_counted"):
            total[name] += int(row[name])
    for total in totals.values():
        total["click_through"] = (
            round(total["clicked"] / total["texts"], 4) if total["texts"] else 0.0
        )
    return [totals[key] for key in sorted(totals)]


def format_report(rows: Sequence[dict[str, Any]], *, by: Sequence[str], since: datetime) -> str:
    if not rows:
        return f"No texts with short links since {since:%Y-%m-%d %H:%M} UTC."
    widths = [max(len(name), *(len(str(row[name])) for row in rows)) for name in by]
    head = "  ".join(f"{name:<{w}}" for name, w in zip(by, widths, strict=True))
    lines = [f"{head}  texts  clicked  rate    clicks  not counted"]
    for row in rows:
        cells = "  ".join(f"{row[name]:<{w}}" for name, w in zip(by, widths, strict=True))
        lines.append(
            f"{cells}  {row['texts']:>5}  {row['clicked']:>7}  {row['click_through']:>6.1%}"
            f"  {row['clicks']:>6}  {row['not_counted']:>11}"
        )
    return "\n".join(lines)
