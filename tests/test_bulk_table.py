"""A bulk send's attachment read as Excel and people write them: encodings, delimiters,
line numbers across quoted line breaks, XLSX numbers, and the files that cannot be used."""

from __future__ import annotations

import codecs
import io
import tracemalloc
from datetime import datetime

import openpyxl
import pytest

from bridge.bulk.cells import LostDigits, cell_text, unscientific
from bridge.bulk.table import BulkFileError, Row, read_table

# What Excel in a German or French locale saves as "CSV (Trennzeichen-getrennt)": the code page,
# semicolons, decimal commas, CRLF, and the trailing ";;" lines of cells once used.
EUROPEAN = (
    "Nummer;Vorname;Betrag;Straße\r\n"
    "+49 151 23456789;Jürgen;12,50;Hauptstraße 5\r\n"
    "07700 900123;Renée;1.234,00;Rue de l'Église\r\n"
    ";;;\r\n"
)


def rows(data: bytes, max_rows: int = 1000) -> list[Row]:
    return list(read_table(data, max_rows=max_rows).rows)


@pytest.mark.parametrize(
    ("encoded", "kind"),
    [
        (EUROPEAN.encode("cp1252"), "CSV, Windows-1252, separated by semicolons"),
        (EUROPEAN.encode("utf-8"), "CSV, UTF-8, separated by semicolons"),
        (codecs.BOM_UTF8 + EUROPEAN.encode("utf-8"), "CSV, UTF-8, separated by semicolons"),
        (EUROPEAN.replace(";", "\t").encode("utf-16"), "CSV, UTF-16, separated by tabs"),
        (
            codecs.BOM_UTF16_BE + EUROPEAN.encode("utf-16-be"),
            "CSV, UTF-16, separated by semicolons",
        ),
    ],
    ids=["windows-1252", "utf-8", "utf-8-bom", "utf-16-le-tabs", "utf-16-be"],
)
def test_a_european_excel_csv_reads_the_same_in_every_encoding(encoded: bytes, kind: str) -> None:
    table = read_table(encoded, max_rows=10)
    assert table.kind == kind
    assert table.header == ("Nummer", "Vorname", "Betrag", "Straße")
    read = list(table.rows)
    assert [row.line for row in read] == [2, 3]  # the blank ";;;" line is no row
    assert read[0].cells == ("+49 151 23456789", "Jürgen", "12,50", "Hauptstraße 5")
    assert read[1].cells[1:3] == ("Renée", "1.234,00")  # decimal commas stay in their cell


def test_the_delimiter_is_the_one_the_header_uses_outside_quotes() -> None:
    data = b'number,"Name; as written",note\n+447700900123,"Doe; Jane",a;b\n'
    assert rows(data)[0].cells == ("+447700900123", "Doe; Jane", "a;b")


def test_excels_sep_line_names_the_delimiter_and_counts_as_a_line() -> None:
    data = b"sep=,\r\nnumber;x,name\r\n+447700900123;1,Ann\r\n"
    table = read_table(data, max_rows=10)
    assert table.header == ("number;x", "name")
    assert [(row.line, row.cells) for row in table.rows] == [(3, ("+447700900123;1", "Ann"))]


def test_any_delimiter_excels_sep_line_names_is_used() -> None:
    table = read_table(b"sep=|\nnumber|name\n+447700900123|Ann\n", max_rows=10)
    assert table.kind == "CSV, UTF-8, separated by '|'"
    assert [row.cells for row in table.rows] == [("+447700900123", "Ann")]


def test_a_row_after_quoted_line_breaks_keeps_its_line_in_the_file() -> None:
    data = (
        b"number,note,name\r\n"
        b'+447700900123,"first\r\nsecond\r\nthird",Ann\r\n'
        b'+447700900124,"one\nbare LF",Bob\r\n'
        b"+447700900125,plain,Cy\r\n"
    )
    read = rows(data)
    assert [row.line for row in read] == [2, 5, 7]
    assert read[0].cells[1] == "first\r\nsecond\r\nthird"


