"""The ``sandbox`` provider: sends nothing, records everything, fails when told to.

It lets an admin try the whole bridge without a provider account, and lets tests see exactly
what a phone would have received. Each accepted send is appended to a journal (JSON lines,
fsynced before the answer) so that, like a real provider, it remembers a text even if the
bridge dies before recording the answer; ``find_sent`` reads that memory back.

Fail rules come from ``[[providers.NAME.fail]]`` (or ``[[provider.sandbox.fail]]``): a number
pattern where ``*`` stands for any digits, permanent or temporary, and for temporary ones how
many attempts fail.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import time
from collections import Counter
from pathlib import Path

from bridge.errors import PermanentFailure, TemporaryFailure
from bridge.models import OutboundSms, SendResult
from bridge.providers.sandbox.settings import SandboxFailRule, SandboxSettings

__all__ = ["SandboxProvider"]


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(r"\d*" if ch == "*" else re.escape(ch) for ch in pattern))


class _Journal:
    """An append-only file of sends; one line per text, synced to disk before it counts.

    Several bridges sharing one store may share one journal (as they would share one provider
    account): lookups first read whatever lines other processes have appended since.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._by_job: dict[str, str] = {}
        self._read_up_to = 0
        self._fd: int | None = None
        self._written = 0  # lines this process appended
        self._synced = 0  # of which known to be on disk
        self._syncing: asyncio.Future[None] | None = None  # the flush in progress

    def message_id(self, job_id: str) -> str | None:
        self._catch_up()
        return self._by_job.get(job_id)

    def _catch_up(self) -> None:
        try:
            with self._path.open("rb") as journal:
                journal.seek(self._read_up_to)
                new = journal.read()
        except FileNotFoundError:
            return
        complete = new[: new.rfind(b"\n") + 1]  # a line being written is read next time
        for line in complete.decode("utf-8").splitlines():
            if line.strip():
                entry = json.loads(line)
                self._by_job[entry["job_id"]] = entry["message_id"]
        self._read_up_to += len(complete)

    async def append(self, sms: OutboundSms, message_id: str) -> None:
        """Write the text's line, then wait for a flush to disk that began after it: the
        line goes in at once, on the loop (an appended line costs less than handing it to a
        thread), and the one flush in progress carries every line written before it began."""
        line = json.dumps(
            {
                "job_id": sms.job_id,
                "message_id": message_id,
                "to": sms.to,
                "sender": sms.sender,
                "text": sms.text,
                "at": time.time(),
            },
            ensure_ascii=False,
        )
        if self._fd is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        os.write(self._fd, (line + "\n").encode())
        self._written += 1
        mine = self._written
        self._by_job[sms.job_id] = message_id
        while self._synced < mine:
            if self._syncing is None:
                self._syncing = asyncio.ensure_future(self._sync(self._fd))
            await asyncio.shield(self._syncing)

    async def _sync(self, fd: int) -> None:
        """One fsync for every line written before it began (a group commit)."""
        try:
            written = self._written
            await asyncio.to_thread(os.fsync, fd)
            self._synced = max(self._synced, written)
        finally:
            self._syncing = None


class SandboxProvider:
    """``bridge.providers.base.Provider`` that keeps texts in a journal instead of sending them."""

    def __init__(
        self, settings: SandboxSettings, *, journal: Path | None = None, name: str = "sandbox"
    ) -> None:
        self.name = name
        self._rules = [(_compile(rule.pattern), rule) for rule in settings.fail]
        self._latency = settings.latency_seconds
        self._journal = _Journal(journal) if journal is not None else None
        self._failures: Counter[str] = Counter()
        self.sent: list[OutboundSms] = []

    async def send(self, sms: OutboundSms) -> SendResult:
        rule = self._rule_for(sms.to)
        if rule is not None:
            self._refuse(sms, rule)
        message_id = "SB" + secrets.token_hex(16)
        if self._journal is not None:
            await self._journal.append(sms, message_id)
        self.sent.append(sms)
        if self._latency:
            await asyncio.sleep(self._latency)  # the answer is "on the wire" meanwhile
        return SendResult(provider_message_id=message_id)

    async def find_sent(self, sms: OutboundSms) -> SendResult | None:
        found = self._journal.message_id(sms.job_id) if self._journal is not None else None
        return SendResult(provider_message_id=found) if found else None

    def _rule_for(self, number: str) -> SandboxFailRule | None:
        for pattern, rule in self._rules:
            if pattern.fullmatch(number):
                return rule
        return None

    def _refuse(self, sms: OutboundSms, rule: SandboxFailRule) -> None:
        if rule.kind == "permanent":
            raise PermanentFailure(rule.reason, code="sandbox-permanent")
        if rule.times is None or self._failures[sms.job_id] < rule.times:
            self._failures[sms.job_id] += 1
            raise TemporaryFailure(rule.reason, code="sandbox-temporary")
