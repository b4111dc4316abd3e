"""Contacts as CSV: ``number,name,email,tags,timezone,language,notes``.

Read as Excel and other spreadsheets write it: UTF-8 with or without a BOM, or Windows-1252;
comma, semicolon (Excel where the decimal mark is a comma) or tab delimited, with Excel's
``sep=;`` first line understood; columns in any order, named case-insensitively, only
``number`` required. Tags are separated by ``;`` or ``|`` inside their cell. Written with a
BOM (so Excel shows accents right) and a cell starting with ``= + - @`` (or a tab or carriage
return) prefixed with ``'``, so a spreadsheet shows it rather than runs it as a formula
(a number's ``+`` too, which also keeps Excel from turning it into 4.47701E+11); reading
takes that ``'`` off again.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from bridge.contacts.records import ContactFileError, Parsed, Problem, decode
from bridge.models import Contact
from bridge.parsing.contacts import InvalidContact, make_contact

__all__ = ["COLUMNS", "guarded", "read", "write"]

COLUMNS = ("number", "name", "email", "tags", "timezone", "language", "notes")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def read(data: bytes, *, default_region: str) -> Parsed:
    """Every row as a contact, or as a problem naming its line; ``default_region`` reads
    national numbers (``07700 900123``)."""
    text = decode(data)
    lines = text.splitlines(keepends=True)
    skipped = 0
    delimiter = None
    if lines and lines[0].strip().lower().startswith("sep=") and len(lines[0].strip()) == 5:
        delimiter, skipped = lines[0].strip()[4], 1
    body = "".join(lines[skipped:])
    if not body.strip():
        raise ContactFileError("the file is empty")
    header_line = body.splitlines()[0]
    delimiter = delimiter or _delimiter(header_line)
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter)
    columns = [_unescape(name).strip().lower() for name in next(reader)]
    if "number" not in columns:
        raise ContactFileError(
            f"the first line must name the columns, one of them number: {','.join(COLUMNS)}"
        )
    parsed = Parsed()
    while True:
        line = reader.line_num + 1 + skipped
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            parsed.problems.append(Problem(line, f"not readable as CSV: {exc}"))
            break
        if not any(cell.strip() for cell in row):
            continue
        _add(parsed, line, dict(zip(columns, row, strict=False)), default_region)
    return parsed


def _add(parsed: Parsed, line: int, cells: dict[str, str], default_region: str) -> None:
    values = {name: _unescape(cells.get(name, "")) for name in COLUMNS}
    if not values["number"].strip():
        parsed.problems.append(Problem(line, "number: the cell is empty"))
        return
    try:
        contact = make_contact(
            number=values["number"],
            default_region=default_region,
            name=values["name"],
            email=values["email"],
            tags=[values["tags"]],
            timezone=values["timezone"],
            language=values["language"],
            notes=values["notes"],
        )
    except InvalidContact as exc:
        parsed.problems.append(Problem(line, exc.reason))
        return
    parsed.contacts.append(contact)


def _delimiter(header: str) -> str:
    """The header's own delimiter: whichever of tab, semicolon and comma it uses most."""
    counts = {mark: header.count(mark) for mark in ("\t", ";", ",")}
    best = max(counts, key=lambda mark: counts[mark])
    return best if counts[best] else ","


def _unescape(cell: str) -> str:
    """A cell as it was before ``write`` guarded it against formulas."""
    if cell.startswith("'") and cell[1:2] and cell[1] in _FORMULA:
        return cell[1:]
    return cell


def write(contacts: Iterable[Contact], *, bom: bool = True) -> bytes:
    """The contacts as CSV (UTF-8, CRLF line ends, as Excel writes them)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for contact in contacts:
        cells = (
            contact.number,
            contact.name,
            contact.email,
            ";".join(contact.tags),
            contact.timezone,
            contact.language,
            contact.notes,
        )
        writer.writerow([guarded(cell) for cell in cells])
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")


def guarded(cell: str) -> str:
    """A cell a spreadsheet shows rather than runs: ``=1+1`` -> ``'=1+1``."""
    return "'" + cell if cell.startswith(_FORMULA) else cell
