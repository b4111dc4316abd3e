"""The scheduled report email: when a period is due (pure, DST), its settings, and two real
bridges on one PostgreSQL database sending last week's report once, with a PNG chart inline
and the CSV attached, even when the bridge that sent it stops and the other takes over."""

from __future__ import annotations

import asyncio
import csv
import email
import io
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bridge.chain.periods import calendar_period
from bridge.reports.schedule import due_period, report_key, title
from bridge.settings.reports import ReportSchedule
from bridge.store.postgres import PostgresStore
from tests.conftest import postgres_schema
from tests.support.bridge_process import BridgeProcess
from tests.support.report_texts import text

LONDON = ZoneInfo("Europe/London")


def at(text_: str, zone: ZoneInfo = LONDON) -> datetime:
    return datetime.fromisoformat(text_).replace(tzinfo=zone)


def test_a_weeks_report_is_due_from_its_weekday_and_time() -> None:
    weekly = ReportSchedule(to=("admin@example.com",), every="week", at="Tue 08:00")
    assert due_period(weekly, at=at("2026-12-08 07:59"), zone=LONDON) is None
    start, end = due_period(weekly, at=at("2026-12-08 08:00"), zone=LONDON) or (None, None)
    assert (start, end) == (at("2026-11-30 00:00"), at("2026-12-07 00:00"))
    assert due_period(weekly, at=at("2026-12-13 23:00"), zone=LONDON) == (start, end)
    assert due_period(weekly, at=at("2026-12-14 07:00"), zone=LONDON) is None  # next not yet


def test_a_months_report_across_the_clocks_going_back() -> None:
    monthly = ReportSchedule(to=("admin@example.com",), every="month", at="08:00")
    found = due_period(monthly, at=at("2026-11-01 08:00"), zone=LONDON)
    assert found == (at("2026-10-01 00:00"), at("2026-11-01 00:00"))
    start, end = found
    assert end.timestamp() - start.timestamp() == (31 * 24 + 1) * 3600  # BST ended 25 Oct
    assert title(monthly, start) == "SMS report: October 2026, by team"
    second = ReportSchedule(to=("admin@example.com",), every="month", at="2 06:30")
    assert due_period(second, at=at("2026-11-02 06:29"), zone=LONDON) is None


def test_the_key_names_the_period_and_not_the_order_of_recipients() -> None:
    one = ReportSchedule(to=("b@example.com", "a@example.com"))
    two = ReportSchedule(to=("a@example.com", "b@example.com"))
    start = at("2026-11-30 00:00")
    assert (
        report_key(one, start)
        == report_key(two, start)
        == ("report|week|team|a@example.com,b@example.com|2026-11-30")
    )


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"to": ()}, "at least 1"),
        ({"to": ("not an address",)}, "not an email address"),
        ({"at": "Someday 08:00"}, "not a weekday"),
        ({"every": "month", "at": "31 08:00"}, "from 1 to 28"),
        ({"at": "8 o'clock"}, "not a time"),
        ({"at": "Mon 25:00"}, "not a time of day"),
        ({"by": "author"}, "team"),
    ],
)
def test_settings_that_cannot_be_scheduled_are_refused(
    fields: dict[str, object], said: str
) -> None:
    with pytest.raises(ValidationError, match=said):
        ReportSchedule.model_validate({"to": ("admin@example.com",), **fields})


@pytest.fixture
def dsn() -> Iterator[str]:
    with postgres_schema() as url:
        yield url


async def _last_week(dsn: str) -> datetime:
    """Texts of last week (UTC): a.example 2, delivered in 10 and 30 s; b.example 1 failed;
    and one of the week before. (None left queued: the bridges would send it.)"""
    start, _ = calendar_period("week", datetime.now(UTC) - timedelta(days=7), ZoneInfo("UTC"))
    store = PostgresStore(dsn)
    await store.open()
    try:
        h = timedelta(hours=1)
        await text(store, "alice@a.example", "+447700900001", start + h, delivered_after=10)
        await text(store, "bob@a.example", "+447700900002", start + 2 * h, delivered_after=30)
        failed = ("=HYPERLINK(evil)", "")  # a reason a spreadsheet would run
        await text(store, "carol@b.example", "+447700900004", start + 4 * h, failed=failed)
        await text(store, "alice@a.example", "+447700900001", start - h, delivered_after=5)
    finally:
        await store.close()
    return start


