"""The admin page: queue health, an explain form, the routing table, recent texts (with what
the outbound chain did to each) and recent inbound texts; links to the console's other pages
(the outbound history and each text's timeline, provider health, the audit log, contacts,
conversations, the consent ledger, scheduled texts), served behind the same door.

Server-rendered HTML with a little CSS; the only script reloads the overview and health
pages every ``admin.refresh_seconds`` while nobody is typing. It is off unless
``admin.enabled``; then ``bridge.web.door`` decides who comes in: clients in
``admin.allowed_networks`` (loopback by default, even when the HTTP server listens publicly
for provider webhooks), after the password, in a session that expires; it checks the CSRF
token of every POST route listed here. Every value shown is HTML-escaped; the explain form
is a read-only GET.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from bridge.clock import Clock, system_clock
from bridge.errors import InvalidNumber
from bridge.models import RuleHit
from bridge.parsing.numbers import mask
from bridge.providers.base import Carrier
from bridge.routing.explain import explain_inbound
from bridge.settings.root import Settings
from bridge.settings.routes import RouteSettings
from bridge.store.base import Store
from bridge.web.consent_page import consent_routes
from bridge.web.console_audit import audit_routes
from bridge.web.console_common import Pages, header
from bridge.web.console_health import health_routes
from bridge.web.console_history import history_routes
from bridge.web.console_qr import qr_routes
from bridge.web.console_text import timeline_routes
from bridge.web.contacts_page import contacts_routes
from bridge.web.conversation_page import conversation_section
from bridge.web.door import Door
from bridge.web.flows_page import flows_routes
from bridge.web.guarded import guarded
from bridge.web.scheduled_page import scheduled_routes

__all__ = ["admin_routes"]

_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f5f6f8}
header{background:#1d2330;color:#fff;padding:12px 24px;display:flex;justify-content:space-between}
main{max-width:1100px;margin:0 auto;padding:16px 24px}
section{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:12px 16px;margin:16px 0}
h1{font-size:18px;margin:0}h2{font-size:16px;margin:4px 0 10px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:5px 8px;
border-bottom:1px solid #eceff3;vertical-align:top}th{font-weight:600;color:#4a5568}
form.inline{display:flex;gap:8px;flex-wrap:wrap;align-items:end}
label{display:flex;flex-direction:column;font-size:13px;color:#4a5568}
input,select{font:inherit;padding:5px 7px;border:1px solid #c4cad3;border-radius:4px}
button{font:inherit;padding:6px 14px;border:0;border-radius:4px;background:#2b6cb0;color:#fff}
pre{background:#f0f2f5;padding:10px;border-radius:4px;white-space:pre-wrap}
h3{font-size:15px;margin:14px 0 6px}
.stats{display:flex;gap:24px}.stat b{display:block;font-size:22px}.error{color:#b42318}
header a{color:#fff}main a{color:#2b6cb0}header{align-items:center;gap:16px;flex-wrap:wrap}
header form{margin:0}form.inline-button{display:inline;margin-left:8px}
.state.failed,.state.undelivered{color:#b42318}.state.delivered{color:#2f855a}
.legend .key{margin-right:14px;font-size:13px}.legend i{display:inline-block;width:10px;
height:10px;margin-right:4px}.note{color:#4a5568;font-size:13px}#text-summary th{width:140px}
#history td:first-child,#timeline td:first-child{white-space:nowrap}
"""


# Reload the page every so often, unless the admin is typing in one of its fields.
_RELOAD = (
    "<script>setInterval(function(){var a=document.activeElement;"
    "if(!a||!/^(INPUT|SELECT|TEXTAREA)$/.test(a.tagName))location.reload()},SECONDS)</script>"
)


def _page(title: str, body: str, status: int = 200, *, refresh: int = 0) -> HTMLResponse:
    reload = _RELOAD.replace("SECONDS", str(refresh * 1000)) if refresh > 0 else ""
    html = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"{reload}"
        f'<meta name="viewport" content="width=device-width"><style>{_STYLE}</style></head>'
        f"<body>{body}</body></html>"
    )
    return HTMLResponse(html, status_code=status)


