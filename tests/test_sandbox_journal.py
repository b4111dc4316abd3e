"""The sandbox's journal is its memory of what it sent: a send answers only once its line is
on disk, and texts sent together share one flush rather than queueing for one each."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from bridge.models import OutboundSms
from bridge.providers.sandbox.client import SandboxProvider
from bridge.providers.sandbox.settings import SandboxSettings


async def test_a_send_answers_after_a_flush_that_covers_its_line_and_flushes_are_shared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = tmp_path / "sent.jsonl"
    flushed: list[int] = []  # for each finished flush: the lines the file held when it began
    real_fsync = os.fsync

    def slow_fsync(fd: int) -> None:
        lines = journal.read_bytes().count(b"\n")
        time.sleep(0.01)  # a disk flush takes a while; more texts are written meanwhile
        real_fsync(fd)
        flushed.append(lines)

    monkeypatch.setattr(os, "fsync", slow_fsync)
    provider = SandboxProvider(SandboxSettings(), journal=journal)

    async def send(n: int) -> tuple[int, int]:
        await asyncio.sleep(n * 0.001)  # texts arrive one after another, as a worker sends
        sms = OutboundSms(job_id=f"job-{n}", to="+447700900123", sender="ExampleCo", text="Hi")
        await provider.send(sms)
        durable = max(flushed, default=0)
        rows = journal.read_text().splitlines()
        return next(i for i, row in enumerate(rows, 1) if f'"job-{n}"' in row), durable

    answers = await asyncio.gather(*(send(n) for n in range(40)))
    assert all(line <= durable for line, durable in answers)  # on disk before it answered
    assert len(journal.read_text().splitlines()) == 40
    assert 1 < len(flushed) < 20  # shared: far fewer flushes than texts
