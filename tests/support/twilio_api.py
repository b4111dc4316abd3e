"""A small stand-in for Twilio's Messages resource, for the watcher and the fault tests.

Prism answers with the spec's one fixed example, which cannot show texts arriving over time
or a send that Twilio has although its answer was lost. This server keeps its messages:
``GET /2010-04-01/Accounts/{sid}/Messages.json`` lists the messages a test adds and those sent
to it, shaped as Twilio's OpenAPI description (``ListMessageResponse`` and
``api.v2010.account.message``: ``sid``, ``from``, ``to``, ``body``, ``direction``,
``date_sent`` and ``date_created`` in RFC 2822, ``status``, ``num_segments``,
``next_page_uri``), newest first, two per page so paging is exercised; ``POST`` to the same
path with ``To``, ``From`` and ``Body`` (``CreateMessage``) creates one and answers 201.

Every create's form is kept in ``created`` (``MediaUrl`` repeated for an MMS). Media
(``add_media``) is served at its path, only to a request with the account's Basic
credentials (``media_token``; none asked while it is empty, as a CDN), or answered with a redirect; the
Authorization header of each media request is kept in ``media_auth`` by path.

``fail_next`` makes lists answer 503 for a while. ``send_faults`` scripts the next sends: an
HTTP status (``"503"``, ``"500"``, ``"429"`` with ``Retry-After: 1``) refuses it; ``"400:21610"``
refuses it as Twilio does with that error code (an unsubscribed recipient); ``"slow"``
keeps the message and answers only after ``slow_seconds`` (the client times out: it does not
know the outcome); ``"reset"`` reads the request and resets the connection without keeping it.
"""

from __future__ import annotations

import base64
import json
import secrets
import socket
import struct
import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

__all__ = ["FakeTwilioMessages"]

PAGE_SIZE = 2


