"""Tags an author writes in an email's subject: ``[marketing] Spring offer``, ``[urgent]``.

A tag is a known word in square brackets, anywhere in the subject, in any case; it is taken
out of the subject (which threads and notices show) and handed to the outbound chain. An
unknown word in brackets (``[EXTERNAL]``, which some gateways add) is left as written.
"""

from __future__ import annotations

import re

__all__ = ["TAGS", "subject_tags"]

TAGS = frozenset({"marketing", "transactional", "urgent"})
_TAG = re.compile(r"\[\s*([A-Za-z-]+)\s*\]")


def subject_tags(subject: str) -> tuple[frozenset[str], str]:
    """The known tags of ``subject``, and the subject without them."""
    found: set[str] = set()

    def take(match: re.Match[str]) -> str:
        word = match.group(1).lower()
        if word not in TAGS:
            return match.group(0)
        found.add(word)
        return ""

    rest = _TAG.sub(take, subject)
    return frozenset(found), " ".join(rest.split()) if found else subject
