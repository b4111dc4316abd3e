"""What reading a contacts file gives, whatever its format: the good rows, and the bad ones
with their line and reason (a bad row never stops the rest from importing)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bridge.errors import BridgeError
from bridge.models import Contact

__all__ = ["ContactFileError", "Parsed", "Problem", "decode"]


class ContactFileError(BridgeError):
    """The file as a whole cannot be read (no header with a number column, not text)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Problem:
    """A row (a CSV line, a vCard's BEGIN line) that was not imported, and why."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(slots=True)
class Parsed:
    """The contacts read from a file, in its order, and the rows left out."""

    contacts: list[Contact] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def decode(data: bytes) -> str:
    """A file's text: UTF-8 (with or without a BOM), UTF-16 with its BOM (Excel's "Unicode
    text"), else Windows-1252, which is what older Excel and Outlook write."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
