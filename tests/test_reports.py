"""Reports computed by the real store (SQLite and PostgreSQL) from texts with known times:
delivery rate and time, failure reasons, consent, replies, response time and cost; the
command's table, JSON and CSV; the pure percentile and rate definitions."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.parsing.addresses import domain_of
from bridge.reports.data import Counts, Failure, ReportData
from bridge.reports.figures import Report, compute, percentile, rate
from bridge.reports.render import as_csv
from bridge.settings.load import load_settings
from bridge.store.base import Store
from bridge.store.sqlite import SqliteStore
from tests.support.cli import run_cli
from tests.support.report_texts import consent, inbound, text

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
END = T0 + timedelta(days=7)
PRICES = {"GB": 0.04, "US": 0.01}


async def a_week(store: Store) -> None:
    """Team a.example: 5 texts to 4 customers, 4 delivered in 10, 20, 30 and 40 s, one
    failed at the send; team b.example: 3 texts, 1 delivered in 100 s, 1 undelivered, 1
    still queued; one automatic reply (no author), still queued."""
    h = timedelta(hours=1)
    await text(store, "alice@a.example", "+447700900001", T0 - h, delivered_after=5)  # before
    await text(store, "alice@a.example", "+447700900001", T0 + h, delivered_after=10, cost=0.05)
    await text(store, "Alice@A.example", "+447700900002", T0 + 2 * h, delivered_after=20)
    await text(store, "bob@a.example", "+447700900003", T0 + 3 * h, delivered_after=30)
    await text(
        store, "alice@a.example", "+447700900004", T0 + 4 * h, failed=("not in service", "21211")
    )
    await inbound(store, "+447700900001", T0 + 5 * h, "in-1")  # a reply, answered by bob
    await text(
        store,
        "bob@a.example",
        "+447700900001",
        T0 + 5 * h + timedelta(seconds=300),
        delivered_after=40,
    )
    b = {"sender": "+447700900100"}
    await text(
        store,
        "carol@b.example",
        "+14155550100",
        T0 + 6 * h,
        segments=2,
        undelivered=("=expired", "30003"),
        **b,
    )
    await text(store, "carol@b.example", "+14155550101", T0 + 7 * h, delivered_after=100, **b)
    await inbound(store, "+14155550101", T0 + 8 * h, "in-2")  # nobody answers
    await inbound(store, "+14155550100", T0 - 24 * h, "in-0")  # before the period
    await text(store, "carol@b.example", "+14155550102", T0 + 9 * h, queued=True, **b)
    # an automatic answer to in-1, before bob's: not a person's
    await text(store, "", "+447700900001", T0 + 5 * h + timedelta(seconds=1), queued=True)
    await consent(store, "+447700900002", "opt-out", T0 + 24 * h)
    await consent(store, "+447700900003", "opt-in", T0 + 24 * h)
    await consent(store, "+14155550101", "opt-out", T0 - 24 * h)  # before the period
    await consent(store, "+447700900999", "opt-out", T0 + 24 * h)  # never texted


async def report_of(store: Store, key: str = "team") -> Report:
    data = await store.report_data(key=key, start=T0, end=END)  # type: ignore[arg-type]
    return compute(data, prices=PRICES, currency="GBP")


async def test_a_team_report_from_stored_texts(store: Store) -> None:
    await a_week(store)
    report = await report_of(store)
    groups = {f.group: f for f in report.groups}
    assert list(groups) == ["a.example", "b.example", ""]
    a, b = groups["a.example"], groups["b.example"]
    assert (a.accepted, a.sent, a.delivered, a.failed, a.pending) == (5, 4, 4, 1, 0)
    assert a.delivery_rate == 1.0
    assert (a.delivery_p50, a.delivery_p95) == (20, 40)  # nearest rank of 10, 20, 30, 40
    assert [(r.code, r.error, r.texts) for r in a.reasons] == [("21211", "not in service", 1)]
    assert (a.customers, a.opted_in, a.opted_out, a.replied) == (4, 1, 1, 1)
    assert (a.opt_out_rate, a.reply_rate) == (0.25, 0.25)
    assert (a.responses, a.response_p50, a.response_p95) == (1, 300, 300)
    assert a.cost == pytest.approx(0.05 + 3 * 0.04)  # one reported price, three at the table's
    assert (b.accepted, b.sent, b.delivered, b.failed, b.pending) == (3, 2, 1, 1, 1)
    assert b.delivery_rate == 0.5 and (b.delivery_p50, b.delivery_p95) == (100, 100)
    assert (b.customers, b.opted_out, b.replied, b.responses) == (3, 0, 1, 0)
    assert (b.segments, b.cost) == (3, pytest.approx(0.03))
    assert groups[""].accepted == 1 and groups[""].pending == 1
    total = report.total
    assert (total.accepted, total.delivered, total.customers) == (9, 5, 7)
    assert (total.delivery_p50, total.delivery_p95) == (30, 100)
    assert report.ledger == {"opt-in": 1, "opt-out": 2}
    assert report.unanswered == 1


async def test_reports_by_sender_provider_and_country(store: Store) -> None:
    await a_week(store)
    by_sender = {f.group: f.accepted for f in (await report_of(store, "sender")).groups}
    assert by_sender == {"ExampleCo": 6, "+447700900100": 3}
    by_provider = {f.group: f.sent for f in (await report_of(store, "provider")).groups}
    assert by_provider == {"twilio": 6, "": 0}  # the queued and the failed have no provider
    by_country = await report_of(store, "country")
    countries = {f.group: (f.accepted, f.cost) for f in by_country.groups}
    assert countries == {"GB": (6, pytest.approx(0.17)), "US": (3, pytest.approx(0.03))}


async def test_the_team_in_sql_is_the_domain_of_the_author(store: Store) -> None:
    authors = ["x@Sales.Example.COM", "y@mail.b.example", "z@c.example", "no-address"]
    for at, author in enumerate(authors):
        await text(store, author, "+447700900001", T0 + timedelta(minutes=at), queued=True)
    report = await report_of(store)
    assert {f.group: f.customers for f in report.groups} == {domain_of(a): 1 for a in authors}


async def test_an_empty_period(store: Store) -> None:
    report = await report_of(store)
    assert report.groups == () and report.total.accepted == 0
    assert report.total.delivery_rate is None and report.total.delivery_p50 is None


def test_percentiles_by_nearest_rank() -> None:
    assert percentile({}, 50) is None
    assert percentile({7: 1}, 95) == 7
    assert percentile({1: 50, 2: 45, 60: 5}, 50) == 1
    assert percentile({1: 50, 2: 45, 60: 5}, 95) == 2
    assert percentile({1: 50, 2: 44, 60: 6}, 95) == 60
    assert rate(1, 4) == 0.25 and rate(1, 0) is None


def test_csv_cells_that_would_run_as_formulas_are_escaped() -> None:
    data = ReportData(
        key="sender",
        start=T0.timestamp(),
        end=END.timestamp(),
        counts=(Counts("=HYPERLINK(1)", "GB", 2, 2, 1, 1, 0, 0, 2, 2, 0.0),),
        failures=(Failure("=HYPERLINK(1)", "", "+cmd|' /C calc'!A0", 1),),
    )
    rows = list(csv.reader(io.StringIO(as_csv(compute(data, prices={}, currency="GBP")))))
    by_column = dict(zip(rows[0], rows[1], strict=True))
    assert by_column["group"] == "'=HYPERLINK(1)"
    assert by_column["top_failure"] == "'+cmd|' /C calc'!A0"
    assert rows[2][0] == "(all)"


async def _stored_week(config: str) -> None:
    settings = load_settings(Path(config))
    store = SqliteStore(settings.database_path)
    await store.open()
    try:
        await a_week(store)
    finally:
        await store.close()


@pytest.fixture
async def week_config(config: str) -> str:
    path = Path(config)
    path.write_text(
        path.read_text() + "[compliance]\nprices = { GB = 0.04, US = 0.01 }\n", encoding="utf-8"
    )
    await _stored_week(config)
    return config


def period() -> list[str]:
    return ["--since", "2026-11-02 09:00", "--until", "2026-11-09T09:00+00:00"]


async def test_the_command_as_json(week_config: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = await _run(capsys, week_config, "report", *period(), "--by", "team", "--json")
    assert code == 0, err
    found = json.loads(out)
    assert (found["by"], found["since"], found["until"]) == (
        "team",
        "2026-11-02T09:00:00+00:00",
        "2026-11-09T09:00:00+00:00",
    )
    a = found["groups"][0]
    assert a["group"] == "a.example" and a["delivery_p95_seconds"] == 40
    assert a["failure_reasons"] == [{"code": "21211", "error": "not in service", "texts": 1}]
    assert a["opt_out_rate"] == 0.25 and a["response_p50_seconds"] == 300
    assert found["groups"][2]["group"] == "(no author)"
    assert found["total"]["group"] == "(all)" and found["total"]["accepted"] == 9
    assert found["consent_ledger"] == {"opt_ins": 1, "opt_outs": 2}


async def test_the_command_as_csv_and_table(
    week_config: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = await _run(capsys, week_config, "report", *period(), "--csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [row["group"] for row in rows] == ["a.example", "b.example", "(no author)", "(all)"]
    assert rows[1]["top_failure"] == "30003: =expired"
    assert rows[0]["delivery_rate"] == "1" and rows[1]["delivery_rate"] == "0.5"
    code, out, _ = await _run(capsys, week_config, "report", *period(), "--by", "country")
    assert code == 0
    assert "by country" in out and "GB" in out and "50.0%" in out and "1m40s" in out


async def test_the_command_refuses_an_empty_window(
    config: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = await _run(capsys, config, "report", "--since", "1d", "--until", "2d")
    assert code == 2 and "--until" in err
    code, _, err = await _run(capsys, config, "report", "--since", "last tuesday")
    assert code == 2 and "--since 'last tuesday' is not a time" in err


async def _run(capsys: pytest.CaptureFixture[str], config: str, *args: str) -> tuple[int, str, str]:
    """The command runs its own event loop: in a thread, away from the test's."""
    return await asyncio.to_thread(run_cli, capsys, config, *args)


async def test_a_bulk_sends_held_texts_are_pending(store: Store) -> None:
    from bridge.store.statements import Op, count

    def hold(job_id: str) -> Op[None]:
        yield count("UPDATE sms_jobs SET state = 'held' WHERE id = ?", job_id)

    held = await text(store, "dora@c.example", "+447700900005", T0, queued=True)
    await store._do(hold(held))  # type: ignore[attr-defined]
    [c] = (await report_of(store)).groups
    assert (c.group, c.accepted, c.pending, c.sent) == ("c.example", 1, 1, 0)
