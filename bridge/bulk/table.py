"""An attachment's bytes as a header and rows, each with the line of the file it starts on.

CSV is read as Excel writes it: UTF-8 with or without a BOM, UTF-16 with its BOM (Excel's
"Unicode text", tab-separated), else Windows-1252 (older Excel, Outlook); comma, semicolon
(Excel where the decimal mark is a comma) or tab, whichever the header line uses outside
quotes, or the one Excel's ``sep=;`` first line names. A quoted cell may hold line breaks; a
row's line is still the file's line where the row starts, as a text editor counts them.
XLSX is read with openpyxl in read-only mode, which streams the sheet's XML: the first sheet
only, its first non-empty row the header.

Rows are yielded one at a time, never held here, so a 100,000-row file costs what the caller
keeps of it. Blank rows (Excel leaves ``;;;`` lines at the end) are skipped. Whatever makes
the whole file unusable is a ``BulkFileError`` with a sentence for the author.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bridge.bulk.cells import cell_text
from bridge.errors import BridgeError

__all__ = ["BulkFileError", "Row", "Table", "read_table"]

_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_DELIMITERS = ("\t", ";", ",")
_QUOTED = re.compile(r'"[^"]*"')
_DATA_LIKE = re.compile(r"[+0-9][0-9 ().\-]{5,}")  # a phone number where a column name should be
_CHUNK = 1 << 16  # bytes checked as UTF-8 at a time, so no copy of the whole file is made


class BulkFileError(BridgeError):
    """The file as a whole cannot be used; ``reason`` is a sentence for its author."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: ``line`` is the file's line (CSV) or the sheet's row number (XLSX)."""

    line: int
    cells: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Table:
    """The header, what kind of file it was (for the preview: "CSV, Windows-1252, separated by
    semicolons"), and the rows, read while they are iterated (once)."""

    kind: str
    header: tuple[str, ...]
    header_line: int
    rows: Iterator[Row]


def read_table(data: bytes, *, max_rows: int) -> Table:
    """The table in ``data`` (CSV or XLSX, told apart by their bytes, not by a file name).
    Iterating ``rows`` raises ``BulkFileError`` past ``max_rows`` data rows."""
    if len(data) <= _CHUNK and not data.strip(b" \t\r\n\x00" + codecs.BOM_UTF8):
        raise BulkFileError("The attached file is empty.")
    if data.startswith(_OLE2):
        raise BulkFileError(
            "The attached file is an Excel 97-2003 workbook (.xls) or one protected by a"
            " password, which the bridge cannot read: in Excel, remove the password if it has"
            " one, choose Save As and save it as an Excel Workbook (.xlsx) or as CSV, then"
            " send it again."
        )
    if data.startswith(_ZIP):
        return _xlsx(data, max_rows)
    return _csv(data, max_rows)


def _csv(data: bytes, max_rows: int) -> Table:
    encoding = _encoding(data)
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors="replace", newline="")
    lines = iter(stream)
    first = next(lines, "")
    skipped = 0
    delimiter = ""
    if re.fullmatch(r"sep=(.)\r?\n?", first, flags=re.IGNORECASE):
        delimiter, skipped, first = first[4], 1, next(lines, "")
    delimiter = delimiter or _delimiter(first)
    reader = csv.reader(_chain(first, lines), delimiter=delimiter, strict=True)
    rows = _csv_rows(reader, skipped, max_rows)
    header_line, header = next(rows, (0, ()))
    if not header:
        raise BulkFileError("The attached file has no lines with anything in them.")
    _check_header(header)
    kind = f"CSV, {_ENCODINGS[encoding]}, separated by {_NAMES.get(delimiter, repr(delimiter))}"
    return Table(kind, header, header_line, (Row(line, cells) for line, cells in rows))


_ENCODINGS = {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "utf-16": "UTF-16", "cp1252": "Windows-1252"}
_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs"}


