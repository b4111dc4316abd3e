"""Contacts files as spreadsheets and address books write them: CSV from Excel (UTF-8 with a
BOM, Windows-1252, semicolons), vCards from Google Contacts, Apple Contacts and Outlook; bad
rows reported by line while the good ones import; what is written reads back the same."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bridge.contacts import csv_format, vcard
from bridge.contacts.records import ContactFileError
from bridge.contacts.transfer import Format, guess_format, import_contacts
from bridge.models import Contact
from bridge.store.base import Store

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
ANN = Contact(
    number="+447700900123",
    name="Zoë O'Brien, Jr",
    email="zoe@example.com",
    tags=("late", "vip"),
    timezone="Europe/London",
    language="en-GB",
    notes='Line one; "quoted"\nLine two, with = and @',
)
FORMULA = Contact(number="+447700900456", name='=HYPERLINK("http://x")', notes="@SUM(A1)")


def test_an_excel_csv_in_windows_1252_with_semicolons_is_read() -> None:
    data = (
        "Number;Name;Email;Tags;Timezone;Language;Notes\r\n"
        "07700 900123;Zoë Brown;zoe@example.com;VIP|Late;Europe/London;en-gb;Café\r\n"
    ).encode("cp1252")
    parsed = csv_format.read(data, default_region="GB")
    assert parsed.problems == []
    [zoe] = parsed.contacts
    assert zoe == Contact(
        number="+447700900123",
        name="Zoë Brown",
        email="zoe@example.com",
        tags=("late", "vip"),
        timezone="Europe/London",
        language="en-GB",
        notes="Café",
    )


def test_a_bom_a_sep_line_and_columns_in_any_order_are_understood() -> None:
    data = b"\xef\xbb\xbfsep=;\r\nname;number\r\nZo\xc3\xab;+447700900123\r\n"
    [zoe] = csv_format.read(data, default_region="GB").contacts
    assert (zoe.name, zoe.number) == ("Zoë", "+447700900123")


def test_bad_rows_are_reported_by_line_and_the_good_ones_kept() -> None:
    data = (
        b"number,name,email,tags\n"
        b"+447700900123,Ann,ann@example.com,a;b\n"
        b"\n"
        b"12,Too short,,\n"
        b'+447700900456,"Bob\nover two lines",not-an-address,\n'
        b",No number,,\n"
        b"+447700900789,Cy,,\n"
    )
    parsed = csv_format.read(data, default_region="GB")
    assert [c.name for c in parsed.contacts] == ["Ann", "Cy"]
    assert [(p.line, p.reason.split(":")[0]) for p in parsed.problems] == [
        (4, "number"),
        (5, "email"),
        (7, "number"),
    ]
    assert str(parsed.problems[2]) == "line 7: number: the cell is empty"


def test_a_file_without_a_number_column_is_refused_as_a_whole() -> None:
    with pytest.raises(ContactFileError, match="number"):
        csv_format.read(b"phone,name\n+447700900123,Ann\n", default_region="GB")
    with pytest.raises(ContactFileError, match="empty"):
        csv_format.read(b"", default_region="GB")


def test_csv_export_guards_against_formulas_and_reads_back_the_same() -> None:
    data = csv_format.write([ANN, FORMULA])
    assert data.startswith(b"\xef\xbb\xbfnumber,name,email,tags,timezone,language,notes\r\n")
    text = data.decode("utf-8-sig")
    assert "'+447700900123" in text and "'=HYPERLINK" in text and "'@SUM(A1)" in text
    assert "\n=" not in text and ",=" not in text and ",@" not in text
    assert csv_format.read(data, default_region="GB").contacts == [ANN, FORMULA]


GOOGLE = """BEGIN:VCARD
VERSION:3.0
FN:Ann Example
N:Example;Ann;;;
EMAIL;TYPE=INTERNET;TYPE=HOME:ann@example.com
TEL;TYPE=CELL:+44 7700 900123
TEL;TYPE=WORK:+44 20 7946 0000
CATEGORIES:myContacts,VIP
NOTE:Met at the fair\\, 2025.\\nLikes mornings.
END:VCARD
"""
APPLE = """BEGIN:VCARD\r
VERSION:3.0\r
PRODID:-//Apple Inc.//macOS 14.0//EN\r
N:Brown;Bob;;Dr;\r
item1.EMAIL;type=INTERNET;type=pref:bob@example.org\r
item1.X-ABLabel:_$!<Other>!$_\r
TEL;type=HOME;type=VOICE:020 7946 0000\r
TEL;type=CELL;type=VOICE;type=pref:07700 9\r
 00456\r
