"""The admin page's address book: the contacts with a search box and a tag filter, and the
whole book as a CSV download.

Served under ``/admin`` by ``bridge.web.admin``, which hands over its own checks (the
client's network, the login) as ``guard`` and its page layout as ``render``, so this module
only reads and shows. Numbers are shown whole: this is where staff look them up. Every value
is HTML-escaped; the download is the CLI's export (formula injection guarded).
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bridge.contacts.transfer import Format, export_contacts
from bridge.models import Contact
from bridge.store.base import Contacts
from bridge.web.guarded import Guard, Render, guarded

__all__ = ["SHOWN", "contacts_routes"]

SHOWN = 200  # rows on the page; the download has every contact
EVERYONE = 10**9


def contacts_routes(*, guard: Guard, render: Render, store: Contacts) -> list[Route]:
    """``GET /admin/contacts`` and ``GET /admin/contacts.csv``; ``guard`` answers a request
    that may not see them (403, or the login form), None for one that may."""

    async def page(request: Request) -> Response:
        search = request.query_params.get("q", "")[:200]
        tag = request.query_params.get("tag", "")[:100]
        found = await store.contacts(tag=tag or None, search=search or None, limit=SHOWN + 1)
        return render("Contacts: smsbridge admin", _body(found, search=search, tag=tag))

    async def download(request: Request) -> Response:
        data = export_contacts(await store.contacts(limit=EVERYONE), fmt=Format.CSV)
        name = f"contacts-{datetime.now(UTC):%Y%m%d}.csv"
        return Response(
            data,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    return [
        Route("/admin/contacts", guarded(guard, page), methods=["GET"]),
        Route("/admin/contacts.csv", guarded(guard, download), methods=["GET"]),
    ]


def _body(found: list[Contact], *, search: str, tag: str) -> str:
    form = (
        '<form class="inline" method="get" action="/admin/contacts">'
        f'<label>Search<input type="search" name="q" value="{escape(search)}"'
        ' placeholder="name, address, notes or number"></label>'
        f'<label>Tag<input name="tag" value="{escape(tag)}" placeholder="vip"></label>'
        "<button type=submit>Search</button></form>"
    )
    links = '<p><a href="/admin">Back to the admin page</a> · <a id="export"'
    links += ' href="/admin/contacts.csv">Download every contact (CSV)</a></p>'
    header = "<header><h1>smsbridge admin: contacts</h1></header>"
    return f"{header}<main><section><h2>Contacts</h2>{form}{links}{_table(found)}</section></main>"


def _table(found: list[Contact]) -> str:
    if not found:
        return '<p id="contacts-none">No contacts match.</p>'
    more = (
        f"<p>The first {SHOWN} are shown: search to narrow them down.</p>"
        if len(found) > SHOWN
        else ""
    )
    head = (
        "<tr><th>Number</th><th>Name</th><th>Email</th><th>Tags</th><th>Time zone</th>"
        "<th>Language</th><th>Notes</th></tr>"
    )
    rows = "".join(_row(contact) for contact in found[:SHOWN])
    return f'<table id="contacts">{head}{rows}</table>{more}'


def _row(c: Contact) -> str:
    cells = (c.number, c.name, c.email, ", ".join(c.tags), c.timezone, c.language, c.notes)
    return "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in cells) + "</tr>"
