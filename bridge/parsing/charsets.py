"""Bytes to text when the email says nothing about their charset, or something unusable.

RFC 2045 makes a text part without a charset US-ASCII, but swaks, cron, ``mail`` and many
scripts send raw UTF-8 without one, and older Windows programs their code page. Decoded as
ASCII, "£5.00" becomes two replacement characters, which the phone shows as boxes and which
force the whole text into UCS-2 at twice the price. So 8-bit text that declares no charset
(or US-ASCII, which 8-bit bytes contradict, or one Python does not know) is UTF-8 when it
decodes as UTF-8, which text in another charset almost never does, and Windows-1252
otherwise, a superset of Latin-1 that never fails.

A charset that is declared and known is believed. Where the bytes do not fit it, the text
keeps its replacement characters (U+FFFD): guessing again would hide the problem, and the
chain's content rule refuses such a text with a sentence that tells its author why.
"""

from __future__ import annotations

import re

__all__ = ["CONTROL", "decode_declared", "decode_undeclared"]

# The control characters a text or a header never keeps (C0 but tab and line ends, DEL, C1):
# a phone shows them as boxes or not at all, and PostgreSQL refuses a NUL in any text column.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

_NOT_A_DECLARATION = frozenset({"us-ascii", "ascii", "us_ascii", "ansi_x3.4-1968"})


def _windows_1252() -> dict[int, str]:
    """Latin-1's C1 range mapped as Windows-1252 has it. The five bytes Windows leaves
    undefined stay the C1 controls they are in Latin-1, as WHATWG's decoder has them (the
    content rule drops control characters)."""
    table = {}
    for byte in range(0x80, 0xA0):
        try:
            table[byte] = bytes([byte]).decode("cp1252")
        except UnicodeDecodeError:
            continue
    return table


_WINDOWS_1252 = _windows_1252()


def decode_undeclared(data: bytes) -> str:
    """``data`` as UTF-8 if it decodes, else as Windows-1252 (which always does)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1").translate(_WINDOWS_1252)


def decode_declared(data: bytes, charset: str | None) -> str:
    """``data`` in its declared ``charset`` (lower case, as the email package gives it), with
    replacement characters where the bytes do not fit; the undeclared rule when there is
    nothing usable to believe."""
    if charset is None or charset in _NOT_A_DECLARATION:
        return decode_undeclared(data)
    try:
        return data.decode(charset, "replace")
    except (LookupError, ValueError):  # unknown, not a text codec ("base64"), or malformed
        return decode_undeclared(data)
