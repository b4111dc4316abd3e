"""Importing and exporting the address book: the format by name or file extension, the
file read by its module, the good rows saved, the counts and the bad rows returned."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath

from bridge.contacts import csv_format, vcard
from bridge.contacts.records import Parsed, Problem
from bridge.models import Contact
from bridge.store.base import Contacts

__all__ = [
    "BATCH",
    "Format",
    "Imported",
    "export_contacts",
    "guess_format",
    "import_contacts",
    "read_contacts",
]

BATCH = 500  # contacts per transaction: a large file never holds the writer for long


class Format(enum.StrEnum):
    CSV = "csv"
    VCARD = "vcard"


_EXTENSIONS = {".csv": Format.CSV, ".txt": Format.CSV, ".vcf": Format.VCARD, ".vcard": Format.VCARD}


def guess_format(path: PurePath) -> Format | None:
    """The format a file's extension names (``.csv``, ``.vcf``), or None."""
    return _EXTENSIONS.get(path.suffix.lower())


@dataclass(frozen=True, slots=True)
class Imported:
    """What an import did: contacts saved (new or replaced), and the rows left out."""

    saved: int
    problems: tuple[Problem, ...]

    @property
    def skipped(self) -> int:
        return len(self.problems)


def read_contacts(data: bytes, *, fmt: Format, default_region: str) -> Parsed:
    if fmt is Format.CSV:
        return csv_format.read(data, default_region=default_region)
    return vcard.read(data, default_region=default_region)


async def import_contacts(
    store: Contacts, data: bytes, *, fmt: Format, default_region: str, now: datetime
) -> Imported:
    """Save every good row of ``data`` (a number given twice: its last row wins); raises
    ``ContactFileError`` when the file as a whole cannot be read."""
    parsed = read_contacts(data, fmt=fmt, default_region=default_region)
    latest = {contact.number: contact for contact in parsed.contacts}
    ordered = list(latest.values())
    saved = 0
    for start in range(0, len(ordered), BATCH):
        saved += await store.save_contacts(ordered[start : start + BATCH], now=now)
    return Imported(saved, tuple(parsed.problems))


def export_contacts(contacts: Sequence[Contact], *, fmt: Format) -> bytes:
    return csv_format.write(contacts) if fmt is Format.CSV else vcard.write(contacts)
