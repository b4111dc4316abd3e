"""The admin page: queue health, an explain form, the routing table, recent texts (with what
the outbound chain did to each) and recent inbound texts; links to the console's other pages
(the outbound history and each text's timeline, provider health, the audit log, contacts,
conversations, the consent ledger, scheduled texts), served behind the same checks.

Server-rendered HTML with a little CSS; the only script reloads the overview and health
pages every ``admin.refresh_seconds`` while nobody is typing. It is off unless
``admin.enabled``; then it answers only clients in ``admin.allowed_networks`` (loopback by
default, even when the HTTP server listens publicly for provider webhooks) and only after the
password. ``admin.login_attempts`` wrong passwords from one address lock it out for a while
(``bridge.web.lockout``). A login is a session kept in this process (``bridge.web.sessions``),
so a restart logs everyone out; it ends after ``admin.session_minutes``, or
``admin.idle_minutes`` without a request. Its cookie is HttpOnly, SameSite=Strict, and Secure
when ``bridge.public_url`` is https. Every POST route is wrapped here so that it needs the
session's CSRF token (the login form: a token bound to a nonce cookie of its own). Every value
shown is HTML-escaped; the explain form is a read-only GET.
"""

from __future__ import annotations

import hmac
import math
import secrets
from collections.abc import Callable, Sequence
from html import escape
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from bridge.clock import Clock, system_clock
from bridge.errors import InvalidNumber
from bridge.models import RuleHit
from bridge.parsing.networks import Networks
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
from bridge.web.console_text import timeline_routes
from bridge.web.contacts_page import contacts_routes
from bridge.web.conversation_page import conversation_section
from bridge.web.forms import read_body
from bridge.web.guarded import Handler, guarded
from bridge.web.lockout import Lockout
from bridge.web.scheduled_page import scheduled_routes
from bridge.web.sessions import CSRF_FIELD, Sessions

__all__ = ["admin_routes"]

COOKIE = "smsbridge_admin"
LOGIN_COOKIE = "smsbridge_login"
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
    admin = settings().admin
    password = admin.password.get_secret_value() if admin.password else ""
    networks = Networks(admin.allowed_networks)
    sessions = Sessions(minutes=admin.session_minutes, idle_minutes=admin.idle_minutes)
    lockout = Lockout(store, admin, clock)
    secure = (settings().bridge.public_url or "").startswith("https:")

    def allowed(request: Request) -> bool:
        return _address(request) in networks

    def guard(request: Request) -> Response | None:
        """The answer to a request that may not see the page; None for one that may."""
        if not allowed(request):
            return _page(
                "Forbidden",
                "<main><p>The admin page is not served to this address.</p></main>",
                403,
            )
        session = sessions.find(request.cookies.get(COOKIE), now=clock().timestamp())
        if session is None:
            return _login(sessions, secure=secure)
        request.state.session = session
        return None

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

    async def login(request: Request) -> Response:
        if not allowed(request):
            return _page("Forbidden", "<main><p>Not served to this address.</p></main>", 403)
        address = _address(request)
        wait = await lockout.wait(address)
        if wait > 0:
            return _locked_out(wait)
        form = dict(parse_qsl((await request.body())[:4096].decode("utf-8", "replace")))
        given = form.get("password", "")
        if not password or not hmac.compare_digest(given.encode(), password.encode()):
            await lockout.failed(address)
            return _login(sessions, "That password is not right.", 401, secure=secure)
        await lockout.succeeded(address)
        who = " ".join(form.get("name", "").split())[:64] or "admin"
        session = sessions.open(who, now=clock().timestamp())
        response = RedirectResponse("/admin", status_code=303)
        response.set_cookie(
            COOKIE,
            session.id,
            httponly=True,
            samesite="strict",
            secure=secure,
            max_age=int(sessions.lifetime),
            path="/admin",
        )
        response.delete_cookie(LOGIN_COOKIE, path="/admin")
        return response

    async def logout(request: Request) -> Response:
        sessions.close(request.cookies.get(COOKIE))
        response = RedirectResponse("/admin", status_code=303)
        response.delete_cookie(COOKIE, path="/admin")
        return response

    def csrf_checked(handler: Handler) -> Handler:
        """Every POST carries its form's token: the session's, or the login form's."""

        async def run(request: Request) -> Response:
            if request.method != "POST":
                return await handler(request)
            if not allowed(request):
                return _page("Forbidden", "<main><p>Not served to this address.</p></main>", 403)
            body = await read_body(request)  # bounded, as every form the bridge reads
            if isinstance(body, Response):
                return _page("Too large", "<main><p>That form is too large.</p></main>", 413)
            request._body = body  # what Request.body() keeps, so the handler reads it again
            if not _token_ok(request, body, sessions, clock().timestamp()):
                return _page("Refused", f"<main><p>{escape(_STALE_FORM)}</p></main>", 403)
            return await handler(request)

        return run

    pages = Pages(
        guard=guard,
        render=_page,
        store=store,
        clock=clock,
        region=settings().smtp.default_region,
    )
    routes = [
        Route("/admin", page, methods=["GET"]),
        Route("/admin/conversation", guarded(guard, conversation), methods=["GET"]),
        Route("/admin/login", login, methods=["POST"]),
        Route("/admin/logout", logout, methods=["POST"]),
        *contacts_routes(guard=guard, render=_page, store=store),
        *consent_routes(guard=guard, render=_page, store=store),
        *scheduled_routes(guard=guard, render=_page, store=store, clock=clock),
        *history_routes(pages),
        *timeline_routes(pages),
        *audit_routes(pages),
        *health_routes(pages, carriers=carriers, refresh=lambda: settings().admin.refresh_seconds),
    ]
    return [
        Route(r.path, csrf_checked(r.endpoint), methods=r.methods)
        if r.methods and "POST" in r.methods
        else r
        for r in routes
    ]


