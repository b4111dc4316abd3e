"""Bulk sends by attachment through the bridge's own SMTP listener and its real store: the
250, the preview (threaded, with its not-sent CSV), SEND, the texts sent, the summary with
its result CSV; CANCEL before and after SEND; a file saved by Excel in a European locale; a
file with bad rows; a file that cannot be used; a restart between the 250 and the preview."""

from __future__ import annotations

import asyncio
import codecs
import csv
import io
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from bridge.app import Bridge
from bridge.models import JobState, SmsJob
from bridge.settings.root import Settings
from bridge.workers.bulk import BulkWorker
from tests.conftest import make_settings
from tests.support.bulk_mail import BULK, bulk_email
from tests.support.smtp_client import Dialogue, converse, message

RULES = """
[[senders.rules]]
match = "example.com"
sender = "ExampleCo"
timezone = "Europe/London"
"""
TEMPLATE = "Hi {first_name}, your order {order} is ready."  # bulk_email's default body


def excel_csv(rows: list[tuple[str, ...]], *, bom: bytes = b"", encoding: str = "cp1252") -> bytes:
    """Rows as Excel in a European locale saves them: semicolons, CRLF, Windows-1252."""
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    return bom + out.getvalue().encode(encoding)


async def send(bridge: Bridge, msg: EmailMessage, *, rcpts: list[str] | None = None) -> Dialogue:
    return await asyncio.to_thread(
        converse,
        bridge.smtp_address,
        mail_from="alice@example.com",
        rcpts=rcpts or [str(msg["To"])],
        content=msg.as_bytes(),
    )


def mails(settings: Settings) -> list[EmailMessage]:
    found = sorted((settings.bridge.data_dir / "mail").rglob("*"), key=lambda p: p.stat().st_mtime)
    parsed = [
        BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in found if p.is_file()
    ]
    return [m for m in parsed if isinstance(m, EmailMessage)]


async def mail_about(settings: Settings, words: str, timeout: float = 20.0) -> EmailMessage:
    """The bridge's first email to the author whose text says ``words``."""
    for _ in range(int(timeout / 0.05)):
        for msg in mails(settings):
            body = msg.get_body(preferencelist=("plain",))
            if body is not None and words in body.get_content():
                return msg
        await asyncio.sleep(0.05)
    raise AssertionError(f"no email saying {words!r}: {[m['Subject'] for m in mails(settings)]}")


def text_of(msg: EmailMessage) -> str:
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def attached(msg: EmailMessage) -> tuple[str, list[list[str]]]:
    [part] = list(msg.iter_attachments())
    data = part.get_payload(decode=True)
    assert isinstance(data, bytes) and data.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    return str(part.get_filename()), rows


def reply(to: str, words: str) -> EmailMessage:
    return message(to=to, subject="Re: Orders ready", body=f"{words}\n\n> the preview\n")


async def jobs(bridge: Bridge) -> list[SmsJob]:
    return await bridge.store.recent_sms(limit=500)


async def wait_jobs(bridge: Bridge, state: JobState, count: int) -> list[SmsJob]:
    for _ in range(400):
        found = [j for j in await jobs(bridge) if j.state is state]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {count} job(s) reached {state}")


ROWS = [
    ("number", "first_name", "order"),
    ("07700 900001", "Zoë", "A-1"),
    ("07700 900002", "Bjørn", "A-2"),
    ("+447700900003", "Ana", "A-3"),
]


async def test_preview_then_send_then_summary(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, extra=RULES)
    async with Bridge(settings) as bridge:
        said = await send(bridge, bulk_email(excel_csv(ROWS), filename="orders.csv"))
        assert said.data == (250, "2.0.0 Received orders.csv: a preview will follow by email")
        preview = await mail_about(settings, "is ready to check")
        words = text_of(preview)
        assert "Rows read: 3" in words and "Texts to send: 3" in words
        assert "Hi Zoë, your order A-1 is ready." in words
        assert preview["Reply-To"].startswith("batch-") and preview["In-Reply-To"]
        assert preview["Subject"] == "Re: Orders ready"
        name, rows = attached(preview)
        assert name == "not-sent.csv" and rows == [list(rows[0])]  # nothing refused
        await asyncio.sleep(0.3)
        held = await jobs(bridge)
        assert {j.state for j in held} == {JobState.HELD} and len(held) == 3
        assert bridge.transport is not None
        done = await send(bridge, reply(preview["Reply-To"], "SEND"))
        assert done.data == (250, "2.0.0 3 texts queued.")
        sent = await wait_jobs(bridge, JobState.SENT, 3)
        assert {j.text for j in sent} >= {"Hi Bjørn, your order A-2 is ready."}
        again = await send(bridge, reply(preview["Reply-To"], "send"))
        assert again.data is not None and again.data[0] == 250 and "Already sent" in again.data[1]
        summary = await mail_about(settings, "has finished")
        assert "Sent: 3" in text_of(summary)
        name, rows = attached(summary)
        assert name == "results.csv"
        assert rows[0] == ["line", "number", "status", "reason", "country", "segments", "reference"]
        assert [(r[0], r[1], r[2]) for r in rows[1:]] == [
            ("2", "'+447700900001", "sent"),
            ("3", "'+447700900002", "sent"),
            ("4", "'+447700900003", "sent"),
        ]
        await asyncio.sleep(0.5)  # once: no second summary
        assert sum("has finished" in text_of(m) for m in mails(settings)) == 1


