"""``smsbridge thread NUMBER``: a customer's conversations, both ways, as staff saw them.

One block per number of the bridge the customer texted or was texted from: who owns the
conversation, whether it is live, and its texts with their times and authors. The number is
the one the admin typed, so it is shown whole; the texts are shown because reading them is
what the command is for (it writes to the terminal, never to the log).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, datetime, timedelta

from bridge.cli.common import opened_store, read_settings
from bridge.cli.where import UsageError
from bridge.errors import InvalidNumber
from bridge.models import Conversation
from bridge.parsing.numbers import display_number, named, parse_number
from bridge.settings.root import Settings
from bridge.store.threads import Thread, name_of, threads_of

__all__ = ["cmd_thread", "format_threads"]


def cmd_thread(args: argparse.Namespace) -> int:
    settings = read_settings(args.config)
    try:
        customer = parse_number(args.number, default_region=settings.smtp.default_region)
    except InvalidNumber as exc:
        raise UsageError(f"NUMBER: {exc.reason}") from None

    async def read() -> tuple[str, list[Thread]]:
        async with opened_store(settings) as store:
            found = await threads_of(
                store, customer, numbers=_numbers(settings), since=_kept(settings), limit=args.limit
            )
            return await name_of(store, customer), found

    now = datetime.now(UTC)
    name, threads = asyncio.run(read())
    if args.json:
        for thread in threads:
            print(json.dumps(_json(thread, settings, now), ensure_ascii=False))
        return 0
    print(format_threads(named(customer, name), threads, settings, now=now))
    return 0


def _numbers(settings: Settings) -> tuple[str, ...]:
    return tuple(n.number for n in settings.numbers)


def _kept(settings: Settings) -> datetime:
    """Since when texts are kept (``store.retention_days``; 0 keeps everything)."""
    return datetime.now(UTC) - timedelta(days=settings.store.retention_days or 36500)


def format_threads(
    customer: str, threads: list[Thread], settings: Settings, *, now: datetime
) -> str:
    """``customer`` as staff see them (``named``), with each conversation and its texts."""
    if not threads:
        return f"No texts with {customer} are stored."
    blocks = []
    for number, conversation, texts in threads:
        lines = [f"{customer} and {display_number(number)}: {_state(conversation, settings, now)}"]
        for entry in texts:
            who = customer if entry.inbound else entry.author or "the bridge"
            arrow = "<-" if entry.inbound else "->"
            lines.append(f"  {entry.at:%Y-%m-%d %H:%M} UTC {arrow} {who}: {entry.text}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _state(conversation: Conversation | None, settings: Settings, now: datetime) -> str:
    if conversation is None:
        return "no conversation (nobody has texted them from this number)"
    days = settings.inbound.conversation_days
    live = "live" if conversation.live_at(now, days) else "ended"
    if conversation.closed_at is not None:
        live = f"closed {conversation.closed_at:%Y-%m-%d %H:%M} UTC"
    return f"{live}, owned by {conversation.author} (conversation {conversation.id or '-'})"


def _json(thread: Thread, settings: Settings, now: datetime) -> dict[str, object]:
    number, conversation, texts = thread
    return {
        "reply_number": number,
        "conversation": None
        if conversation is None
        else {
            "id": conversation.id or None,
            "owner": conversation.author,
            "live": conversation.live_at(now, settings.inbound.conversation_days),
            "closed_at": conversation.closed_at.isoformat() if conversation.closed_at else None,
        },
        "texts": [
            {
                "at": e.at.isoformat(),
                "direction": "in" if e.inbound else "out",
                "author": e.author or None,
                "text": e.text,
                "state": e.state or None,
            }
            for e in texts
        ],
    }
