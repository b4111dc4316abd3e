"""What the admin console hands the store and gets back: which texts its history shows, and
one entry of its audit log. Plain records, so the store's interface can name them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["AuditEntry", "HistoryFilter"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    """One thing an administrator did in the console."""

    at: datetime
    who: str  # the name given at login
    address: str  # the client address it came from
    action: str  # retry, cancel, reveal
    job_id: str
    detail: str  # what came of it
    row_id: str = ""  # its id in the log, once stored


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryFilter:
    """Which texts the history shows; each left out lets every text through."""

    state: str | None = None
    to_number: str | None = None  # E.164
    author: str | None = None  # an address, or a domain with its subdomains
    since: datetime | None = None
    until: datetime | None = None  # the newest shown (exclusive), when no page came before
