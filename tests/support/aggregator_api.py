"""A typical local SMS aggregator's HTTP API, for the generic ``http`` provider's tests.

It stands for no one company: it has the shape most small aggregators' APIs share, which is
what the generic provider must be able to describe in TOML without code:

- ``POST /api/v1/send``, HTTP Basic auth, a form of ``to`` (digits), ``from``, ``message``,
  ``reference``, ``coding`` (0 GSM, 1 Unicode) and ``dlr_url``; HTTP 200 with
  ``{"status": "OK", "data": {"message_id", "cost"}}`` or, still 200,
  ``{"status": "ERROR", "error": {"code": "INVALID_NUMBER", "message": ...}}``.
- Delivery reports: ``GET dlr_url&msg_id=...&stat=DELIVRD|UNDELIV|EXPIRED|REJECTD&err=...``.
- Inbound texts: a JSON POST ``{"msg_id", "msisdn", "shortcode", "message"}`` with the shared
  secret in ``X-Webhook-Token``.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass

import httpx

from tests.support.http_emulator import EmulatedRequest, HttpEmulator, Reply

__all__ = ["AggregatorSend", "FakeAggregator"]


@dataclass(slots=True)
class AggregatorSend:
    form: dict[str, str]
    message_id: str


class FakeAggregator(HttpEmulator):
    def __init__(self, username: str, password: str) -> None:
        super().__init__()
        self._auth = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
        self.sent: list[AggregatorSend] = []
        self.blacklist: set[str] = set()

    def handle(self, request: EmulatedRequest) -> Reply:
        if request.path != "/api/v1/send" or request.method != "POST":
            return Reply(404, {"status": "ERROR", "error": {"code": "NOT_FOUND"}})
        if request.headers.get("authorization") != self._auth:
            return Reply(401, {"status": "ERROR", "error": {"code": "AUTH", "message": "Login"}})
        form = request.form()
        if not form.get("to", "").isdigit():
            return self._error("INVALID_NUMBER", "The destination is not a number")
        if form["to"] in self.blacklist:
            return self._error("BLACKLISTED", "The destination is blacklisted")
        send = AggregatorSend(form=form, message_id=secrets.token_hex(6))
        with self.lock:
            self.sent.append(send)
        return Reply(200, {"status": "OK", "data": {"message_id": send.message_id, "cost": "0.05"}})

    @staticmethod
    def _error(code: str, message: str) -> Reply:
        return Reply(200, {"status": "ERROR", "error": {"code": code, "message": message}})

    def report(self, send: AggregatorSend, stat: str = "DELIVRD", err: str = "000") -> int:
        separator = "&" if "?" in send.form["dlr_url"] else "?"
        url = f"{send.form['dlr_url']}{separator}msg_id={send.message_id}&stat={stat}&err={err}"
        return FakeAggregator.get(url)

    def inbound(self, url: str, *, msisdn: str, shortcode: str, message: str, token: str) -> int:
        body = {
            "msg_id": secrets.token_hex(6),
            "msisdn": msisdn.lstrip("+"),
            "shortcode": shortcode.lstrip("+"),
            "message": message,
        }
        return self.post(url, json=body, headers={"X-Webhook-Token": token})

    @staticmethod
    def get(url: str) -> int:
        return httpx.get(url, timeout=10).status_code
