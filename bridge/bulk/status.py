"""What became of one row of a bulk send, in the words the result CSV and the emails use.

Before SEND (the preview): ``invalid`` and ``duplicate`` are decided by the file alone
(``rows.py``); ``accepted``, ``deferred``, ``refused`` and ``opted out`` by the outbound
chain, which the wiring runs for every valid row. After SEND: ``sent``, ``failed`` and
``cancelled`` (CANCEL reached the row before it was sent).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["OPTED_OUT_AFTER_PREVIEW", "Status"]

# The error of a held text cancelled at SEND because its customer opted out after the
# preview: the result CSV shows it as ``opted out``, with this as its reason.
OPTED_OUT_AFTER_PREVIEW = "opted out after the preview was sent: not sent"


class Status(StrEnum):
    INVALID = "invalid"  # the row itself: no number, a wrong number, a missing field
    DUPLICATE = "duplicate"  # the same number as an earlier line, which gets the one text
    ACCEPTED = "accepted"  # every rule of the chain let it through: it will be sent
    DEFERRED = "deferred"  # it will be sent, later (quiet hours, a cap with room later)
    REFUSED = "refused"  # a rule refused it: the reason says which and why
    OPTED_OUT = "opted out"  # the opt-out rule refused it: the customer replied STOP
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def goes(self) -> bool:
        """Whether the row will be (or was) handed to a provider."""
        return self in (Status.ACCEPTED, Status.DEFERRED, Status.SENT, Status.FAILED)
