"""A customer's text as an email, with the pictures of their MMS attached.

``inbound_email`` (``text_email.py``) writes a single-part text/plain email. ``with_media``
turns it into multipart/mixed: the same headers, the same text as the first part, then one
part per fetched picture. A picture that was not attached is named by a sentence added just
before the footer (the ``-- `` line), so a reader always learns that it existed.
"""

from __future__ import annotations

from collections.abc import Sequence
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from bridge.media.results import Fetched, NotAttached

__all__ = ["with_media"]

_FOOTER = "\n-- \n"


def with_media(content: bytes, media: Sequence[Fetched | NotAttached]) -> bytes:
    """``content`` with ``media`` attached or named; unchanged when there is none."""
    if not media:
        return content
    msg = BytesParser(policy=policy.default).parsebytes(content)
    assert isinstance(msg, EmailMessage)
    notes = [item.sentence for item in media if isinstance(item, NotAttached)]
    if notes:
        text = _with_notes(msg.get_content(), notes)
        msg.set_content(text, charset="utf-8", cte="quoted-printable")
    for item in media:
        if isinstance(item, Fetched):
            maintype, _, subtype = item.content_type.partition("/")
            msg.add_attachment(
                item.content, maintype=maintype, subtype=subtype, filename=item.filename
            )
    return msg.as_bytes(policy=policy.SMTP)


def _with_notes(text: str, notes: list[str]) -> str:
    """The notes after the customer's words and before the footer (the last ``-- `` line:
    the footer's own lines are quoted, so the customer's text cannot end it)."""
    body, found, footer = text.replace("\r\n", "\n").rpartition(_FOOTER)
    block = "\n".join(f"[{note}]" for note in notes)
    if not found:
        return f"{footer.rstrip()}\n\n{block}\n"
    return f"{body.rstrip()}\n\n{block}\n{_FOOTER}{footer}"