class FakeTwilioMessages:
    def __init__(self, account_sid: str) -> None:
        self.account_sid = account_sid
        self.requests: list[dict[str, list[str]]] = []
        self.created: list[dict[str, list[str]]] = []
        self.media_token = ""
        self.media_auth: dict[str, list[str | None]] = {}
        self._media: dict[str, tuple[int, str, bytes]] = {}  # path: status, type or Location, body
        self._messages: list[dict[str, Any]] = []
        self._failures = 0
        self._send_faults: list[str] = []
        self.slow_seconds = 3.0
        self._open = threading.Event()  # sends wait while it is clear (``hold``)
        self._open.set()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeTwilioMessages:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add_inbound(self, sid: str, *, from_: str, to: str, body: str, at: datetime) -> None:
        message = {
            "sid": sid,
            "account_sid": self.account_sid,
            "from": from_,
            "to": to,
            "body": body,
            "direction": "inbound",
            "status": "received",
            "num_segments": "1",
            "date_sent": format_datetime(at),
            "date_created": format_datetime(at),
            "api_version": "2010-04-01",
            "error_code": None,
            "error_message": None,
        }
        with self._lock:
            self._messages.insert(0, message)

    def add_outbound(
        self,
        sid: str,
        *,
        from_: str,
        to: str,
        status: str,
        at: datetime,
        error_code: int | None = None,
    ) -> None:
        """A text the bridge sent, as Twilio lists it with its current ``status``."""
        self.add_inbound(sid, from_=from_, to=to, body="", at=at)
        with self._lock:
            self._messages[0].update(direction="outbound-api", status=status, error_code=error_code)

    def add_media(
        self, path: str, content: bytes = b"", *, content_type: str = "", redirect: str = ""
    ) -> str:
        """Serve ``content`` (or a 302 to ``redirect``) at ``path``; returns its full URL."""
        with self._lock:
            if redirect:
                self._media[path] = (302, redirect, b"")
            else:
                self._media[path] = (200, content_type, content)
        return self.url + path

    def _media_answer(self, path: str, authorization: str | None) -> tuple[int, str, bytes]:
        with self._lock:
            self.media_auth.setdefault(path, []).append(authorization)
            found = self._media.get(path)
        if found is None:
            return 404, "text/plain", b"not found"
        expected = (
            "Basic " + base64.b64encode(f"{self.account_sid}:{self.media_token}".encode()).decode()
        )
        if found[0] == 200 and self.media_token and authorization != expected:
            return 401, "text/plain", b"authenticate"
        return found

    def fail_next(self, times: int) -> None:
        with self._lock:
            self._failures = times

    def hold(self) -> None:
        """Keep every send waiting until ``release``: texts queued one after another reach
        the fake together, whatever the order the bridge's workers take them in."""
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def send_faults(self, *faults: str) -> None:
        """What the next sends get, one fault each, before sends succeed again."""
        with self._lock:
            self._send_faults = list(faults)

    @property
    def sent(self) -> list[dict[str, Any]]:
        """The messages sent to this server, oldest first."""
        with self._lock:
            return [
                m
                for m in reversed(self._messages)
                if m["direction"] == "outbound-api" and m["body"]
            ]

    def _create(self, form: dict[str, list[str]]) -> tuple[str, dict[str, Any]]:
        """The fault for this send ("" for none) and the message it made, if it kept one."""
        with self._lock:
            self.created.append(form)
            fault = self._send_faults.pop(0) if self._send_faults else ""
        if fault not in ("", "slow"):
            return fault, {}
        now = format_datetime(datetime.now(UTC))
        message = {
            "sid": "SM" + secrets.token_hex(16),
            "account_sid": self.account_sid,
            "from": form.get("From", [""])[0],
            "to": form.get("To", [""])[0],
            "body": form.get("Body", [""])[0],
            "direction": "outbound-api",
            "status": "queued",
            "num_segments": "1",
            "date_sent": None,
            "date_created": now,
            "price": None,
            "price_unit": "USD",
            "api_version": "2010-04-01",
            "error_code": None,
            "error_message": None,
        }
        with self._lock:
            self._messages.insert(0, message)
        return fault, message

    def _page(self, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests.append(query)
            if self._failures:
                self._failures -= 1
                return 503, {"code": 20500, "message": "Internal Server Error", "status": 503}
            to, sender = query.get("To", [None])[0], query.get("From", [None])[0]
            messages = [
                m for m in self._messages if to in (None, m["to"]) and sender in (None, m["from"])
            ]
        page = int(query.get("Page", ["0"])[0])
        chunk = messages[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        more = (page + 1) * PAGE_SIZE < len(messages)
        path = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        field, value = ("From", sender) if sender else ("To", to or "")
        following = f"{path}?{field}={quote(value)}&PageSize={PAGE_SIZE}&Page={page + 1}"
        next_uri = following if more else None
        return 200, {
            "messages": chunk,
            "page": page,
            "page_size": PAGE_SIZE,
            "next_page_uri": next_uri,
            "uri": path,
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if "/Media/" in parts.path:
                    self._media(parts.path)
                    return
                status, body = fake._page(parse_qs(parts.query))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                fake._open.wait(timeout=30)
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
                fault, message = fake._create(form)
                if fault == "reset":  # RST: the client cannot tell what happened
                    linger = struct.pack("ii", 1, 0)
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                    self.close_connection = True
                    return
                if fault == "slow":
                    time.sleep(fake.slow_seconds)
                status_text, _, code = fault.partition(":")
                status = int(status_text) if status_text.isdigit() else 201
                body = message or {
                    "code": int(code) if code else 20429 if status == 429 else 20500,
                    "message": "Refused by the fault script",
                    "more_info": f"https://www.twilio.com/docs/errors/{code or status}",
                    "status": status,
                }
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    if status == 429:
                        self.send_header("Retry-After", "1")
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # a slow answer's client has given up: that was the point

            def _media(self, path: str) -> None:
                status, kind, body = fake._media_answer(path, self.headers.get("Authorization"))
                self.send_response(status)
                if status == 302:
                    self.send_header("Location", kind)
                else:
                    self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