def _wait_for(check: object, what: str, timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError(f"waited {timeout:.0f} s for {what}")


def _reports(maildir: Path) -> list[EmailMessage]:
    folder = maildir / "new"
    files = sorted(folder.iterdir()) if folder.exists() else []
    messages = [email.message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    return [m for m in messages if str(m["Subject"]).startswith("SMS report")]  # type: ignore[misc]


@pytest.mark.slow
def test_two_bridges_send_last_weeks_report_once(tmp_path: Path, dsn: str) -> None:
    maildir = tmp_path / "mail"
    schedule = (
        "[compliance]\nprices = { GB = 0.04 }\n"
        f'[mail.maildir]\npath = "{maildir}"\n'
        '[[reports]]\nto = ["admin@example.com", "ops@example.com"]\nevery = "week"\n'
        'by = "team"\nat = "Mon 00:00"\n'
    )
    bridges = [
        BridgeProcess(
            tmp_path / name,
            store={"backend": "postgres", "dsn": dsn, "pool_size": 4},
            extra=schedule,
        )
        for name in ("a", "b")
    ]
    migrated = bridges[0].cli("migrate")
    assert migrated.returncode == 0, migrated.stderr
    start = asyncio.run(_last_week(dsn))
    with bridges[0], bridges[1]:
        _wait_for(lambda: _reports(maildir), "the report email")
        sender = next(b for b in bridges if "queued for admin@example.com" in b.log_text())
        other = bridges[1 - bridges.index(sender)]
        sender.stop()  # the other bridge takes the cluster lock and finds the period sent
        _wait_for(lambda: "already sent" in other.log_text(), "the other bridge's check")
        time.sleep(1.0)  # a second email, if one were queued, would be in the Maildir by now
    [report] = _reports(maildir)
    assert report["Subject"] == f"SMS report: week of {start:%Y-%m-%d}, by team"
    assert report["To"] == "admin@example.com, ops@example.com"
    _check_parts(report)


def _check_parts(report: EmailMessage) -> None:
    plain = report.get_body(preferencelist=("plain",))
    html = report.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    table = plain.get_content()
    assert "a.example" in table and "b.example" in table and "(all)" in table
    page = html.get_content()
    [image] = [p for p in report.walk() if p.get_content_type() == "image/png"]
    cid = str(image["Content-ID"]).strip("<>")
    assert f'src="cid:{cid}"' in page
    assert image.get_content().startswith(b"\x89PNG\r\n\x1a\n")
    [attachment] = [p for p in report.iter_attachments() if p.get_content_type() == "text/csv"]
    assert str(attachment.get_filename()).endswith("-week-by-team.csv")
    content = attachment.get_content()
    data = content if isinstance(content, str) else content.decode("utf-8-sig")
    rows = {row["group"]: row for row in csv.DictReader(io.StringIO(data.lstrip("\ufeff")))}
    assert set(rows) == {"a.example", "b.example", "(all)"}
    a, b = rows["a.example"], rows["b.example"]
    assert (a["accepted"], a["delivered"], a["delivery_p50_seconds"]) == ("2", "2", "10")
    assert a["delivery_p95_seconds"] == "30" and a["cost"] == "0.08"
    assert (b["failed"], b["top_failure"]) == ("1", "'=HYPERLINK(evil)")


def test_the_example_settings_schedule_a_report_once_uncommented(tmp_path: Path) -> None:
    from bridge.settings.load import load_settings
    from tests.conftest import ROOT

    text_ = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    block = text_[text_.index("# [[reports]]") :]
    path = tmp_path / "config.toml"
    uncommented = "\n".join(line.removeprefix("# ") for line in block.splitlines())
    path.write_text(text_.replace(block, uncommented), encoding="utf-8")
    [schedule] = load_settings(path).reports
    assert (schedule.to, schedule.every, schedule.by) == (("admin@example.com",), "week", "team")
    assert (schedule.send_day(), str(schedule.send_time())) == (0, "08:00:00")
