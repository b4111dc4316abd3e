"""A small The SMS Works API, written from its documentation, for contract tests.

The SMS Works' API reference (api.thesmsworks.co.uk/docs) is not available to the tests as an
OpenAPI file, so this emulator keeps to the parts the bridge uses:

- ``POST /v1/message/send`` with ``Authorization: JWT <token>`` and a JSON body of
  ``sender``, ``destination``, ``content``, ``tag``, ``deliveryreporturl``; 201 with
  ``{"messageid", "status": "SENT", "credits", "creditsUsed"}``; 401 for a wrong JWT, 400
  ``{"message": ...}`` for a bad field, 402 when the credits run out.
- ``GET /v1/messages/inbox`` with the same header: the account's inbound messages, each with
  ``messageid``, ``source`` (the customer), ``destination`` (our number), ``content``,
  ``status`` ("INCOMING") and ``created`` (ISO 8601).
- ``report()`` plays a delivery report: a JSON POST to the text's ``deliveryreporturl`` with
  ``messageid``, ``status`` (DELIVERED, UNDELIVERABLE, EXPIRED, REJECTED), ``tag``,
  ``destination`` and ``sender``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tests.support.http_emulator import EmulatedRequest, HttpEmulator, Reply

__all__ = ["FakeSmsWorks", "SmsWorksSend"]


@dataclass(slots=True)
class SmsWorksSend:
    body: dict[str, Any]
    message_id: str


class FakeSmsWorks(HttpEmulator):
    def __init__(self, jwt: str, credits: int = 1000) -> None:
        super().__init__()
        self.jwt = jwt
        self.credits = credits
        self.sent: list[SmsWorksSend] = []
        self.inbox: list[dict[str, Any]] = []

    def handle(self, request: EmulatedRequest) -> Reply:
        if request.headers.get("authorization") != f"JWT {self.jwt}":
            return Reply(401, {"message": "Unauthorized"})
        if request.method == "POST" and request.path == "/v1/message/send":
            return self._send(request.json())
        if request.method == "GET" and request.path == "/v1/messages/inbox":
            with self.lock:
                return Reply(200, list(self.inbox))
        return Reply(404, {"message": "Not Found"})

    def _send(self, body: Any) -> Reply:
        if not isinstance(body, dict) or not all(
            body.get(k) for k in ("sender", "destination", "content")
        ):
            return Reply(400, {"message": "sender, destination and content are required"})
        if not str(body["destination"]).isdigit():
            return Reply(400, {"message": "Invalid destination"})
        with self.lock:
            if self.credits < 1:
                return Reply(402, {"message": "Insufficient credits"})
            self.credits -= 1
            send = SmsWorksSend(body=body, message_id=secrets.token_hex(12))
            self.sent.append(send)
        return Reply(
            201,
            {
                "messageid": send.message_id,
                "status": "SENT",
                "credits": self.credits,
                "creditsUsed": 1,
            },
        )

    def add_inbound(self, *, source: str, destination: str, content: str) -> str:
        message_id = secrets.token_hex(12)
        message = {
            "messageid": message_id,
            "source": source.lstrip("+"),
            "destination": destination.lstrip("+"),
            "content": content,
            "status": "INCOMING",
            "created": datetime.now(UTC).isoformat(),
        }
        with self.lock:
            self.inbox.insert(0, message)
        return message_id

    def report(self, send: SmsWorksSend, status: str = "DELIVERED", url: str | None = None) -> int:
        payload = {
            "messageid": send.message_id,
            "status": status,
            "tag": send.body.get("tag"),
            "destination": send.body["destination"],
            "sender": send.body["sender"],
        }
        return self.post(url or send.body["deliveryreporturl"], json=payload)
