"""Opt-out, opt-in and help keywords, and when the bridge may answer a customer by itself.

A keyword counts only as the whole text, in its normal form (``bridge.parsing.keywords``):
"Stop!", "“Stop”" and "STOP…" opt out, "please stop texting at 9" is an ordinary reply that
a person reads. START counts only for a customer who opted out; otherwise "Yes" is just a
reply. An automatic text never goes to a short code or an alphanumeric sender (those are
robots, and two robots answering each other would never stop), and at most one goes to a
customer per configured period.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from bridge.parsing.keywords import whole_text_keyword
from bridge.parsing.numbers import is_e164
from bridge.settings.inbound import InboundSettings

__all__ = ["Keyword", "auto_reply_allowed", "keyword_of"]


class Keyword(enum.Enum):
    STOP = "stop"
    START = "start"
    HELP = "help"
    NONE = "none"


def keyword_of(text: str, settings: InboundSettings, *, opted_out: bool) -> Keyword:
    """Which compliance keyword ``text`` is, if it is one (the settings hold normal forms)."""
    word = whole_text_keyword(text)
    if not word:
        return Keyword.NONE
    if word in settings.stop_words:
        return Keyword.STOP
    if word in settings.start_words and opted_out:
        return Keyword.START
    if word in settings.help_words:
        return Keyword.HELP
    return Keyword.NONE


def auto_reply_allowed(
    customer: str, *, last: datetime | None, now: datetime, settings: InboundSettings
) -> bool:
    """May an automatic text go to ``customer`` now?"""
    if not is_e164(customer):
        return False
    interval = timedelta(minutes=settings.auto_reply_interval_minutes)
    return last is None or now - last >= interval