@pytest.mark.parametrize(
    ("bom", "encoding"),
    [(b"", "cp1252"), (codecs.BOM_UTF8, "utf-8"), (b"", "utf-8")],
    ids=["windows-1252", "utf-8 with BOM", "utf-8"],
)
async def test_a_csv_saved_by_excel_in_a_european_locale(
    tmp_path: Path, bom: bytes, encoding: str
) -> None:
    settings = make_settings(tmp_path, extra=RULES)
    rows = [("Mobile", "First name", "Order"), ("07700 900011", "Françoise", "7,5 kg")]
    async with Bridge(settings) as bridge:
        said = await send(
            bridge,
            bulk_email(
                excel_csv(rows, bom=bom, encoding=encoding),
                maintype="application",
                subtype="vnd.ms-excel",  # what Outlook calls a CSV file
            ),
        )
        assert said.data is not None and said.data[0] == 250, said
        preview = await mail_about(settings, "is ready to check")
        assert "separated by semicolons" in text_of(preview)
        assert "Hi Françoise, your order 7,5 kg is ready." in text_of(preview)
        [job] = await jobs(bridge)
        assert job.to_number == "+447700900011" and job.state is JobState.HELD


async def test_bad_rows_are_listed_with_their_lines_and_reasons(tmp_path: Path) -> None:
    rows = [
        ("number", "first_name", "order"),
        ("07700 900021", "Ann", "B-1"),
        ("12", "Bob", "B-2"),  # too short
        ("07700 900021", "Ann again", "B-3"),  # duplicate of line 2
        ("07700 900023", "", "B-4"),  # the template needs first_name
        ("+33612345678", "Amélie", "B-5"),  # not in compliance.allowed_countries
    ]
    settings = make_settings(tmp_path, extra=RULES, compliance={"allowed_countries": ["GB"]})
    async with Bridge(settings) as bridge:
        said = await send(bridge, bulk_email(excel_csv(rows)))
        assert said.data is not None and said.data[0] == 250
        preview = await mail_about(settings, "is ready to check")
        words = text_of(preview)
        assert "Rows read: 5" in words and "Texts to send: 1" in words
        assert "Duplicates merged: 1" in words and "Rows with errors: 2" in words
        assert "Refused: 1" in words and "line 6 (+33*****5678), refused:" in words
        assert "line 3:" in words and "line 5:" in words and "{first_name}" in words
        _, listed = attached(preview)
        lines = {row[0]: row[2] for row in listed[1:]}
        assert lines["3"] == "invalid" and lines["4"] == "duplicate" and lines["5"] == "invalid"
        assert lines["6"] == "refused" and len(listed) == 5
        assert [j.to_number for j in await jobs(bridge)] == ["+447700900021"]


async def test_an_opted_out_customer_is_not_texted(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, extra=RULES)
    async with Bridge(settings) as bridge:
        await bridge.store.suppress(
            reply_number="+447700900100", customer="+447700900002", now=datetime.now(UTC)
        )
        said = await send(bridge, bulk_email(excel_csv(ROWS)))
        assert said.data is not None and said.data[0] == 250
        preview = await mail_about(settings, "is ready to check")
        assert "Opted out: 1" in text_of(preview)
        _, listed = attached(preview)
        assert [row[:3] for row in listed[1:]] == [["3", "'+447700900002", "opted out"]]
        assert sorted(j.to_number for j in await jobs(bridge)) == [
            "+447700900001",
            "+447700900003",
        ]


