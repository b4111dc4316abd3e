"""A small stand-in for Twilio's message list, for testing the reply-number watcher.

Prism answers a list request with the spec's one fixed example, which cannot show texts
arriving over time; this server answers ``GET /2010-04-01/Accounts/{sid}/Messages.json`` with
the messages a test adds, shaped as Twilio's OpenAPI description (``ListMessageResponse`` and
``api.v2010.account.message``: ``sid``, ``from``, ``to``, ``body``, ``direction``,
``date_sent`` in RFC 2822, ``status``, ``num_segments``, ``next_page_uri``), newest first,
two per page so paging is exercised. ``fail_next`` makes it answer 503 for a while.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
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
        self._messages: list[dict[str, Any]] = []
        self._failures = 0
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
            "sid": sid, "account_sid": self.account_sid, "from": from_, "to": to, "body": body,
            "direction": "inbound", "status": "received", "num_segments": "1",
            "date_sent": format_datetime(at), "date_created": format_datetime(at),
            "api_version": "2010-04-01", "error_code": None, "error_message": None,
        }  # fmt: skip
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

    def fail_next(self, times: int) -> None:
        with self._lock:
            self._failures = times

    def _page(self, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.requests.append(query)
            if self._failures:
                self._failures -= 1
                return 503, {"code": 20500, "message": "Internal Server Error", "status": 503}
            to, sender = query.get("To", [None])[0], query.get("From", [None])[0]
            messages = [m for m in self._messages if to in (None, m["to"])
                        and sender in (None, m["from"])]  # fmt: skip
        page = int(query.get("Page", ["0"])[0])
        chunk = messages[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        more = (page + 1) * PAGE_SIZE < len(messages)
        path = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        field, value = ("From", sender) if sender else ("To", to or "")
        following = f"{path}?{field}={quote(value)}&PageSize={PAGE_SIZE}&Page={page + 1}"
        next_uri = following if more else None
        return 200, {"messages": chunk, "page": page, "page_size": PAGE_SIZE,
                     "next_page_uri": next_uri, "uri": path}  # fmt: skip

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                status, body = fake._page(parse_qs(parts.query))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
