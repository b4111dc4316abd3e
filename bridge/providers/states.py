"""Providers' words for a text's fate, as the bridge's states: one vocabulary for them all.

Twilio says ``delivered``, Vonage ``expired``, The SMS Works ``UNDELIVERABLE``; the bridge keeps
``sent`` (the network has it), ``delivered`` and ``undelivered`` (it never will be). A word
not listed (Twilio's ``receiving``, Vonage's ``unknown``) changes nothing. The generic HTTP
provider names its own words in its settings and passes them here instead.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["WORDS", "delivery_state"]

WORDS: Mapping[str, str] = {
    "delivered": "delivered",
    "read": "delivered",
    "sent": "sent",
    "sending": "sent",
    "accepted": "sent",
    "queued": "sent",
    "scheduled": "sent",
    "buffered": "sent",
    "undelivered": "undelivered",
    "undeliverable": "undelivered",
    "failed": "undelivered",
    "expired": "undelivered",
    "rejected": "undelivered",
    "canceled": "undelivered",
}


def delivery_state(word: str, words: Mapping[str, str] = WORDS) -> str | None:
    """The bridge's state for a provider's ``word`` (any case), or None to change nothing."""
    return words.get(word.strip().lower())
