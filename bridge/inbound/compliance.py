"""Opt-out, opt-in and help keywords, and the rules that keep automatic replies polite.

A keyword counts only as the whole text (one word; case and surrounding punctuation ignored),
as carriers require: "Stop!" opts out, "please stop texting at 9" is an ordinary reply that a
person reads. START counts only for a customer who opted out; otherwise "Yes" is just a reply.
An automatic text never goes to a short code or an alphanumeric sender (those are robots, and
two robots answering each other would never stop), and at most one goes to a customer per
configured period.
"""

from __future__ import annotations

import enum
import re
from datetime import datetime, timedelta

from bridge.config import InboundSettings

__all__ = ["Keyword", "auto_reply_allowed", "keyword_of", "replies_possible"]

_PUNCTUATION = " \t\r\n.,;:!?¡¿'\"()[]{}*-_~"
_PERSONAL_NUMBER = re.compile(r"\+[1-9]\d{7,14}")


class Keyword(enum.Enum):
    STOP = "stop"
    START = "start"
    HELP = "help"
    NONE = "none"


def keyword_of(text: str, settings: InboundSettings, *, opted_out: bool) -> Keyword:
    """Which compliance keyword ``text`` is, if it is one."""
    word = text.strip(_PUNCTUATION).upper()
    if not word or any(ch.isspace() for ch in word):
        return Keyword.NONE
    if word in settings.stop_words:
        return Keyword.STOP
    if word in settings.start_words and opted_out:
        return Keyword.START
    if word in settings.help_words:
        return Keyword.HELP
    return Keyword.NONE


def replies_possible(number: str) -> bool:
    """A full international number; not a short code or an alphanumeric sender ID."""
    return bool(_PERSONAL_NUMBER.fullmatch(number))


def auto_reply_allowed(
    customer: str, *, last: datetime | None, now: datetime, settings: InboundSettings
) -> bool:
    """May an automatic text go to ``customer`` now?"""
    if not replies_possible(customer):
        return False
    interval = timedelta(minutes=settings.auto_reply_interval_minutes)
    return last is None or now - last >= interval
