"""The console's audit log: every retry, cancel and reveal, newest first, who did it (the
name given at login), from which address, to which text, and what came of it; a hundred to
a page, by keyset."""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bridge.store.console_records import AuditEntry
from bridge.web.console_common import Pages, header, keyset, keyset_of, when
from bridge.web.guarded import guarded

__all__ = ["PAGE", "audit_routes"]

PAGE = 100


def audit_routes(pages: Pages) -> list[Route]:
    """``GET /admin/audit`` (``after``: the page after that entry)."""

    async def audit(request: Request) -> Response:
        after = keyset_of(request.query_params.get("after", ""))
        entries = await pages.store.audit_log(after=after, limit=PAGE + 1)
        body = (
            f"{header(request, 'smsbridge admin: audit log')}<main><section><h2>Audit log</h2>"
            f"{_table(entries[:PAGE])}{_pager(entries, paged=after is not None)}</section></main>"
        )
        return pages.render("Audit log: smsbridge admin", body)

    return [Route("/admin/audit", guarded(pages.guard, audit), methods=["GET"])]


def _table(entries: list[AuditEntry]) -> str:
    if not entries:
        return '<p id="audit-none">Nobody has retried, cancelled or revealed anything yet.</p>'
    head = (
        "<tr><th>When (UTC)</th><th>Who</th><th>From</th><th>Action</th><th>Text</th>"
        "<th>What came of it</th></tr>"
    )
    rows = "".join(
        f"<tr><td>{escape(when(e.at))}</td><td>{escape(e.who)}</td><td>{escape(e.address)}</td>"
        f'<td>{escape(e.action)}</td><td><a href="/admin/texts/{escape(e.job_id)}">'
        f"{escape(e.job_id)}</a></td><td>{escape(e.detail)}</td></tr>"
        for e in entries
    )
    return f'<table id="audit">{head}{rows}</table>'


def _pager(entries: list[AuditEntry], *, paged: bool) -> str:
    links = ['<a href="/admin/audit">Newest</a>'] if paged else []
    if len(entries) > PAGE:
        last = entries[PAGE - 1]
        query = urlencode({"after": keyset(last.at.timestamp(), last.row_id)})
        links.append(f'<a id="audit-older" href="/admin/audit?{escape(query)}">Older</a>')
    return f"<p>{' · '.join(links)}</p>" if links else ""