def _encoding(data: bytes) -> str:
    """UTF-8 or UTF-16 by their BOM; else UTF-8 when every byte decodes as UTF-8, which text
    in another charset almost never does; else Windows-1252. A NUL byte outside UTF-16 is a
    binary file, not text."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    if b"\x00" in data[:_CHUNK]:
        raise BulkFileError(
            "The attached file is not text, nor an Excel workbook: send the list as CSV or .xlsx."
        )
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(data), _CHUNK):
            decoder.decode(data[start : start + _CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _delimiter(header: str) -> str:
    """Whichever of tab, semicolon and comma the header line uses most outside quotes."""
    bare = _QUOTED.sub("", header)
    counts = {mark: bare.count(mark) for mark in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda mark: counts[mark])
    return best if counts[best] else ","


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _csv_rows(reader: Any, skipped: int, max_rows: int) -> Iterator[tuple[int, tuple[str, ...]]]:
    """(line, cells) of each non-blank row, the header first. ``reader.line_num`` counts the
    physical lines read so far, so a row starts one after where the last one ended."""
    end = 0
    count = -1  # the header is not a data row
    while True:
        start = end + 1 + skipped
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise BulkFileError(_broken(start, exc)) from None
        end = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        count += 1
        if count > max_rows:
            raise _too_many(max_rows)
        yield start, tuple(cells)


def _broken(line: int, exc: csv.Error) -> str:
    if "field larger" in str(exc) or "end of data" in str(exc):
        return (
            f'Line {line} of the attached file opens a quoted cell (") that is never closed,'
            " so the rest of the file cannot be read: close the quote or remove it."
        )
    return (
        f"Line {line} of the attached file cannot be read as CSV ({exc}): a cell that starts"
        ' with a quote (") must end with one.'
    )


def _too_many(max_rows: int) -> BulkFileError:
    return BulkFileError(
        f"The attached file has more than {max_rows:,} rows, the most one bulk send may have:"
        " split it into smaller files and send each in its own email."
    )


def _check_header(header: tuple[str, ...]) -> None:
    """The first row must name the columns; a phone number in it means there is no header."""
    named = [cell.strip() for cell in header if cell.strip()]
    if any(_DATA_LIKE.fullmatch(cell) for cell in named):
        raise BulkFileError(
            "The first line of the attached file should name the columns (such as"
            f' "number;first_name"), but it holds "{named[0][:20]}": add a line of column'
            " names at the top."
        )


def _xlsx(data: bytes, max_rows: int) -> Table:
    from openpyxl import load_workbook  # imported here: only a bulk send with XLSX pays for it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise BulkFileError(
            "The attached file could not be read as an Excel workbook (.xlsx): open it in"
            " Excel and save it again, or save it as CSV, and send it again."
        ) from None
    sheet = book.worksheets[0]
    sheet.reset_dimensions()  # some programs write wrong dimensions; read what is there
    rows = _xlsx_rows(book, sheet, max_rows)
    header_line, header = next(rows, (0, ()))
    if not header:
        book.close()
        raise BulkFileError(f'The first sheet ("{sheet.title}") of the attached workbook is empty.')
    _check_header(header)
    kind = f'Excel workbook, sheet "{sheet.title}"'
    return Table(kind, header, header_line, (Row(line, cells) for line, cells in rows))


def _xlsx_rows(book: Any, sheet: Any, max_rows: int) -> Iterator[tuple[int, tuple[str, ...]]]:
    count = -1
    try:
        for cells in sheet.iter_rows():
            values = tuple(
                cell_text(cell.value, getattr(cell, "number_format", "General")) for cell in cells
            )
            if not any(value.strip() for value in values):
                continue
            count += 1
            if count > max_rows:
                raise _too_many(max_rows)
            yield _row_number(cells), values
    finally:
        book.close()


def _row_number(cells: tuple[Any, ...]) -> int:
    return int(next(cell.row for cell in cells if getattr(cell, "row", None)))
