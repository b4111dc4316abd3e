"""The console's outbound history: every text, newest first, filtered by state, number,
author and time, fifty to a page.

Pages follow each other by keyset (``?after=`` names the last row shown; the store reads the
rows older than it from an index), never by OFFSET, so the page after a million texts costs
what the first does. Numbers are masked; each row links to the text's timeline
(``console_text``), where one can be revealed. Every value is HTML-escaped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bridge.errors import InvalidNumber
from bridge.models import JobState
from bridge.parsing.numbers import mask, parse_number
from bridge.store.console_records import HistoryFilter
from bridge.web.console_common import Pages, header, keyset, keyset_of, when
from bridge.web.guarded import guarded

__all__ = ["PAGE", "history_routes"]

PAGE = 50
_FIELDS = ("state", "number", "author", "since", "until")
_DOT = " \u00b7 "


def history_routes(pages: Pages) -> list[Route]:
    """``GET /admin/history`` (``state``, ``number``, ``author``, ``since``, ``until``,
    ``after``)."""

    async def history(request: Request) -> Response:
        asked = {name: request.query_params.get(name, "")[:80].strip() for name in _FIELDS}
        only, problem = _filter(asked, pages.region)
        after = keyset_of(request.query_params.get("after", ""))
        rows = [] if problem else await pages.store.history(only, after=after, limit=PAGE + 1)
        body = _body(request, asked, rows, problem, paged=after is not None)
        return pages.render("History: smsbridge admin", body)

    return [Route("/admin/history", guarded(pages.guard, history), methods=["GET"])]


def _filter(asked: dict[str, str], region: str) -> tuple[HistoryFilter, str]:
    """The filter the form asks for, or the sentence saying which field is wrong."""
    state = asked["state"] or None
    if state is not None and state not in {s.value for s in JobState}:
        return HistoryFilter(), f"There is no state {state!r}."
    number = None
    if asked["number"]:
        try:
            number = parse_number(asked["number"], default_region=region)
        except InvalidNumber as exc:
            return HistoryFilter(), f"The number: {exc.reason}"
    since, until = _time(asked["since"]), _time(asked["until"])
    if (asked["since"] and since is None) or (asked["until"] and until is None):
        return HistoryFilter(), "Write times as 2026-12-07 09:30 (UTC)."
    return HistoryFilter(
        state=state, to_number=number, author=asked["author"] or None, since=since, until=until
    ), ""


def _time(written: str) -> datetime | None:
    if not written:
        return None
    try:
        return datetime.fromisoformat(written.replace("T", " ")).replace(tzinfo=UTC)
    except ValueError:
        return None


def _body(
    request: Request, asked: dict[str, str], rows: list[dict[str, Any]], problem: str, paged: bool
) -> str:
    error = f'<p class="error" id="history-error">{escape(problem)}</p>' if problem else ""
    return (
        f"{header(request, 'smsbridge admin: history')}<main><section><h2>Outbound texts</h2>"
        f"{_form(asked)}{error}{_table(rows[:PAGE])}{_pager(asked, rows, paged)}</section></main>"
    )


def _form(asked: dict[str, str]) -> str:
    states = "".join(
        f'<option value="{s.value}"{" selected" if s.value == asked["state"] else ""}>'
        f"{s.value}</option>"
        for s in JobState
    )
    return (
        '<form class="inline" method="get" action="/admin/history" id="history-filter">'
        f'<label>State<select name="state"><option value="">any</option>{states}</select></label>'
        + _field("Number", "number", asked, "+44 7700 900123")
        + _field("Author", "author", asked, "alice@example.com")
        + _field("From (UTC)", "since", asked, "2026-12-01 00:00")
        + _field("To (UTC)", "until", asked, "2026-12-07 23:59")
        + "<button type=submit>Show</button></form>"
    )


def _field(label: str, name: str, asked: dict[str, str], hint: str) -> str:
    value = escape(asked[name])
    return f'<label>{label}<input name="{name}" value="{value}" placeholder="{hint}"></label>'


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return '<p id="history-none">No text matches.</p>'
    head = (
        "<tr><th>Queued (UTC)</th><th>Text</th><th>Author</th><th>To</th><th>From</th>"
        "<th>State</th><th>Attempts</th><th>Provider</th><th>Last error</th></tr>"
    )
    return f'<table id="history">{head}{"".join(map(_row, rows))}</table>'


def _row(row: dict[str, Any]) -> str:
    job_id = escape(str(row["id"]))
    error = " ".join(str(part) for part in (row["error_code"], row["error"]) if part)
    cells = (
        escape(when(row["created_at"])),
        f'<a href="/admin/texts/{job_id}">{job_id}</a>',
        escape(str(row["author"] or "-")),
        escape(mask(str(row["to_number"]))),
        escape(str(row["sender"])),
        f'<span class="state {escape(str(row["state"]))}">{escape(str(row["state"]))}</span>',
        str(int(row["attempts"])),
        escape(str(row["provider"] or "")),
        escape(error[:120]),
    )
    return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


def _pager(asked: dict[str, str], rows: list[dict[str, Any]], paged: bool) -> str:
    kept = {name: value for name, value in asked.items() if value}
    links = []
    if paged:
        links.append(f'<a id="history-newest" href="/admin/history?{urlencode(kept)}">Newest</a>')
    if len(rows) > PAGE:
        last = rows[PAGE - 1]
        after = keyset(float(last["created_at"]), str(last["id"]))
        query = urlencode({**kept, "after": after})
        links.append(f'<a id="history-older" href="/admin/history?{escape(query)}">Older</a>')
    return f'<p class="pager">{_DOT.join(links)}</p>' if links else ""
