"""Tags an author writes in an email's subject: ``[marketing] Spring offer``, ``[urgent]``.

A tag is a known word in square brackets, anywhere in the subject, in any case; it is taken
out of the subject (which threads and notices show) and handed to the outbound chain. An
unknown word in brackets (``[EXTERNAL]``, which some gateways add) is left as written.
"""

from __future__ import annotations

import re

__all__ = ["TAGS", "schedule_tags", "subject_tags", "template_tags"]

TAGS = frozenset({"marketing", "transactional", "urgent", "nolinks"})  # nolinks: short-links
_TAG = re.compile(r"\[\s*([A-Za-z-]+)\s*\]")
# A send-at time (``bridge.parsing.send_at``): ``[at 9am]``, ``[tomorrow 09:00]``,
# ``[mon 14:30]``, ``[2026-12-24 08:30]``; a word in brackets and a time, never a word alone.
_DAY = r"mon|tue|wed|thu|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_SCHEDULE = re.compile(
    rf"\[\s*((?:at|tomorrow|tues|thur|thurs|{_DAY})\s+(?:at\s+)?\d[^\[\]]*"
    r"|\d{4}-\d{2}-\d{2}[ T]\d[^\[\]]*)\]",
    re.IGNORECASE,
)

# A named template (``bridge.templates``): ``[template reminder]``; the name as written.
_TEMPLATE = re.compile(r"\[\s*template\s*:?\s+([^\[\]\s]+)\s*\]", re.IGNORECASE)


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


def schedule_tags(subject: str) -> tuple[tuple[str, ...], str]:
    """The send-at times written in ``subject``'s brackets (``[tomorrow 9am]`` gives
    ``tomorrow 9am``), and the subject without them; the parsing is ``send_at``'s."""
    found = tuple(match.group(1).strip() for match in _SCHEDULE.finditer(subject))
    if not found:
        return (), subject
    return found, " ".join(_SCHEDULE.sub("", subject).split())


def template_tags(subject: str) -> tuple[tuple[str, ...], str]:
    """The template names in ``subject``'s ``[template NAME]`` tags, and the subject without
    them; which template that is, is ``bridge.templates``'s to say."""
    found = tuple(match.group(1) for match in _TEMPLATE.finditer(subject))
    if not found:
        return (), subject
    return found, " ".join(_TEMPLATE.sub("", subject).split())
