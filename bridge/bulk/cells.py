"""A spreadsheet cell as the text its author sees, and numbers Excel rewrote in scientific form.

Excel stores every number as a float: a phone number typed without its ``+`` or leading 0
comes out of an XLSX file as ``447700900123.0``. Up to 15 significant digits a float holds
an integer exactly, and E.164 has at most 15, so such a cell becomes its digits without loss.
A CSV saved by Excel after it showed a long number as ``4.47701E+11`` holds those rounded
digits as text; what was rounded away cannot be recovered, so that is a row error saying so,
while ``4.47700900123E+11`` (every digit still there) is read as the number it spells.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal

__all__ = ["LostDigits", "cell_text", "unscientific"]

_SCIENTIFIC = re.compile(r"([+-]?)(\d)(?:[.,](\d+))?[eE]\+?(\d{1,2})")
_DECIMALS = re.compile(r"\.(0+)")


class LostDigits(ValueError):
    """A number written in scientific notation that has fewer digits than it stands for."""

    def __init__(self, written: str) -> None:
        super().__init__(
            f'"{written[:40]}" is a number Excel rounded into scientific notation, so its last'
            " digits are lost: format the column as Text in Excel, type the numbers again and"
            " save the file again"
        )
        self.reason = str(self)


def cell_text(value: object, number_format: str = "General") -> str:
    """The text of an XLSX cell's value: floats without a spurious ``.0``, decimals as many as
    the cell's format shows (``0.00``: ``12.50``), dates in ISO form (unambiguous in every
    locale), empty cells as ``""``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value, number_format)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _float_text(value: float, number_format: str) -> str:
    """A float as its cell shows it where that is plain: ``0.00`` keeps two decimals, a
    percentage is written as one; a scientific format is ignored (the value is exact)."""
    decimals = _DECIMALS.search(number_format)
    places = len(decimals.group(1)) if decimals else 0
    if "%" in number_format:
        return f"{value * 100:.{places}f}%"
    if places and "E" not in number_format.upper():
        return f"{value:.{places}f}"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def unscientific(cell: str) -> str:
    """``cell`` unchanged, or, when it is written in scientific notation (``4.47700900123E+11``),
    the digits it spells; ``LostDigits`` when the notation kept fewer digits than the number
    has (``4.47701E+11``)."""
    match = _SCIENTIFIC.fullmatch(cell.strip())
    if not match:
        return cell
    sign, first, rest, exponent = match.groups()
    if len(rest or "") < int(exponent):
        raise LostDigits(cell.strip())
    if len(rest or "") > int(exponent):  # not a whole number: no phone number, left as it is
        return cell
    digits = Decimal(f"{first}.{rest or '0'}E{exponent}")
    return sign + str(int(digits))
