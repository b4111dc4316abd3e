"""The admin console's door: who may come in (``admin.allowed_networks``, a session), the
login form and its lockout, logout, and the CSRF check in front of every POST.

A login is a session kept in this process (``bridge.web.sessions``): a restart logs everyone
out; it ends after ``admin.session_minutes``, or ``admin.idle_minutes`` without a request.
Its cookie is HttpOnly, SameSite=Strict, limited to ``/admin``, and Secure when
``bridge.public_url`` is https. ``admin.login_attempts`` wrong passwords from one address lock
it out for a while (``bridge.web.lockout``). Every POST route is wrapped (``checked``) so that
it needs the session's CSRF token, or for the login form a token bound to a nonce cookie of
its own; the body is read bounded first.
"""

from __future__ import annotations

import hmac
import math
import secrets
from html import escape
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bridge.clock import Clock
from bridge.parsing.networks import Networks
from bridge.settings.core import AdminSettings
from bridge.store.base import Console
from bridge.web.console_common import PageRender
from bridge.web.forms import read_body
from bridge.web.guarded import Handler
from bridge.web.lockout import Lockout
from bridge.web.sessions import CSRF_FIELD, Sessions

__all__ = ["COOKIE", "LOGIN_COOKIE", "Door"]

COOKIE = "smsbridge_admin"
LOGIN_COOKIE = "smsbridge_login"
_STALE_FORM = (
    "This form's security token is missing or out of date: reload the admin page and send"
    " the form again from there."
)


class Door:
    def __init__(
        self,
        settings: AdminSettings,
        *,
        store: Console,
        clock: Clock,
        render: PageRender,
        secure: bool,
    ) -> None:
        self._password = settings.password.get_secret_value() if settings.password else ""
        self._networks = Networks(settings.allowed_networks)
        self._sessions = Sessions(
            minutes=settings.session_minutes, idle_minutes=settings.idle_minutes
        )
        self._lockout = Lockout(store, settings, clock)
        self._clock = clock
        self._render = render
        self._secure = secure

    def allowed(self, request: Request) -> bool:
        return _address(request) in self._networks

    def _forbidden(self) -> Response:
        body = "<main><p>The admin page is not served to this address.</p></main>"
        return self._render("Forbidden", body, 403)

    def guard(self, request: Request) -> Response | None:
        """The answer to a request that may not see the page; None for one that may (its
        session is then ``request.state.session``)."""
        if not self.allowed(request):
            return self._forbidden()
        now = self._clock().timestamp()
        session = self._sessions.find(request.cookies.get(COOKIE), now=now)
        if session is None:
            return self._login_form()
        request.state.session = session
        return None

    async def login(self, request: Request) -> Response:
        if not self.allowed(request):
            return self._forbidden()
        address = _address(request)
        wait = await self._lockout.wait(address)
        if wait > 0:
            return self._locked_out(wait)
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        given = form.get("password", "")
        if not self._password or not hmac.compare_digest(given.encode(), self._password.encode()):
            await self._lockout.failed(address)
            return self._login_form("That password is not right.", 401)
        await self._lockout.succeeded(address)
        who = " ".join(form.get("name", "").split())[:64] or "admin"
        session = self._sessions.open(who, now=self._clock().timestamp())
        response = RedirectResponse("/admin", status_code=303)
        self._cookie(response, COOKIE, session.id, int(self._sessions.lifetime))
        response.delete_cookie(LOGIN_COOKIE, path="/admin")
        return response

    async def logout(self, request: Request) -> Response:
        self._sessions.close(request.cookies.get(COOKIE))
        response = RedirectResponse("/admin", status_code=303)
        response.delete_cookie(COOKIE, path="/admin")
        return response

    def checked(self, handler: Handler) -> Handler:
        """``handler``, behind the CSRF check for a POST: the token its form carried must be
        the session's (the login form's, for a login). Other methods go straight through."""

        async def run(request: Request) -> Response:
            if request.method != "POST":
                return await handler(request)
            if not self.allowed(request):
                return self._forbidden()
            body = await read_body(request)  # bounded, as every form the bridge reads
            if isinstance(body, Response):
                return self._render("Too large", "<main><p>That form is too large.</p></main>", 413)
            request._body = body  # what Request.body() keeps, so the handler reads it again
            if not self._token_ok(request, body):
                return self._render("Refused", f"<main><p>{escape(_STALE_FORM)}</p></main>", 403)
            return await handler(request)

        return run

    def _token_ok(self, request: Request, body: bytes) -> bool:
        given = dict(parse_qsl(body.decode("utf-8", "replace"))).get(CSRF_FIELD, "")
        if request.url.path == "/admin/login":
            nonce = request.cookies.get(LOGIN_COOKIE, "")
            expected = self._sessions.login_token(nonce) if nonce else ""
        else:
            now = self._clock().timestamp()
            session = self._sessions.find(request.cookies.get(COOKIE), now=now)
            expected = session.csrf if session is not None else ""
        return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())

    def _locked_out(self, wait: float) -> Response:
        minutes = max(1, math.ceil(wait / 60))
        sentence = (
            f"Too many wrong passwords from this address: try again in {minutes} minute"
            f"{'s' if minutes != 1 else ''}."
        )
        body = (
            f'<header><h1>smsbridge admin</h1></header><main><p class="error">{sentence}</p></main>'
        )
        response = self._render("Locked out: smsbridge admin", body, 429)
        response.headers["Retry-After"] = str(math.ceil(wait))
        return response

    def _login_form(self, error: str = "", status: int = 200) -> Response:
        nonce = secrets.token_urlsafe(24)
        message = f'<p class="error">{escape(error)}</p>' if error else ""
        token = self._sessions.login_token(nonce)
        body = (
            "<header><h1>smsbridge admin</h1></header><main><section><h2>Log in</h2>"
            f'{message}<form class="inline" method="post" action="/admin/login">'
            f'<input type="hidden" name="{CSRF_FIELD}" value="{token}">'
            "<label>Your name (for the audit log)"
            '<input name="name" autocomplete="username"></label>'
            '<label>Password<input type="password" name="password" autofocus required></label>'
            "<button type=submit>Log in</button></form></section></main>"
        )
        response = self._render("Log in: smsbridge admin", body, status)
        self._cookie(response, LOGIN_COOKIE, nonce, 3600)
        return response

    def _cookie(self, response: Response, name: str, value: str, max_age: int) -> None:
        response.set_cookie(
            name,
            value,
            httponly=True,
            samesite="strict",
            secure=self._secure,
            max_age=max_age,
            path="/admin",
        )


def _address(request: Request) -> str:
    return request.client.host if request.client else ""