def admin_routes(
    *,
    settings: Callable[[], Settings],
    store: Store,
    clock: Clock = system_clock,
    carriers: Sequence[Carrier] = (),
) -> list[Route]:
    """The routes, given a way to read the settings in use (they change on reload)."""
    secure = (settings().bridge.public_url or "").startswith("https:")
    door = Door(settings().admin, store=store, clock=clock, render=_page, secure=secure)
    guard = door.guard

    async def page(request: Request) -> Response:
        refused = guard(request)
        if refused is not None:
            return refused
        body = await _dashboard(request, settings(), store)
        return _page("smsbridge admin", body, refresh=settings().admin.refresh_seconds)

    async def conversation(request: Request) -> Response:
        section = await conversation_section(
            store,
            settings(),
            number=request.query_params.get("number", "")[:64],
            inbound_id=request.query_params.get("inbound", "")[:64],
        )
        back = '<a href="/admin">Back to the admin page</a>'
        body = f"<header><h1>smsbridge admin</h1>{back}</header><main>{section}</main>"
        return _page("Conversation: smsbridge admin", body)

    pages = Pages(
        guard=guard, render=_page, store=store, clock=clock, region=settings().smtp.default_region
    )
    refresh = lambda: settings().admin.refresh_seconds  # noqa: E731
    routes = [
        Route("/admin", page, methods=["GET"]),
        Route("/admin/conversation", guarded(guard, conversation), methods=["GET"]),
        Route("/admin/login", door.login, methods=["POST"]),
        Route("/admin/logout", door.logout, methods=["POST"]),
        *contacts_routes(guard=guard, render=_page, store=store),
        *consent_routes(guard=guard, render=_page, store=store),
        *scheduled_routes(guard=guard, render=_page, store=store, clock=clock),
        *flows_routes(guard=guard, render=_page, settings=settings),
        *history_routes(pages),
        *timeline_routes(pages),
        *audit_routes(pages),
        *health_routes(pages, carriers=carriers, refresh=refresh),
        *qr_routes(pages, numbers=lambda: [n.number for n in settings().numbers]),
    ]
    return [  # every POST needs its form's CSRF token
        Route(r.path, door.checked(r.endpoint), methods=r.methods)
        if r.methods and "POST" in r.methods
        else r
        for r in routes
    ]


async def _dashboard(request: Request, settings: Settings, store: Store) -> str:
    sections = [
        await _health(store),
        _explain_form(request, settings),
        _routes_table(settings),
        await _recent_texts(store),
        await _recent(store),
    ]
    top = header(request, "smsbridge admin")
    return f"{top}<main>{''.join(sections)}</main>"


async def _health(store: Store) -> str:
    counts = await store.counts()
    items = [
        ("waiting", counts.waiting),
        ("retrying", counts.retrying),
        ("sending", counts.sending),
        ("dead (24 h)", counts.dead),
        ("emails waiting", counts.mail_waiting),
        ("emails dead (24 h)", counts.mail_dead),
    ]
    stats = "".join(f'<div class="stat"><b>{n}</b>{escape(label)}</div>' for label, n in items)
    return f'<section><h2>Queue</h2><div class="stats">{stats}</div></section>'


def _explain_form(request: Request, settings: Settings) -> str:
    query = request.query_params
    values = {key: query.get(key, "") for key in ("sender", "to", "text", "at")}
    options = "".join(
        f"<option{' selected' if n.number == values['to'] else ''}>{escape(n.number)}</option>"
        for n in settings.numbers
    )
    to_field = (
        f'<select name="to">{options}</select>'
        if options
        else f'<input name="to" value="{escape(values["to"])}" required>'
    )
    fields = [
        _field("From", "sender", values["sender"], "+447700900123", required=True),
        f"<label>To (reply number){to_field}</label>",
        _field("Text", "text", values["text"], "RENEW"),
        _field("At (local)", "at", values["at"], "2026-12-25 22:15"),
    ]
    form = (
        f'<form class="inline" method="get" action="/admin">{"".join(fields)}'
        "<button type=submit>Explain</button></form>"
    )
    return f"<section><h2>Who would get this text?</h2>{form}{_answer(values, settings)}</section>"


def _field(label: str, name: str, value: str, placeholder: str, *, required: bool = False) -> str:
    need = " required" if required else ""
    return (
        f'<label>{label}<input name="{name}" value="{escape(value)}"'
        f' placeholder="{escape(placeholder)}"{need}></label>'
    )


