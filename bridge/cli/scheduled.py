"""``smsbridge scheduled``: the texts that wait for their send-at time, and cancelling them.

``scheduled`` lists them (numbers masked, times in their author's zone), earliest first;
``scheduled cancel ID`` cancels one text and ``scheduled cancel --batch TOKEN`` every text
of one email's batch, as the author's CANCEL reply would. A text a provider may already have
(being sent, or sent) is never cancelled, and the command says so.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, datetime
from typing import Any

from bridge.cli.common import EXIT_FAILED, opened_store, read_settings
from bridge.parsing.numbers import mask
from bridge.parsing.send_at import when_local

__all__ = ["cmd_scheduled", "cmd_scheduled_cancel", "format_scheduled"]


def cmd_scheduled(args: argparse.Namespace) -> int:
    settings = read_settings(args.config)
    state = None if args.all else "queued"

    async def listed() -> list[dict[str, Any]]:
        async with opened_store(settings) as store:
            return await store.scheduled(state=state, limit=args.limit)

    rows = asyncio.run(listed())
    if args.json:
        for row in rows:
            print(json.dumps(_shown(row)))
    else:
        print(format_scheduled(rows))
    return 0


def cmd_scheduled_cancel(args: argparse.Namespace) -> int:
    settings = read_settings(args.config)
    now = datetime.now(UTC)

    async def cancel() -> tuple[int, str]:
        async with opened_store(settings) as store:
            if args.batch:
                token = args.batch.lower().partition("@")[0].removeprefix("batch-")
                batch = await store.batch(token)
                if batch is None:
                    return EXIT_FAILED, f"No batch has the token {args.batch}."
                done = await store.cancel_batch(str(batch["id"]), now=now)
                return 0, f"{done.now} cancelled; {done.gone} already sent or being sent."
            if await store.cancel_sms(args.id, now=now):
                return 0, f"{args.id} cancelled."
            return EXIT_FAILED, f"{args.id} is not waiting to be sent: nothing was cancelled."

    code, said = asyncio.run(cancel())
    print(said)
    return code


def _shown(row: dict[str, Any]) -> dict[str, str]:
    when = datetime.fromtimestamp(float(row["next_attempt_at"]), UTC)
    return {
        "id": str(row["id"]),
        "to": mask(str(row["to_number"])),
        "when": when_local(when, str(row["zone"]), year=True),
        "author": str(row["author"]),
        "state": str(row["state"]),
        "batch": str(row["token"]),
    }


def format_scheduled(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "No scheduled texts."
    lines = [f"{'ID':<28} {'TO':<16} {'WHEN':<34} {'STATE':<10} AUTHOR"]
    for row in map(_shown, rows):
        lines.append(
            f"{row['id']:<28} {row['to']:<16} {row['when']:<34} {row['state']:<10} {row['author']}"
        )
    return "\n".join(lines)