TZ:-05:00\r
END:VCARD\r
"""
OUTLOOK = (
    "BEGIN:VCARD\r\n"
    "VERSION:2.1\r\n"
    "N;LANGUAGE=en-gb:Jones;Cy\r\n"
    "FN:Cy Jones\r\n"
    "TEL;CELL;VOICE:+447700900789\r\n"
    "EMAIL;PREF;INTERNET:cy@example.net\r\n"
    "NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=Windows-1252:Caf=E9 on Fridays=0D=0A=\r\n"
    "Second line\r\n"
    "END:VCARD\r\n"
)


def test_vcards_from_google_apple_and_outlook_are_read() -> None:
    data = GOOGLE.encode() + APPLE.encode() + OUTLOOK.encode("cp1252")
    parsed = vcard.read(data, default_region="GB")
    assert parsed.problems == []
    ann, bob, cy = parsed.contacts
    assert ann == Contact(
        number="+447700900123",
        name="Ann Example",
        email="ann@example.com",
        tags=("vip",),
        notes="Met at the fair, 2025.\nLikes mornings.",
    )
    assert (bob.number, bob.name, bob.email, bob.timezone) == (
        "+447700900456",
        "Dr Bob Brown",
        "bob@example.org",
        "",  # an offset is no time zone
    )
    assert (cy.number, cy.email, cy.notes) == (
        "+447700900789",
        "cy@example.net",
        "Café on Fridays\nSecond line",
    )


def test_a_bad_card_is_reported_at_its_begin_line_and_the_rest_read() -> None:
    bad = "BEGIN:VCARD\nVERSION:3.0\nFN:No phone\nEMAIL:x@example.com\nEND:VCARD\n"
    wrong_zone = "BEGIN:VCARD\nVERSION:4.0\nFN:Z\nTEL:+447700900111\nTZ:Mars/Base\nEND:VCARD\n"
    parsed = vcard.read((bad + GOOGLE + wrong_zone).encode(), default_region="GB")
    assert [c.name for c in parsed.contacts] == ["Ann Example"]
    assert [(p.line, p.reason.split(":")[0]) for p in parsed.problems] == [
        (1, "the card has no phone number (TEL)"),
        (16, "timezone"),
    ]
    with pytest.raises(ContactFileError):
        vcard.read(b"number,name\n", default_region="GB")


def test_vcard_4_is_written_folded_and_reads_back_the_same() -> None:
    long_notes = Contact(number="+447700900999", name="Ünïcödé " * 12, notes="x" * 200)
    data = vcard.write([ANN, long_notes])
    text = data.decode()
    assert text.startswith("BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Zoë O'Brien\\, Jr\r\n")
    assert "TEL;VALUE=uri;TYPE=cell:tel:+447700900123\r\n" in text
    assert "CATEGORIES:late,vip\r\n" in text and "TZ:Europe/London\r\n" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    back = vcard.read(data, default_region="GB").contacts
    assert back == [
        ANN,
        Contact(number="+447700900999", name=long_notes.name.strip(), notes="x" * 200),
    ]


def test_the_format_is_guessed_from_the_extension() -> None:
    from pathlib import PurePath

    assert guess_format(PurePath("book.CSV")) is Format.CSV
    assert guess_format(PurePath("book.vcf")) is Format.VCARD
    assert guess_format(PurePath("book.xlsx")) is None


async def test_an_import_saves_the_good_rows_and_counts(store: Store) -> None:
    data = b"number,name\n+447700900123,Ann\nnope,Bad\n+447700900123,Ann Again\n+447700900456,Bob\n"
    done = await import_contacts(store, data, fmt=Format.CSV, default_region="GB", now=T0)
    assert (done.saved, done.skipped) == (2, 1)
    assert [c.name for c in await store.contacts()] == ["Ann Again", "Bob"]