def _answer(values: dict[str, str], settings: Settings) -> str:
    if not values["sender"]:
        return ""
    try:
        text = explain_inbound(
            settings,
            sender=values["sender"],
            to=values["to"],
            text=values["text"],
            at=values["at"] or None,
        )
    except (InvalidNumber, ValueError) as exc:
        return f'<p class="error">{escape(getattr(exc, "reason", str(exc)))}</p>'
    return f'<pre id="explanation">{escape(text)}</pre>'


def _routes_table(settings: Settings) -> str:
    if not settings.routes:
        note = "No routing table: each reply number's inbox gets its texts."
        return f"<section><h2>Routes</h2><p>{note}</p></section>"
    rows = "".join(
        f"<tr><td>{i}</td><td>{escape(r.name)}</td><td>{escape(_conditions(r))}</td>"
        f"<td>{escape(_destinations(r))}</td></tr>"
        for i, r in enumerate(settings.routes, start=1)
    )
    head = "<tr><th>#</th><th>Route</th><th>When</th><th>Goes to</th></tr>"
    return f"<section><h2>Routes (first match wins)</h2><table>{head}{rows}</table></section>"


def _conditions(route: RouteSettings) -> str:
    if route.default:
        return "any text (default)"
    parts = []
    if route.numbers:
        parts.append("to " + " or ".join(route.numbers))
    if route.senders:
        parts.append("from " + " or ".join(route.senders))
    if route.keywords:
        parts.append("keyword " + " or ".join(k.upper() for k in route.keywords))
    if route.days or route.start:
        hours = f" {route.start}-{route.end}" if route.start else ""
        zone = route.timezone or "the reply number's time zone"
        parts.append(f"{','.join(route.days) or 'every day'}{hours} ({zone})")
    parts += [f"during {c}" for c in route.during] + [
        f"except during {c}" for c in route.except_during
    ]
    return "; ".join(parts)


def _destinations(route: RouteSettings) -> str:
    parts = list(route.emails)
    if route.owner:
        parts.insert(0, "the member of staff in the conversation")
    parts += [f"text to {n}" for n in route.forward_to]
    if route.webhook:
        parts.append(f"webhook {route.webhook}")
    if route.auto_reply:
        parts.append(f'auto-reply "{route.auto_reply}"')
    return ", ".join(parts)


async def _recent_texts(store: Store) -> str:
    """Recent outbound texts with what the outbound chain did to each (never the text)."""
    jobs = await store.recent_sms(limit=20)
    if not jobs:
        return '<section id="texts"><h2>Recent texts</h2><p>None yet.</p></section>'
    rows = "".join(
        f'<tr><td><a href="/admin/texts/{escape(j.id)}">{j.created_at:%Y-%m-%d %H:%M:%S}</a></td>'
        f"<td>{escape(j.author or '-')}</td>"
        f"<td>{escape(mask(j.to_number))}</td><td>{escape(j.sender)}</td>"
        f"<td>{escape(j.state.value)}</td><td>{_chain_cell(j.chain)}</td></tr>"
        for j in jobs
    )
    head = (
        "<tr><th>Queued (UTC)</th><th>Author</th><th>To</th><th>From</th><th>State</th>"
        "<th>Outbound chain</th></tr>"
    )
    return f'<section id="texts"><h2>Recent texts</h2><table>{head}{rows}</table></section>'


def _chain_cell(hits: tuple[RuleHit, ...]) -> str:
    if not hits:
        return "every rule accepted"
    return "<br>".join(f"{escape(h.rule)}: {escape(h.action)} ({escape(h.detail)})" for h in hits)


async def _recent(store: Store) -> str:
    records = await store.recent_inbound(limit=20)
    if not records:
        return "<section><h2>Recent inbound texts</h2><p>None yet.</p></section>"
    rows = "".join(
        f"<tr><td>{r.received_at:%Y-%m-%d %H:%M:%S}</td>"
        f'<td><a href="/admin/conversation?inbound={escape(r.id)}">'
        f"{escape(mask(r.from_number))}</a></td>"
        f"<td>{escape(r.to_number)}</td><td>{escape(r.route or '(' + r.state + ')')}</td>"
        f"<td>{escape(', '.join(r.mailed_to))}</td></tr>"
        for r in records
    )
    head = (
        "<tr><th>Received (UTC)</th><th>From (its conversation)</th><th>To</th><th>Route</th>"
        "<th>Emailed to</th></tr>"
    )
    return f"<section><h2>Recent inbound texts</h2><table>{head}{rows}</table></section>"
