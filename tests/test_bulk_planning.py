"""A bulk send's file planned a chunk at a time, in a child process (and, for small files, in
this one): the same plan as ``plan_rows``, duplicates found across chunks; a rebuilt
``Parsed`` answering as a parsed one; a file error, a dead child and a stop, both at the
planning's interface and through a running bridge's bulk worker."""

from __future__ import annotations

import asyncio
import csv
import gc
import io
import logging
import marshal
import multiprocessing
import os
from multiprocessing.process import BaseProcess
from pathlib import Path

import phonenumbers
import pytest
from phonenumbers import timezone as pn_timezone

from bridge.app import Bridge
from bridge.bulk.rows import BulkPlan, PlanParts, plan_rows
from bridge.bulk.table import BulkFileError, read_table
from bridge.models import JobState, SmsJob
from bridge.parsing import numbers
from bridge.parsing.numbers import Parsed
from bridge.parsing.placeholders import Template
from bridge.workers.bulk import _FULL_PASS_DEFERRED, BulkWorker
from bridge.workers.bulk_planner import SMALL_FILE, PlanningFailed, PlanRequest, planning
from tests.conftest import make_settings
from tests.support.bulk_mail import bulk_email
from tests.test_bulk_end_to_end import RULES, mail_about, mails, send, text_of

TEMPLATE = "Hi {first_name}, your order {order} is ready."
BIG = {"max_message_size": 4_000_000}  # an email with a file planned in a child