async def test_emails_that_cannot_be_a_bulk_send_are_refused(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, extra=RULES)
    async with Bridge(settings) as bridge:
        bare = await send(bridge, message(to=BULK, body=TEMPLATE))
        assert bare.data is not None and bare.data[0] == 550
        assert bare.data[1].startswith("5.6.0 An email to the bulk address must carry")
        two = bulk_email(excel_csv(ROWS))
        two.add_attachment(excel_csv(ROWS), maintype="text", subtype="csv", filename="b.csv")
        said = await send(bridge, two)
        assert said.data is not None and said.data[0] == 550 and "carries 2" in said.data[1]
        braces = await send(bridge, bulk_email(excel_csv(ROWS), body="Hi {first_name, ok"))
        assert braces.data is not None and braces.data[0] == 550
        assert braces.data[1].startswith("5.6.0 The message has a {")
        mixed = await send(
            bridge, bulk_email(excel_csv(ROWS)), rcpts=[BULK, "+447700900123@sms.example.com"]
        )
        assert mixed.rcpts[1][0] == 452 and "bulk address goes alone" in mixed.rcpts[1][1]
        # the mixed email is a bulk send to the bulk address alone: its worker may already
        # have held its texts; the refused emails made none, and the number got none
        found = await jobs(bridge)
        assert all(j.idempotency_key.startswith("bulk|") for j in found), found
        assert len({j.idempotency_key.split("|")[1] for j in found}) <= 1
        assert "+447700900123" not in {j.to_number for j in found}


async def test_a_file_that_cannot_be_used_gets_an_email_saying_why(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, extra=RULES)
    async with Bridge(settings) as bridge:
        rows = [("name", "order"), ("Ann", "1")]
        said = await send(bridge, bulk_email(excel_csv(rows), body="Hi {name}"))
        assert said.data is not None and said.data[0] == 250
        told = await mail_about(settings, "cannot be used")
        assert "no column of phone numbers" in text_of(told)
        assert await jobs(bridge) == []


async def test_cancel_before_and_after_send(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, extra=RULES)
    async with Bridge(settings) as bridge:
        await send(bridge, bulk_email(excel_csv(ROWS)))
        preview = await mail_about(settings, "is ready to check")
        assert await bridge.store.scheduled(state=None, limit=10) == []  # not scheduled texts
        done = await send(bridge, reply(preview["Reply-To"], "CANCEL"))
        assert done.data == (250, "2.0.0 3 texts cancelled.")
        assert {j.state for j in await jobs(bridge)} == {JobState.CANCELLED}
        late = await send(bridge, reply(preview["Reply-To"], "SEND"))
        assert late.data is not None and late.data[0] == 550 and "was cancelled" in late.data[1]


async def test_a_restart_between_the_250_and_the_preview(tmp_path: Path) -> None:
    """Accepted means stored: a bridge that stops after the 250 and before reading the file
    leaves it to the next one, which previews it."""
    settings = make_settings(tmp_path, extra=RULES)
    async with Bridge(settings) as bridge:
        for loop, task in bridge._loops:  # this bridge's bulk worker stops first
            if isinstance(loop, BulkWorker):
                loop.stop()
                await task
        said = await send(bridge, bulk_email(excel_csv(ROWS)))
        assert said.data is not None and said.data[0] == 250
        await asyncio.sleep(0.3)
        assert await jobs(bridge) == [] and mails(settings) == []
    async with Bridge(settings) as bridge:
        preview = await mail_about(settings, "is ready to check")
        assert "Texts to send: 3" in text_of(preview)
        assert len(await jobs(bridge)) == 3


async def test_a_sender_rule_may_send_at_once(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, extra=RULES + "bulk_without_preview = true\n")
    async with Bridge(settings) as bridge:
        said = await send(bridge, bulk_email(excel_csv(ROWS)))
        assert said.data is not None and said.data[0] == 250
        sending = await mail_about(settings, "is being sent")
        assert "Reply SEND" not in text_of(sending)
        await wait_jobs(bridge, JobState.SENT, 3)
        await mail_about(settings, "has finished")


SPEND_CAP = """
[[compliance.spend_caps]]
match = "example.com"
per = "day"
segments = 2
"""


