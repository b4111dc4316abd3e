"""Admin sessions, kept in this process: each expires ``minutes`` after login, or after
``idle_minutes`` without a request, and ends at logout. A restart logs everyone out.

A session has its own random CSRF token, which every form of the console carries and every
POST must send back (``bridge.web.admin`` checks it in one place, for every POST route). The
login form, shown before there is a session, carries a token bound to a random nonce in a
cookie of its own (double submit, signed with this process's key), so another site cannot
log a browser in either.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from starlette.requests import Request

__all__ = ["CSRF_FIELD", "Session", "Sessions", "csrf_input"]

CSRF_FIELD = "csrf"
MAX_SESSIONS = 1000


@dataclass(slots=True)
class Session:
    id: str
    who: str  # the name given at login, for the audit log
    csrf: str
    started: float
    seen: float


class Sessions:
    def __init__(self, *, minutes: float, idle_minutes: float) -> None:
        self._key = secrets.token_bytes(32)
        self._lifetime = minutes * 60
        self._idle = idle_minutes * 60
        self._open: dict[str, Session] = {}

    @property
    def lifetime(self) -> float:
        return self._lifetime

    def open(self, who: str, *, now: float) -> Session:
        self._sweep(now)
        if len(self._open) >= MAX_SESSIONS:  # the oldest goes first
            del self._open[min(self._open, key=lambda sid: self._open[sid].seen)]
        session = Session(secrets.token_urlsafe(32), who, secrets.token_urlsafe(32), now, now)
        self._open[session.id] = session
        return session

    def find(self, token: str | None, *, now: float) -> Session | None:
        """The live session of ``token``, marked as used now; None (and it ends) if expired."""
        session = self._open.get(token or "")
        if session is None:
            return None
        if now - session.started >= self._lifetime or now - session.seen >= self._idle:
            del self._open[session.id]
            return None
        session.seen = now
        return session

    def close(self, token: str | None) -> None:
        self._open.pop(token or "", None)

    def login_token(self, nonce: str) -> str:
        """The login form's CSRF token for the nonce in its cookie."""
        return hmac.new(self._key, b"login:" + nonce.encode(), hashlib.sha256).hexdigest()

    def _sweep(self, now: float) -> None:
        for sid in [
            sid
            for sid, s in self._open.items()
            if now - s.started >= self._lifetime or now - s.seen >= self._idle
        ]:
            del self._open[sid]


def csrf_input(request: Request) -> str:
    """The hidden field every console form carries: the session's token (set by the guard)."""
    session: Session | None = getattr(request.state, "session", None)
    token = session.csrf if session is not None else ""
    return f'<input type="hidden" name="{CSRF_FIELD}" value="{token}">'
