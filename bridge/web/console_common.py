"""What the admin console's pages share: their store, checks and layout (``Pages``), the
header with its links and logout form, who is acting (for the audit log), and the keyset
that names a page of a newest-first list.

Every page module (``console_history``, ``console_text``, ``console_audit``,
``console_health``) takes a ``Pages`` from ``bridge.web.admin`` and returns its routes.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import Protocol

from starlette.requests import Request
from starlette.responses import HTMLResponse

from bridge.clock import Clock
from bridge.store.base import Store
from bridge.store.console_records import AuditEntry
from bridge.web.guarded import Guard
from bridge.web.sessions import Session, csrf_input

__all__ = ["PageRender", "Pages", "audit_entry", "header", "keyset", "keyset_of", "when"]

_KEYSET = re.compile(r"(-?[0-9.e+]{1,32})~([A-Za-z0-9_|.-]{1,80})")


class PageRender(Protocol):
    """A page's title and body as the admin page looks; ``refresh``: reload every so many
    seconds (0: never)."""

    def __call__(
        self, title: str, body: str, status: int = 200, *, refresh: int = 0
    ) -> HTMLResponse: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Pages:
    guard: Guard
    render: PageRender
    store: Store
    clock: Clock
    region: str = "GB"  # where a number written nationally is read (smtp.default_region)


def header(request: Request, title: str) -> str:
    """The console's header: its title, the links to every page and the logout button."""
    links = (
        ("/admin", "Overview"),
        ("/admin/history", "History"),
        ("/admin/health", "Providers"),
        ("/admin/audit", "Audit log"),
        ("/admin/contacts", "Contacts"),
        ("/admin/conversation", "Conversations"),
        ("/admin/consent", "Consent"),
        ("/admin/scheduled", "Scheduled"),
        ("/admin/flows", "Flows"),
        ("/admin/qr", "QR codes"),
    )
    nav = " \u00b7 ".join(
        f'<a id="{label.lower().replace(" ", "-")}-link" href="{href}">{label}</a>'
        for href, label in links
    )
    logout = (
        f'<form method="post" action="/admin/logout">{csrf_input(request)}'
        "<button>Log out</button></form>"
    )
    return f"<header><h1>{escape(title)}</h1><nav>{nav}</nav>{logout}</header>"


def audit_entry(request: Request, *, at: datetime, action: str, job_id: str) -> AuditEntry:
    """What the audit log keeps of an action: who (the session's name), from where, when."""
    session: Session | None = getattr(request.state, "session", None)
    return AuditEntry(
        at=at,
        who=session.who if session is not None else "admin",
        address=request.client.host if request.client else "",
        action=action,
        job_id=job_id,
        detail="",
    )


def keyset(at: float, row_id: str) -> str:
    """The ``after`` parameter that names the page after the row (``at``, ``row_id``)."""
    return f"{at!r}~{row_id}"


def keyset_of(value: str) -> tuple[datetime, str] | None:
    """``after`` read back; None for a missing or malformed one (the first page)."""
    found = _KEYSET.fullmatch(value or "")
    if found is None:
        return None
    try:
        at = float(found.group(1))
        if not math.isfinite(at):
            return None
        return datetime.fromtimestamp(at, UTC), found.group(2)
    except (ValueError, OverflowError, OSError):
        return None


def when(value: float | datetime | None) -> str:
    if value is None:
        return ""
    at = value if isinstance(value, datetime) else datetime.fromtimestamp(float(value), UTC)
    return f"{at.astimezone(UTC):%Y-%m-%d %H:%M:%S}"
