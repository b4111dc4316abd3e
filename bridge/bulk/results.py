"""The per-row result CSV: one line per row of the author's file, saying what became of it.

Columns: ``line`` (the file's line), ``number`` (E.164 when it could be read, else the cell
as written), ``status`` (``Status``'s words), ``reason`` (why not sent, or until when),
``country``, ``segments`` and ``reference`` (the text's job id, for the outbox).

Written as the bridge's other CSVs are (``contacts/csv_format.py``): UTF-8 with a BOM, so
Excel shows accents right, CRLF line ends, and every cell that begins with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return prefixed with ``'``, so a spreadsheet shows it
rather than runs it as a formula. That includes every number: ``'+447700900123``. Left
bare, Excel would read ``+447700900123`` as the formula ``=+447700900123`` and show
``4.47701E+11``, which is both unreadable and wrong; with the apostrophe it is text, shown
whole with its ``+``. Reading the file back (as a bulk file or a contacts import) takes the
apostrophe off again, so a result CSV filtered to its failed rows can be sent again as is.

Rows are encoded one at a time (``result_lines``), so the wiring can write a 100,000-row
file as the store hands rows over, without holding it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO

from bridge.bulk.outcomes import CheckedPlan
from bridge.bulk.status import Status
from bridge.contacts.csv_format import guarded

__all__ = ["COLUMNS", "ResultRow", "not_sent", "result_lines", "write_results"]

COLUMNS = ("line", "number", "status", "reason", "country", "segments", "reference")
_BOM = "\ufeff"


@dataclass(frozen=True, slots=True)
class ResultRow:
    line: int
    number: str
    status: Status
    reason: str = ""
    country: str = ""
    segments: int = 0
    reference: str = ""

    def cells(self) -> tuple[str, ...]:
        segments = str(self.segments) if self.segments else ""
        values = (self.number, self.status.value, self.reason, self.country)
        return (str(self.line), *(guarded(value) for value in values), segments, self.reference)


def result_lines(rows: Iterable[ResultRow]) -> Iterator[bytes]:
    """The CSV's bytes, a line at a time: the BOM and header first, then one line a row."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    yield (_BOM + out.getvalue()).encode("utf-8")
    for row in rows:
        out.seek(0)
        out.truncate()
        writer.writerow(row.cells())
        yield out.getvalue().encode("utf-8")


def write_results(rows: Iterable[ResultRow], out: IO[bytes]) -> int:
    """Write the CSV to ``out`` (a file the caller opened) as rows arrive; the rows written."""
    lines = 0
    for chunk in result_lines(rows):
        out.write(chunk)
        lines += 1
    return lines - 1  # the header is not a row


def not_sent(checked: CheckedPlan) -> Iterator[ResultRow]:
    """The preview's attachment: every row that will not get a text, in the file's order
    (row errors, merged duplicates, refusals and opt-outs)."""
    plan = checked.plan
    rows: list[ResultRow] = [
        ResultRow(error.line, error.written, Status.INVALID, error.reason) for error in plan.errors
    ]
    rows += (
        ResultRow(
            dup.line, dup.number, Status.DUPLICATE, f"the same number as line {dup.first_line}"
        )
        for dup in plan.duplicates
    )
    rows += (
        ResultRow(row.line, row.number, outcome.status, outcome.reason, row.country)
        for row, outcome in checked.pairs()
        if not outcome.status.goes
    )
    return iter(sorted(rows, key=lambda row: row.line))