def customers(rows: int) -> bytes:
    """Distinct UK mobiles, except: 1 row in 600 repeats the number of a row 550 before it
    (in an earlier chunk of 500), 1 in 250 is too short, 1 in 333 has no first name."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(("Mobile", "first_name", "order"))
    for i in range(rows):
        number = f"07911 {i:06d}"
        if i % 600 == 599:
            number = f"07911 {i - 550:06d}"
        if i % 250 == 0:
            number = "07911 123"
        name = "" if i % 333 == 332 else f"Customer {i}"
        writer.writerow((number, name, f"A-{i}"))
    return out.getvalue().encode("cp1252")


async def planned_by(request: PlanRequest) -> tuple[BulkPlan, int]:
    """The plan as the worker gathers it, and how many chunks it came in."""
    async with planning(request) as planned:
        head = await planned.head()
        parts, chunks = PlanParts(), 0
        while (chunk := await planned.next()) is not None:
            parts.add(chunk)
            chunks += 1
    return parts.plan(head), chunks


def planners() -> list[BaseProcess]:
    return [p for p in multiprocessing.active_children() if p.name == "bulk-planner"]


async def a_planner(timeout: float = 20.0) -> BaseProcess:
    for _ in range(int(timeout / 0.01)):
        if found := planners():
            return found[0]
        await asyncio.sleep(0.01)
    raise AssertionError("no planning process was started")


async def all_held(bridge: Bridge, texts: int, timeout: float = 30.0) -> list[SmsJob]:
    """The bulk send's texts once ``texts`` of them are held: they are stored after the
    preview is."""
    async with asyncio.timeout(timeout):
        while True:
            stored = await bridge.store.recent_sms(limit=texts + 1)
            if len(stored) >= texts and {job.state for job in stored} == {JobState.HELD}:
                return stored
            await asyncio.sleep(0.05)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize("in_process", [False, True], ids=["child", "in-process"])
async def test_a_file_planned_in_chunks_is_the_plan_of_plan_rows(in_process: bool) -> None:
    data = customers(3000)
    expected = plan_rows(
        read_table(data, max_rows=10_000),
        Template(TEMPLATE),
        default_region="GB",
        keep=("first_name", "order"),
    )
    request = PlanRequest(
        data,
        TEMPLATE,
        "GB",
        max_rows=10_000,
        keep=("first_name", "order"),
        rows_a_chunk=500,
        in_process=in_process,
    )
    plan, chunks = await planned_by(request)
    assert chunks == 6
    assert plan == expected  # rows (with what parsing found), errors, duplicates, in order
    assert (
        len(plan.duplicates) == 5 and plan.duplicates[0].first_line < 502 < plan.duplicates[0].line
    )
    assert len(plan.errors) == 21 and plan.rows[0].fields == {
        "first_name": "Customer 1",
        "order": "A-1",
    }
    assert all(row.parsed is not None for row in plan.rows)
    assert planners() == []


async def test_a_workbook_planned_in_the_child_is_the_plan_of_plan_rows() -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in csv.reader(io.StringIO(customers(1200).decode("cp1252")), delimiter=";"):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()
    expected = plan_rows(read_table(data, max_rows=10_000), Template(TEMPLATE), default_region="GB")
    request = PlanRequest(data, TEMPLATE, "GB", max_rows=10_000, rows_a_chunk=500, in_process=False)
    plan, chunks = await planned_by(request)
    assert chunks == 3 and plan == expected and plan.kind.startswith("Excel workbook")


async def test_a_file_under_the_small_size_is_planned_in_this_process() -> None:
    data = customers(1000)
    assert len(data) < SMALL_FILE
    async with planning(PlanRequest(data, TEMPLATE, "GB", max_rows=10_000)) as planned:
        await planned.head()
        assert await planned.next() is not None
        assert planners() == []


NUMBERS = (
    "+447911123456",  # a UK mobile
    "+441534123456",  # Jersey, under +44
    "+390612345678",  # an Italian landline: its leading zero is kept apart
    "+61412345678",  # an Australian mobile: several zones
    "+12125551234",  # New York
    "+4930123456",  # a Berlin landline
)


def test_a_rebuilt_parsed_answers_as_a_freshly_parsed_one() -> None:
    for number in NUMBERS:
        fresh = Parsed(
            phonenumbers.parse(number), *numbers._region_and_kind(phonenumbers.parse(number))
        )
        rebuilt = Parsed.unpacked(marshal.loads(marshal.dumps(fresh.packed())))
        assert rebuilt == fresh and rebuilt.number is not fresh.number
        assert (
            phonenumbers.format_number(rebuilt.number, phonenumbers.PhoneNumberFormat.E164)
            == number
        )
        assert phonenumbers.region_code_for_number(rebuilt.number) == fresh.region
        assert phonenumbers.number_type(rebuilt.number) == fresh.kind
        assert pn_timezone.time_zones_for_number(
            rebuilt.number
        ) == pn_timezone.time_zones_for_number(fresh.number)
    assert Parsed.unpacked(numbers.parsed("+390612345678").packed()).number.italian_leading_zero  # type: ignore[union-attr]


def test_a_remembered_rebuilt_parsed_spares_the_chain_a_parse() -> None:
    answers = {
        n: (
            numbers.country_of(n),
            numbers.line_type(n),
            numbers.time_zones_of(n),
            numbers.display_number(n),
        )
        for n in NUMBERS
    }
    rebuilt = {n: Parsed.unpacked(numbers.parsed(n).packed()) for n in NUMBERS}  # type: ignore[union-attr]
    for cached in (
        numbers.country_of,
        numbers.line_type,
        numbers.time_zones_of,
        numbers.display_number,
    ):
        cached.cache_clear()
    for number, found in rebuilt.items():
        numbers.remember(number, found)
        assert numbers.parsed(number) is found  # what the chain asks next is answered from it
        assert (
            numbers.country_of(number),
            numbers.line_type(number),
            numbers.time_zones_of(number),
            numbers.display_number(number),
        ) == answers[number]


async def test_a_file_error_in_the_child_arrives_with_its_reason_after_its_first_chunks() -> None:
    request = PlanRequest(
        customers(3000), TEMPLATE, "GB", max_rows=1200, rows_a_chunk=500, in_process=False
    )
    async with planning(request) as planned:
        await planned.head()
        assert await planned.next() is not None and await planned.next() is not None
        with pytest.raises(BulkFileError) as raised:
            await planned.next()
    assert "more than 1,200 rows" in raised.value.reason
    nameless = b"name;order\r\n" + b"Ann;1\r\n" * 10_000
    with pytest.raises(BulkFileError, match="no column of phone numbers"):
        await planned_by(
            PlanRequest(nameless, "Hi {name}", "GB", max_rows=20_000, in_process=False)
        )
    assert planners() == []


async def test_a_child_that_dies_fails_the_plan_and_does_not_hang() -> None:
    request = PlanRequest(
        customers(20_000), TEMPLATE, "GB", max_rows=20_000, rows_a_chunk=500, in_process=False
    )
    with pytest.raises(PlanningFailed, match="ended before its plan did"):
        async with planning(request) as planned:
            await planned.head()
            assert await planned.next() is not None
            child = await a_planner()
            child.kill()
            async with asyncio.timeout(10):
                while await planned.next() is not None:
                    pass
    assert planners() == []


async def test_leaving_a_plan_before_its_end_ends_the_child() -> None:
    request = PlanRequest(
        customers(20_000), TEMPLATE, "GB", max_rows=20_000, rows_a_chunk=500, in_process=False
    )
    async with planning(request) as planned:
        await planned.head()
        assert await planned.next() is not None
        pid = (await a_planner()).pid
    assert pid is not None and gone(pid) and planners() == []


def bulk_worker(bridge: Bridge) -> tuple[BulkWorker, asyncio.Task[None]]:
    [(worker, task)] = [(lo, t) for lo, t in bridge._loops if isinstance(lo, BulkWorker)]
    assert isinstance(worker, BulkWorker)
    return worker, task


async def test_a_file_unusable_at_a_later_row_stores_no_text(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, extra=RULES, bulk={"max_rows": 4500}, smtp=BIG)
    async with Bridge(settings) as bridge:
        data = customers(10_000)
        assert len(data) >= SMALL_FILE  # planned in a child
        said = await send(bridge, bulk_email(data))
        assert said.data is not None and said.data[0] == 250
        told = await mail_about(settings, "cannot be used")
        assert "more than 4,500 rows" in text_of(told)
        assert await bridge.store.recent_sms(limit=5000) == []  # texts wait for the whole file
    assert gc.get_threshold()[2] != _FULL_PASS_DEFERRED  # put back after a failed send too


async def test_a_child_killed_mid_file_fails_the_attempt_and_the_next_one_previews(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path, extra=RULES, bulk={"lease_seconds": 1.0}, smtp=BIG)
    caplog.set_level(logging.ERROR, logger="bridge.workers.bulk")
    data = customers(20_000)
    texts = len(
        plan_rows(read_table(data, max_rows=20_000), Template(TEMPLATE), default_region="GB").rows
    )
    async with Bridge(settings) as bridge:
        said = await send(bridge, bulk_email(data))
        assert said.data is not None and said.data[0] == 250
        (await a_planner()).kill()
        preview = await mail_about(settings, "is ready to check", timeout=60)
        assert f"Texts to send: {texts:,}" in text_of(preview)
        stored = await all_held(bridge, texts)  # stored after the preview
        assert len({job.to_number for job in stored}) == texts
    [failed] = [r for r in caplog.records if "a round failed" in r.getMessage()]
    assert failed.exc_info is not None and isinstance(failed.exc_info[1], PlanningFailed)


async def test_a_stopping_worker_ends_its_child(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, extra=RULES, smtp=BIG)
    async with Bridge(settings) as bridge:
        said = await send(bridge, bulk_email(customers(20_000)))
        assert said.data is not None and said.data[0] == 250
        pid = (await a_planner()).pid
        worker, task = bulk_worker(bridge)
        worker.stop()
        await asyncio.wait_for(task, 10)
        assert pid is not None and gone(pid) and planners() == []
        await asyncio.sleep(0.2)
        assert all("is ready to check" not in text_of(m) for m in mails(settings))


async def test_no_full_collection_while_a_send_is_planned_and_stored(tmp_path: Path) -> None:
    """The collector's full passes are put off while a bulk send is decided and stored (its
    rows live until then), and its thresholds are put back after it."""
    settings = make_settings(tmp_path, extra=RULES, smtp=BIG)
    before = gc.get_threshold()
    seen: set[int] = set()

    async def watch() -> None:
        while True:
            seen.add(gc.get_threshold()[2])
            await asyncio.sleep(0.005)

    async with Bridge(settings) as bridge:
        watching = asyncio.create_task(watch())
        data = customers(20_000)
        texts = len(
            plan_rows(
                read_table(data, max_rows=20_000), Template(TEMPLATE), default_region="GB"
            ).rows
        )
        said = await send(bridge, bulk_email(data))
        assert said.data is not None and said.data[0] == 250
        await mail_about(settings, "is ready to check", timeout=60)
        await all_held(bridge, texts)
        await asyncio.sleep(0.2)  # the batch moved to 'held' after its last chunk
        watching.cancel()
    assert _FULL_PASS_DEFERRED in seen
    assert gc.get_threshold() == before
