"""The consent ledger as CSV, and an old provider's opt-out list read from CSV.

Written like the address book (``csv_format``): UTF-8 with a BOM, CRLF, and a cell starting
with ``= + - @`` guarded with ``'`` so a spreadsheet shows it rather than runs it. Read: a
``number`` column (``phone``, ``mobile``, ``msisdn`` also), an optional ``date`` column
(``2026-03-01`` or ``2026-03-01T09:30:00+00:00``; UTC unless an offset is given; the time of
the import when missing), the delimiter the header uses; each bad row is a problem naming
its line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bridge.contacts.csv_format import guarded
from bridge.contacts.records import ContactFileError, Problem, decode
from bridge.errors import InvalidNumber
from bridge.models import ConsentEvent
from bridge.parsing.numbers import parse_number

__all__ = ["COLUMNS", "OptOutRow", "OptOutRows", "read_numbers", "write_events"]

COLUMNS = ("at", "customer", "action", "scope", "how", "evidence", "by", "reason", "campaign")
_NUMBER = ("number", "phone", "phone_number", "mobile", "msisdn", "to")
_DATE = ("date", "opted_out_at", "at", "since")


@dataclass(frozen=True, slots=True)
class OptOutRow:
    number: str
    at: datetime | None
    line: int


@dataclass(slots=True)
class OptOutRows:
    rows: list[OptOutRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def read_numbers(data: bytes, *, default_region: str) -> OptOutRows:
    """Every row's number (E.164) and date, or a problem naming its line."""
    text = decode(data)
    if not text.strip():
        raise ContactFileError("the file is empty")
    header = text.splitlines()[0]
    delimiter = max(("\t", ";", ","), key=header.count) if any(m in header for m in "\t;,") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    names = [cell.strip().lstrip("'").lower() for cell in next(reader)]
    number_at = next((names.index(n) for n in _NUMBER if n in names), None)
    if number_at is None:
        raise ContactFileError(f"no number column: name one of {', '.join(_NUMBER)}")
    date_at = next((names.index(n) for n in _DATE if n in names), None)
    found = OptOutRows()
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        try:
            found.rows.append(_row(cells, number_at, date_at, line, default_region))
        except (InvalidNumber, ValueError) as exc:
            reason = exc.reason if isinstance(exc, InvalidNumber) else str(exc)
            found.problems.append(Problem(line, reason))
    return found


def _row(
    cells: list[str], number_at: int, date_at: int | None, line: int, region: str
) -> OptOutRow:
    given = cells[number_at].strip().lstrip("'") if number_at < len(cells) else ""
    if not given:
        raise ValueError("no number")
    number = parse_number(given, default_region=region)
    written = cells[date_at].strip() if date_at is not None and date_at < len(cells) else ""
    return OptOutRow(number, _date(written) if written else None, line)


def _date(written: str) -> datetime:
    try:
        at = datetime.fromisoformat(written)
    except ValueError:
        raise ValueError(f"{written[:40]!r} is not a date such as 2026-03-01") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def write_events(events: Iterable[ConsentEvent], *, bom: bool = True) -> bytes:
    """The ledger as CSV (UTF-8, CRLF line ends, as Excel writes them)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for event in events:
        cells = (
            event.at.isoformat(timespec="seconds"),
            event.customer,
            event.action,
            "organisation" if event.scope == "*" else event.scope,
            event.how,
            event.evidence,
            event.by,
            event.reason,
            event.campaign,
        )
        writer.writerow([guarded(cell) for cell in cells])
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")