_STALE_FORM = (
    "This form's security token is missing or out of date: reload the admin page and send"
    " the form again from there."
)


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


def _token_ok(request: Request, body: bytes, sessions: Sessions, now: float) -> bool:
    fields = dict(parse_qsl(body.decode("utf-8", "replace")))
    given = fields.get(CSRF_FIELD, "")
    if request.url.path == "/admin/login":
        nonce = request.cookies.get(LOGIN_COOKIE, "")
        expected = sessions.login_token(nonce) if nonce else ""
    else:
        session = sessions.find(request.cookies.get(COOKIE), now=now)
        expected = session.csrf if session is not None else ""
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def _locked_out(wait: float) -> HTMLResponse:
    minutes = max(1, math.ceil(wait / 60))
    sentence = (
        f"Too many wrong passwords from this address: try again in {minutes} minute"
        f"{'s' if minutes != 1 else ''}."
    )
    body = f'<header><h1>smsbridge admin</h1></header><main><p class="error">{sentence}</p></main>'
    response = _page("Locked out: smsbridge admin", body, 429)
    response.headers["Retry-After"] = str(math.ceil(wait))
    return response


def _login(
    sessions: Sessions, error: str = "", status: int = 200, *, secure: bool = False
) -> HTMLResponse:
    nonce = secrets.token_urlsafe(24)
    message = f'<p class="error">{escape(error)}</p>' if error else ""
    body = (
        "<header><h1>smsbridge admin</h1></header><main><section><h2>Log in</h2>"
        f'{message}<form class="inline" method="post" action="/admin/login">'
        f'<input type="hidden" name="{CSRF_FIELD}" value="{sessions.login_token(nonce)}">'
        '<label>Your name (for the audit log)<input name="name" autocomplete="username"></label>'
        '<label>Password<input type="password" name="password" autofocus required></label>'
        "<button type=submit>Log in</button></form></section></main>"
    )
    response = _page("Log in: smsbridge admin", body, status)
    response.set_cookie(
        LOGIN_COOKIE,
        nonce,
        httponly=True,
        samesite="strict",
        secure=secure,
        max_age=3600,
        path="/admin",
    )
    return response


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
        f"<tr><td>{j.created_at:%Y-%m-%d %H:%M:%S}</td><td>{escape(j.author or '-')}</td>"
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
