"""Emails to a batch's control address (``batch-<token>@…``): its author's commands.

A batch's confirmation is sent with this address as its Reply-To, so pressing Reply and
writing CANCEL cancels the batch's texts. At RCPT TO the address must name a batch that
exists and has not expired (else 550 5.1.1), and the sender must be its author, by their
login or their allowed envelope sender, as for any email to the bridge (else 550 5.7.1). At
DATA the reply's new text (quoted history and signature removed, ``bridge.parsing.reply``) is
read for its first word in the keywords' normal form, and dispatched by that word: CANCEL,
and SEND for a bulk send's preview (every text it holds queued in one statement). The 250
says what was done, in words.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from bridge.clock import Clock
from bridge.errors import Refused
from bridge.inbound.intake import parse_message
from bridge.parsing.keywords import first_word
from bridge.parsing.message import TextOptions, extract_text
from bridge.store.base import Store

__all__ = ["ControlDesk"]

log = logging.getLogger(__name__)

_UNKNOWN = (
    "550 5.1.1 This address names no batch of texts the bridge knows, or one whose texts"
    " have all long gone: check that you replied to the bridge's confirmation."
)
_NOT_YOURS = (
    "550 5.7.1 Only the author of these texts may act on them: reply from the address (or"
    " login) that sent the email."
)
_WHICH = (
    "The bridge did not find a command in your reply: write CANCEL (alone, above the quoted"
    " email) to cancel the texts it confirmed, or SEND to send a bulk send it previewed."
)
_NOT_HELD = {
    "received": "The preview of this bulk send is not ready yet: reply SEND to the preview"
    " once it has come.",
    "cancelled": "This bulk send was cancelled, so it cannot be sent: send the file again to"
    " start a new one.",
    "failed": "This bulk send's file could not be used, so nothing can be sent: correct the"
    " file and send it again.",
}

# SEND that comes while the previewed texts are still being stored waits this long for them,
# looking every _STORING_POLL seconds; after it, 451 (the author's mail program tries again).
STORING_WAIT = 30.0
_STORING_POLL = 0.1
_STORING = (
    "The texts of this bulk send are still being stored after its preview: your mail"
    " program will send SEND again shortly, or reply SEND again in a minute."
)

Command = Callable[[dict[str, Any], datetime], Awaitable[str]]


class ControlDesk:
    """Check a control address at RCPT TO; carry out the command at DATA."""

    def __init__(
        self,
        *,
        store: Store,
        clock: Clock,
        queued: Callable[[], None] = lambda: None,
        opt_out_everywhere: bool = True,
    ) -> None:
        """``opt_out_everywhere``: ``compliance.opt_out_scope`` is the organisation's (a STOP
        since a bulk send's preview stops its text at SEND)."""
        self._everywhere = opt_out_everywhere
        self._store = store
        self._clock = clock
        self._queued = queued  # wakes the SMS worker after SEND
        self._commands: dict[str, Command] = {"cancel": self._cancel, "send": self._send}

    async def refusal(self, token: str, author: str) -> str | None:
        """Why ``author`` may not write to this control address, as an SMTP reply; or None."""
        batch = await self._live(token)
        if batch is None:
            return _UNKNOWN
        if str(batch["author"]) != author.lower():
            return _NOT_YOURS
        return None

    async def handle(self, token: str, author: str, content: bytes) -> str:
        """Carry out the command written in ``content``; the SMTP reply (or ``Refused``)."""
        refusal = await self.refusal(token, author)
        if refusal is not None:
            code, status, reason = refusal.split(" ", 2)
            raise Refused(int(code), status, reason)
        batch = await self._live(token)
        assert batch is not None
        text = extract_text(parse_message(content), options=TextOptions())
        command = self._commands.get(first_word(text))
        if command is None:
            raise Refused(550, "5.6.0", _WHICH)
        return await command(batch, self._clock())

    async def _live(self, token: str) -> dict[str, Any] | None:
        batch = await self._store.batch(token) if token else None
        if batch is None or float(batch["expires_at"]) <= self._clock().timestamp():
            return None
        return batch

    async def _cancel(self, batch: dict[str, Any], now: datetime) -> str:
        done = await self._store.cancel_batch(str(batch["id"]), now=now)
        log.info("batch %s: %d text(s) cancelled by its author", batch["id"], done.now)
        said = [f"{done.now} {_texts(done.now)} cancelled"]
        if done.before:
            said.append(f"{done.before} cancelled before")
        if done.gone:
            said.append(f"{done.gone} already sent or being sent")
        if done.other:
            said.append(f"{done.other} failed or being retried")
        return f"250 2.0.0 {'; '.join(said)}."

    async def _send(self, batch: dict[str, Any], now: datetime) -> str:
        """SEND: a previewed bulk send's held texts, queued."""
        if batch["kind"] != "bulk":
            raise Refused(
                550,
                "5.6.0",
                "SEND sends a bulk send after its preview; these texts"
                " were already confirmed and go at their time (CANCEL stops them).",
            )
        batch = await self._stored(batch)
        done = await self._store.send_held(
            str(batch["id"]), now=self._clock(), everywhere=self._everywhere
        )
        if done is None:
            state = str(batch["state"])
            if state == "received":
                raise Refused(451, "4.3.0", _STORING)
            if state == "open":
                return "250 2.0.0 Already sent: its texts were queued before."
            raise Refused(550, "5.6.0", _NOT_HELD.get(state, _NOT_HELD["received"]))
        queued, stopped = done
        self._queued()
        log.info("batch %s: %d held text(s) queued by SEND", batch["id"], queued)
        also = f"; {stopped:,} not sent, opted out since the preview" if stopped else ""
        return f"250 2.0.0 {queued:,} {_texts(queued)} queued{also}."

    async def _stored(self, batch: dict[str, Any]) -> dict[str, Any]:
        """A bulk send whose preview went out while its texts are still being stored (its
        batch still 'received', ``bridge.workers.bulk``): as it stands once they are, or
        after ``STORING_WAIT`` seconds. A send of 100,000 rows takes a few seconds."""
        deadline = time.monotonic() + STORING_WAIT
        while batch["state"] == "received" and time.monotonic() < deadline:
            await asyncio.sleep(_STORING_POLL)
            batch = await self._store.batch(str(batch["token"])) or batch
        return batch


def _texts(n: int) -> str:
    return "text" if n == 1 else "texts"
