"""QR codes that start a text: the URI a phone's camera reads, drawn by segno.

Two forms exist. ``SMSTO:+447700900100:JOIN`` (from the old NTT DoCoMo/ZXing conventions)
is read by the camera apps of iPhones (iOS 11 and later) and Android phones alike; the
RFC 5724 URI ``sms:+447700900100?body=JOIN`` is the standard one, which Android reads and
iOS reads as ``sms:+447700900100&body=JOIN``. ``SMSTO:`` is the default for that reason;
docs/links.md has the table.
"""

from __future__ import annotations

import io
from typing import Literal
from urllib.parse import quote

__all__ = ["Form", "qr_image", "sms_uri"]

Form = Literal["smsto", "sms"]


def sms_uri(number: str, text: str, *, form: Form = "smsto") -> str:
    """The URI that opens a text to ``number`` with ``text`` written in it."""
    if form == "sms":
        return f"sms:{number}?body={quote(text)}" if text else f"sms:{number}"
    return f"SMSTO:{number}:{text}"


def qr_image(uri: str, *, kind: Literal["png", "svg"] = "png", scale: int = 8) -> bytes:
    """``uri`` as a QR code (error correction M, the usual border of four modules)."""
    import segno  # at the first code drawn, not at every start of the bridge or the command

    code = segno.make_qr(uri, error="m")
    out = io.BytesIO()
    code.save(out, kind=kind, scale=scale, border=4)
    return out.getvalue()