def test_a_quote_never_closed_is_an_error_naming_its_line() -> None:
    with pytest.raises(BulkFileError, match=r"Line 3 .* never closed"):
        rows(b'number,name\n+447700900123,Ann\n+447700900124,"Bob\n+447700900125,Cy\n')


def test_an_xlsx_sheet_gives_its_numbers_as_digits_and_its_row_numbers_as_lines() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Kunden"
    sheet.append(["Mobile", "First name", "Amount", "Due"])
    sheet.append([447700900123.0, "Ann", 12.5, datetime(2026, 12, 24)])
    sheet.append([])
    sheet.append([7700900124, "Bob", 3.0, None])
    sheet["C2"].number_format = "0.00"
    book.create_sheet("Second").append(["not", "read"])
    out = io.BytesIO()
    book.save(out)
    table = read_table(out.getvalue(), max_rows=10)
    assert table.kind == 'Excel workbook, sheet "Kunden"'
    assert table.header == ("Mobile", "First name", "Amount", "Due")
    assert [(row.line, row.cells) for row in table.rows] == [
        (2, ("447700900123", "Ann", "12.50", "2026-12-24")),
        (4, ("7700900124", "Bob", "3")),  # a row ends at its last cell written
    ]


@pytest.mark.parametrize(
    ("value", "number_format", "text"),
    [
        (447700900123.0, "General", "447700900123"),
        (447700900123.0, "0.00E+00", "447700900123"),  # shown rounded, stored whole
        (12.5, "#,##0.00 [$€-407]", "12.50"),
        (0.125, "0.0%", "12.5%"),
        (999999999999999.0, "General", "999999999999999"),  # 15 digits, the most E.164 has
        (0.1, "General", "0.1"),
        (True, "General", "TRUE"),
        (None, "General", ""),
        (datetime(2026, 3, 29, 1, 30), "dd/mm/yyyy hh:mm", "2026-03-29 01:30:00"),
    ],
)
def test_cell_values_become_the_text_people_expect(
    value: object, number_format: str, text: str
) -> None:
    assert cell_text(value, number_format) == text


def test_scientific_notation_is_read_when_whole_and_refused_when_rounded() -> None:
    assert unscientific("4.47700900123E+11") == "447700900123"
    assert unscientific("4,47700900123E+11") == "447700900123"  # a European Excel
    assert unscientific("07700 900123") == "07700 900123"
    with pytest.raises(LostDigits, match="rounded into scientific notation"):
        unscientific("4.47701E+11")


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "empty"),
        (codecs.BOM_UTF8 + b"\r\n\r\n", "empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, r"97-2003 workbook \(\.xls\)"),
        (b"PK\x03\x04 not really a zip", r"could not be read as an Excel workbook"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not text, nor an Excel workbook"),
        (b"+447700900123,Ann\n+447700900124,Bob\n", "should name the columns"),
    ],
    ids=["empty", "bom-only", "xls", "broken-xlsx", "picture", "no-header"],
)
def test_a_file_that_cannot_be_used_says_why_in_a_sentence(data: bytes, says: str) -> None:
    with pytest.raises(BulkFileError, match=says) as caught:
        rows(data)
    assert caught.value.reason.endswith(".")


def test_more_rows_than_allowed_is_an_error_not_a_cut() -> None:
    data = b"number\n" + b"".join(b"+4477009%05d\n" % i for i in range(6))
    assert len(rows(data, max_rows=6)) == 6
    with pytest.raises(BulkFileError, match="more than 5 rows"):
        rows(data, max_rows=5)


def test_rows_are_streamed_not_held() -> None:
    """Reading 100,000 rows one by one allocates at its peak a small part of what the rows
    weigh when held (measured as such, so the bound is not a guess)."""
    data = b"number,first_name,order\n" + b"".join(
        b"+4477009%05d,Customer %d,%d\n" % (i % 1000, i, i) for i in range(100_000)
    )
    tracemalloc.start()
    count = sum(1 for _ in read_table(data, max_rows=100_000).rows)
    streamed = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    held = list(read_table(data, max_rows=100_000).rows)
    whole = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert count == len(held) == 100_000
    assert streamed < whole / 10
