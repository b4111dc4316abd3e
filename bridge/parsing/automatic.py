"""Mail that must never become a text: bounces, delivery reports and automatic replies.

Texting an out-of-office reply would let two robots talk to each other forever (and cost
money per message), so these are refused before any text is looked at. The signals are the
standard ones: RFC 3464 reports, RFC 3834 ``Auto-Submitted``, and the de-facto ``Precedence``
and ``X-Autoreply`` headers that older auto-responders set.
"""

from __future__ import annotations

from email.message import EmailMessage

__all__ = ["automatic_kind"]

_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
_AUTOREPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Autoreply-From", "X-Mail-Autoreply")


def automatic_kind(msg: EmailMessage) -> str | None:
    """A short description of why ``msg`` is automatic mail, or ``None`` if a person wrote it."""
    if msg.get_content_type() == "multipart/report" or msg.get_content_type().startswith(
        "message/delivery-status"
    ):
        return "a bounce or delivery report"
    auto = str(msg.get("Auto-Submitted", "no")).split(";")[0].strip().lower()
    if auto and auto != "no":
        return f"an automatic message (Auto-Submitted: {auto})"
    precedence = str(msg.get("Precedence", "")).strip().lower()
    if precedence in _BULK_PRECEDENCE:
        return f"bulk or list mail (Precedence: {precedence})"
    for header in _AUTOREPLY_HEADERS:
        if msg.get(header) is not None:
            return f"an automatic reply ({header})"
    return None
