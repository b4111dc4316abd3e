"""Which texts ``smsbridge outbox`` lists: by state, number, author and age.

The statement is ``recent_sms`` in ``queries/jobs.sql``, its text fixed: a filter left out
is a NULL that lets every row through. An author filter is an
address or a domain, and a domain covers its subdomains, as everywhere else
(``bridge.parsing.addresses``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bridge.models import JobState

__all__ = ["OutboxFilter", "author_patterns"]


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxFilter:
    state: JobState | None = None
    to_number: str | None = None  # E.164
    author: str | None = None  # an address, or a domain with its subdomains
    since: datetime | None = None  # aware

    def args(self, limit: int) -> tuple[Any, ...]:
        """The arguments of the ``recent_sms`` statement."""
        state = self.state.value if self.state is not None else None
        return (
            state,
            state,
            self.to_number,
            self.to_number,
            *_author(self.author),
            self.since.timestamp() if self.since is not None else 0.0,
            limit,
        )


def _author(wanted: str | None) -> tuple[str | None, ...]:
    """The filter's flag, the address, and two LIKE patterns: ``%@domain``, ``%.domain``."""
    if not wanted:
        return (None, None, None, None)
    return (wanted.strip().lower(), *author_patterns(wanted))


def author_patterns(wanted: str) -> tuple[str, str, str]:
    """An address, or a domain and its subdomains, as ``author = ? OR author LIKE ? ESCAPE
    '\\' OR author LIKE ? ESCAPE '\\'`` reads it: the address, ``%@domain``, ``%.domain``."""
    wanted = wanted.strip().lower()
    escaped = wanted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    if "@" in wanted:
        return (wanted, escaped, escaped)
    return (wanted, f"%@{escaped}", f"%.{escaped}")
