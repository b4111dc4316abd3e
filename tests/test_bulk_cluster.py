"""A bulk send on two bridges sharing PostgreSQL: one preview whichever bridge reads the
file, SEND at one bridge, CANCEL at the other while both are sending; every text ends
either sent or cancelled (never both, never lost), and one summary says so. And a file of
several chunks on PostgreSQL, whose chunks are stored while the next rows are decided."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import postgres_schema
from tests.support.bridge_process import BridgeProcess, read_journal
from tests.support.bulk_mail import bulk_email, send_bulk
from tests.support.smtp_client import converse, message

ROWS = 300
RULES = '[[senders.rules]]\nmatch = "example.com"\nsender = "ExampleCo"\n'


@pytest.fixture
def dsn() -> Iterator[str]:
    with postgres_schema() as url:
        yield url


def _rows(dsn: str, sql: str, *args: object) -> list[dict[str, Any]]:
    import psycopg
    from psycopg.rows import dict_row

    base, _, schema = dsn.partition("?search_path=")
    with psycopg.connect(base, options=f"-csearch_path={schema}", row_factory=dict_row) as conn:
        return conn.execute(sql, args).fetchall()  # type: ignore[arg-type]


def _file(rows: int = ROWS, *, prefix: str = "07700 9") -> bytes:
    """Rows whose numbers are ``prefix`` and five digits (the drama range by default, which
    holds a thousand numbers)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(("number", "name"))
    writer.writerows((f"{prefix}{i:05d}", f"Customer {i}") for i in range(rows))
    return out.getvalue().encode("cp1252")


def _rota(data: bytes) -> EmailMessage:
    return bulk_email(data, filename="rota.csv", subject="Rota", body="Hi {name}, see you at 9.")


def _emails(bridge: BridgeProcess) -> list[EmailMessage]:
    found = []
    for raw in bridge.maildir_messages():
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(msg, EmailMessage)
        found.append(msg)
    return found


def _saying(bridges: tuple[BridgeProcess, ...], words: str) -> list[EmailMessage]:
    return [
        m
        for b in bridges
        for m in _emails(b)
        if words in str(m.get_body(preferencelist=("plain",)).get_content())  # type: ignore[union-attr]
    ]


def _states(dsn: str) -> dict[str, int]:
    rows = _rows(dsn, "SELECT state, count(*) AS n FROM sms_jobs GROUP BY state")
    return {str(r["state"]): int(r["n"]) for r in rows}


def test_cancel_mid_run_with_two_bridges(tmp_path: Path, dsn: str) -> None:
    journal = tmp_path / "provider" / "sent.jsonl"
    bridges = tuple(
        BridgeProcess(
            tmp_path / name,
            store={"backend": "postgres", "dsn": dsn, "pool_size": 8},
            queue={"workers": 2, "poll_seconds": 0.2, "lease_seconds": 5},
            extra=f'[provider.sandbox]\njournal = "{journal}"\nlatency_seconds = 0.1\n' + RULES,
        )
        for name in ("a", "b")
    )
    migrated = bridges[0].cli("migrate")
    assert migrated.returncode == 0, migrated.stderr
    first, second = bridges
    with first, second:
        said = send_bulk(first.smtp_address, _rota(_file()))
        assert said.data == (250, "2.0.0 Received rota.csv: a preview will follow by email")
        [preview] = first.wait_until(
            lambda: _saying(bridges, "is ready to check"), timeout=60, what="the preview"
        )
        assert set(_states(dsn)) <= {"held"}  # stored after the preview; SEND waits for them
        control = str(preview["Reply-To"])
        reply = message(to=control, subject="Re: Rota", body="SEND\n")
        sent = converse(
            second.smtp_address,
            mail_from="alice@example.com",
            rcpts=[control],
            content=reply.as_bytes(),
        )
        assert sent.data == (250, f"2.0.0 {ROWS} texts queued.")
        first.wait_until(
            lambda: _states(dsn).get("sent", 0) >= 20, timeout=60, what="some texts sent"
        )
        cancel = message(to=control, subject="Re: Rota", body="CANCEL\n")
        done = converse(
            first.smtp_address,
            mail_from="alice@example.com",
            rcpts=[control],
            content=cancel.as_bytes(),
        )
        assert done.data is not None and done.data[0] == 250 and "cancelled" in done.data[1]
        [summary] = first.wait_until(
            lambda: _saying(bridges, "was cancelled"), timeout=60, what="the summary"
        )
        states = _states(dsn)
        assert set(states) <= {"sent", "cancelled"} and sum(states.values()) == ROWS, states
        assert 20 <= states["sent"] < ROWS and states["cancelled"] > 0
        phones = [entry["to"] for entry in read_journal(journal)]
        assert len(phones) == len(set(phones)) == states["sent"]  # none twice, none cancelled
        assert f"Cancelled: {states['cancelled']:,}" in str(
            summary.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        )
        assert len(_saying(bridges, "is ready to check")) == 1  # one preview, not one each


def test_a_file_of_several_chunks_is_stored_whole_after_its_preview(
    tmp_path: Path, dsn: str
) -> None:
    """On PostgreSQL the texts are stored a chunk a transaction after the preview: every row
    ends as one held text with its own line, and the preview counts them all."""
    rows = 4500  # three chunks, the last one short
    bridge = BridgeProcess(
        tmp_path / "a",
        store={"backend": "postgres", "dsn": dsn},
        smtp={"max_message_size": 1_000_000},
        extra=RULES,
    )
    assert bridge.cli("migrate").returncode == 0
    with bridge:
        data = _file(rows, prefix="07911 1")  # mobile numbers in use
        said = send_bulk(bridge.smtp_address, _rota(data))
        assert said.data is not None and said.data[0] == 250
        [preview] = bridge.wait_until(
            lambda: _saying((bridge,), "is ready to check"), timeout=60, what="the preview"
        )
        bridge.wait_until(
            lambda: _states(dsn) == {"held": rows} or None, timeout=30, what="every text held"
        )
    assert "Texts to send: 4,500\n" in str(
        preview.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    )
    stored = _rows(dsn, "SELECT bulk_line, to_number, state FROM sms_jobs ORDER BY bulk_line")
    assert [r["bulk_line"] for r in stored] == list(range(2, rows + 2))
    assert {r["state"] for r in stored} == {"held"}
    assert stored[-1]["to_number"] == f"+4479111{rows - 1:05d}"
