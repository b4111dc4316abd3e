"""The admin page's consent ledger: every opt-in and opt-out, newest first, searched by number,
and the whole ledger as a CSV download.

Served under ``/admin`` by ``bridge.web.admin``, which hands over its own checks (``guard``)
and layout (``render``), as for the address book (``contacts_page``). Read only: changing a
customer's consent is the CLI's (``smsbridge consent opt-in``, with a recorded reason).
Every value is HTML-escaped; the download is the CLI's export (formula injection guarded).
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bridge.contacts.consent_csv import write_events
from bridge.models import ORGANISATION, ConsentEvent
from bridge.store.base import ConsentLedger
from bridge.web.guarded import Guard, Render, guarded

__all__ = ["SHOWN", "consent_routes"]

SHOWN = 200
EVERYTHING = 10**9


def consent_routes(*, guard: Guard, render: Render, store: ConsentLedger) -> list[Route]:
    """``GET /admin/consent`` (``?q=`` digits of a number) and ``GET /admin/consent.csv``."""

    async def page(request: Request) -> Response:
        search = request.query_params.get("q", "")[:40]
        digits = "".join(ch for ch in search if ch.isdigit())
        pattern = f"%{digits}%" if digits else None
        found = await store.consent_events(number=pattern, limit=SHOWN + 1)
        return render("Consent: smsbridge admin", _body(found, search=search))

    async def download(request: Request) -> Response:
        data = write_events(await store.consent_events(limit=EVERYTHING))
        name = f"consent-{datetime.now(UTC):%Y%m%d}.csv"
        return Response(
            data,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    return [
        Route("/admin/consent", guarded(guard, page), methods=["GET"]),
        Route("/admin/consent.csv", guarded(guard, download), methods=["GET"]),
    ]


def _body(found: list[ConsentEvent], *, search: str) -> str:
    form = (
        '<form class="inline" method="get" action="/admin/consent">'
        f'<label>Number<input type="search" name="q" value="{escape(search)}"'
        ' placeholder="+447700900123 or its last digits"></label>'
        "<button type=submit>Search</button></form>"
    )
    links = '<p><a href="/admin">Back to the admin page</a> · <a id="consent-export"'
    links += ' href="/admin/consent.csv">Download the ledger (CSV)</a></p>'
    header = "<header><h1>smsbridge admin: consent</h1></header>"
    return (
        f"{header}<main><section><h2>Consent ledger</h2>{form}{links}{_table(found)}"
        "</section></main>"
    )


def _table(found: list[ConsentEvent]) -> str:
    if not found:
        return '<p id="consent-none">No consent recorded.</p>'
    more = f"<p>The latest {SHOWN} are shown: search by number.</p>" if len(found) > SHOWN else ""
    head = (
        "<tr><th>When (UTC)</th><th>Number</th><th>Action</th><th>Scope</th><th>How</th>"
        "<th>Evidence</th><th>By</th><th>Reason</th><th>Campaign</th></tr>"
    )
    rows = "".join(_row(event) for event in found[:SHOWN])
    return f'<table id="consent">{head}{rows}</table>{more}'


def _row(e: ConsentEvent) -> str:
    scope = "organisation" if e.scope == ORGANISATION else e.scope
    cells = (
        f"{e.at.astimezone(UTC):%Y-%m-%d %H:%M}",
        e.customer,
        e.action,
        scope,
        e.how,
        e.evidence,
        e.by,
        e.reason,
        e.campaign.upper(),
    )
    return "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in cells) + "</tr>"
