"""What an email carries besides its text, by name: what a text cannot take along.

A text carries words only, so every attachment is left behind, and its author is told which
(a phrase in the SMTP reply, a notice naming them). An attachment is what the email package's
``iter_attachments`` gives: every part of the top-level multipart but the text the bridge
reads and its alternatives. Images inside ``multipart/related`` (a logo in an HTML signature)
belong to the HTML part and are not attachments.
"""

from __future__ import annotations

from email.message import EmailMessage

from bridge.parsing.headers import clean_text, header_text

__all__ = ["attachment_name", "attachment_names"]

_MAX_NAME = 80


def attachment_names(msg: EmailMessage) -> tuple[str, ...]:
    """Each attachment's file name, or what it is when it has none."""
    return tuple(attachment_name(part) for part in msg.iter_attachments())


def attachment_name(part: EmailMessage) -> str:
    """One attachment's file name, or what it is when it has none."""
    try:
        filename = part.get_filename()
    except (AttributeError, IndexError, ValueError):  # the email package's parser choked
        filename = None
    if filename:
        name = clean_text(filename)
        return name if len(name) <= _MAX_NAME else name[: _MAX_NAME - 1] + "…"
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload(0) if part.is_multipart() else None
        subject = header_text(inner, "Subject") if isinstance(inner, EmailMessage) else ""
        return f'a forwarded email ("{subject}")' if subject else "a forwarded email"
    return f"an unnamed {part.get_content_type()} part"
