"""The admin page's scheduled texts: what waits for its send-at time, and a button to cancel.

Served under ``/admin`` by ``bridge.web.admin``, behind its guard (network, login), as the
consent ledger is. Cancelling is a POST form, protected as the admin page's other forms are
(the session's CSRF token, checked by ``bridge.web.admin``; the session cookie is
``SameSite=Strict``) and, besides, refused when the browser says it came from another
origin. A text a provider may already have is never cancelled; the page says what
happened. Numbers are masked, as the CLI shows them; every value is HTML-escaped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bridge.clock import Clock
from bridge.parsing.numbers import mask
from bridge.parsing.send_at import when_local
from bridge.store.base import Batches
from bridge.web.forms import read_fields, refusal
from bridge.web.guarded import Guard, Render, guarded
from bridge.web.sessions import csrf_input

__all__ = ["SHOWN", "scheduled_routes"]

SHOWN = 500
_SAID = {
    "cancelled": "The text was cancelled: it will not be sent.",
    "gone": "That text is no longer waiting (it was sent, is being sent, or was cancelled).",
}


def scheduled_routes(*, guard: Guard, render: Render, store: Batches, clock: Clock) -> list[Route]:
    """``GET /admin/scheduled`` and ``POST /admin/scheduled/cancel`` (field ``id``)."""

    async def page(request: Request) -> Response:
        rows = await store.scheduled(state="queued", limit=SHOWN + 1)
        said = _SAID.get(request.query_params.get("done", ""), "")
        return render("Scheduled texts: smsbridge admin", _body(rows, said, csrf_input(request)))

    async def cancel(request: Request) -> Response:
        if _cross_origin(request):
            return refusal(403, "This form may only be sent from the admin page itself.")
        fields = await read_fields(request)
        if isinstance(fields, Response):
            return fields
        job_id = fields.get("id", "")[:64]
        if not job_id:
            return refusal(400, "Say which text to cancel (the form's id field is empty).")
        done = await store.cancel_sms(job_id, now=clock())
        return RedirectResponse(f"/admin/scheduled?done={'cancelled' if done else 'gone'}", 303)

    return [
        Route("/admin/scheduled", guarded(guard, page), methods=["GET"]),
        Route("/admin/scheduled/cancel", guarded(guard, cancel), methods=["POST"]),
    ]


def _cross_origin(request: Request) -> bool:
    """The browser says the form came from another origin than the one it was sent to."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin or origin == "null":
        return origin == "null"
    return urlsplit(origin).netloc != request.headers.get("host", "")


def _body(rows: list[dict[str, Any]], said: str, token: str) -> str:
    note = f'<p id="scheduled-said">{escape(said)}</p>' if said else ""
    back = '<p><a href="/admin">Back to the admin page</a></p>'
    header = "<header><h1>smsbridge admin: scheduled texts</h1></header>"
    table = _table(rows, token)
    return f"{header}<main><section><h2>Scheduled texts</h2>{note}{back}{table}</section></main>"


def _table(rows: list[dict[str, Any]], token: str) -> str:
    if not rows:
        return '<p id="scheduled-none">No text is waiting for its send-at time.</p>'
    more = f"<p>The first {SHOWN} are shown.</p>" if len(rows) > SHOWN else ""
    head = "<tr><th>Text</th><th>To</th><th>When</th><th>Author</th><th>Subject</th><th></th></tr>"
    return f'<table id="scheduled">{head}{"".join(_row(row, token) for row in rows[:SHOWN])}</table>{more}'


def _row(row: dict[str, Any], token: str) -> str:
    when = datetime.fromtimestamp(float(row["next_attempt_at"]), UTC)
    cells = (
        str(row["id"]),
        mask(str(row["to_number"])),
        when_local(when, str(row["zone"]), year=True),
        str(row["author"]),
        str(row["subject"]),
    )
    button = (
        f'<form method="post" action="/admin/scheduled/cancel">{token}'
        f'<input type="hidden" name="id" value="{escape(str(row["id"]))}">'
        "<button type=submit>Cancel</button></form>"
    )
    return "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + f"<td>{button}</td></tr>"