async def test_a_spend_cap_counts_the_rows_before_it(tmp_path: Path) -> None:
    """Each row is judged with the texts of the rows before it counted: a cap of 2 segments
    lets 2 of the 3 one-segment texts through, never all of a chunk."""
    settings = make_settings(tmp_path, extra=RULES + SPEND_CAP)
    async with Bridge(settings) as bridge:
        said = await send(bridge, bulk_email(excel_csv(ROWS)))
        assert said.data is not None and said.data[0] == 250
        preview = await mail_about(settings, "is ready to check")
        assert "Texts to send: 2" in text_of(preview) and "Refused: 1" in text_of(preview)
        assert len(await jobs(bridge)) == 2


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


async def test_held_texts_are_cancelled_when_send_never_comes(tmp_path: Path) -> None:
    clock = Clock(datetime.now(UTC))
    settings = make_settings(tmp_path, extra=RULES, queue={"poll_seconds": 0.1})
    async with Bridge(settings, clock=clock) as bridge:
        await send(bridge, bulk_email(excel_csv(ROWS)))
        preview = await mail_about(settings, "is ready to check")
        clock.at += timedelta(days=15)
        cancelled = await wait_jobs(bridge, JobState.CANCELLED, 3)
        assert {j.error for j in cancelled} == {
            "not sent: its author did not reply SEND to the preview before it expired"
        }
        late = await send(bridge, reply(preview["Reply-To"], "SEND"))  # its address expired
        assert late.rcpts[0][0] == 550 and late.rcpts[0][1].startswith("5.1.1")


async def test_the_template_is_the_new_text_without_the_disclaimer(
    tmp_path: Path,
) -> None:
    settings = make_settings(
        tmp_path,
        extra=RULES,
        text={"disclaimer_patterns": ["^This email and any attachments"]},
    )
    body = f"{TEMPLATE}\n\nThis email and any attachments are confidential.\n"
    async with Bridge(settings) as bridge:
        said = await send(bridge, bulk_email(excel_csv(ROWS), body=body))
        assert said.data is not None and said.data[0] == 250
        await mail_about(settings, "is ready to check")
        texts = {j.text for j in await jobs(bridge)}
        assert texts == {
            "Hi Zoë, your order A-1 is ready.",
            "Hi Bjørn, your order A-2 is ready.",
            "Hi Ana, your order A-3 is ready.",
        }


async def test_an_excel_workbook(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Customers"
    for row in [("Mobile", "First name", "Order"), (447700900031.0, "Ann", "X-1")]:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    settings = make_settings(tmp_path, extra=RULES)
    async with Bridge(settings) as bridge:
        xlsx = "vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        msg = bulk_email(out.getvalue(), filename="list.xlsx", maintype="application", subtype=xlsx)
        said = await send(bridge, msg)
        assert said.data == (250, "2.0.0 Received list.xlsx: a preview will follow by email")
        preview = await mail_about(settings, "is ready to check")
        assert 'Excel workbook, sheet "Customers"' in text_of(preview)
        [job] = await jobs(bridge)
        assert job.to_number == "+447700900031" and job.text == "Hi Ann, your order X-1 is ready."


async def test_a_file_too_big_for_the_email_limit_is_refused_with_advice(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, extra=RULES)  # the tests' limit: 64 KB
    rows = [("number", "first_name", "order")]
    rows += [(f"07911 1{i:05d}", "Ann", f"Order {i}") for i in range(3000)]
    async with Bridge(settings) as bridge:
        said = await send(bridge, bulk_email(excel_csv(rows)))
        assert said.data is not None and said.data[0] == 552
        assert "Split the file and send each part in an email of its own." in said.data[1]
        assert await jobs(bridge) == []


async def test_a_customer_who_opts_out_after_the_preview_is_not_texted(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, extra=RULES)
    async with Bridge(settings) as bridge:
        await send(bridge, bulk_email(excel_csv(ROWS)))
        preview = await mail_about(settings, "is ready to check")
        assert "Texts to send: 3" in text_of(preview)
        await bridge.store.suppress(
            reply_number="+447700900100", customer="+447700900002", now=datetime.now(UTC)
        )
        done = await send(bridge, reply(preview["Reply-To"], "SEND"))
        assert done.data == (250, "2.0.0 2 texts queued; 1 not sent, opted out since the preview.")
        summary = await mail_about(settings, "has finished")
        assert "Sent: 2" in text_of(summary) and "Opted out: 1" in text_of(summary)
        _, rows = attached(summary)
        assert rows[2][:4] == [
            "3",
            "'+447700900002",
            "opted out",
            "opted out after the preview was sent: not sent",
        ]
