"""A route's webhook: the text as signed JSON, through the durable queue, to a real HTTP server."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from bridge.errors import PermanentFailure, TemporaryFailure
from bridge.mail.webhook import WebhookTransport
from bridge.models import InboundSms
from bridge.store.sqlite import SqliteStore
from tests.conftest import make_settings
from tests.support.workers import inbound_dispatcher

T0 = datetime(2026, 11, 22, 22, 15, tzinfo=UTC)
ROUTES = """
[[routes]]
name = "crm"
default = true
emails = ["team@example.com"]
webhook = "{url}"
"""


class Receiver:
    """A real HTTP server that answers with the statuses it is given and keeps what it got."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.posts: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append((dict(self.headers.items()), body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver([])
    yield running
    running.server.shutdown()
    running.server.server_close()


async def test_a_routed_text_is_posted_signed(tmp_path: Path, receiver: Receiver) -> None:
    settings = make_settings(tmp_path, extra=ROUTES.format(url=receiver.url))
    store = SqliteStore(tmp_path / "bridge.db")
    await store.open()
    await store.receive_sms(
        InboundSms(
            provider="twilio",
            provider_message_id="SM1",
            from_number="+447700900123",
            to_number="+447700900100",
            text="Renew 😀",
            received_at=T0,
        ),
        now=T0,
    )
    [job] = await store.claim_inbound(now=T0, limit=1, lease_seconds=60, owner="t")
    await inbound_dispatcher(store, settings, clock=lambda: T0).handle(job)
    jobs = await store.claim_mail(now=T0, limit=5, lease_seconds=60, owner="t")
    [hook] = [j for j in jobs if j.kind == "webhook"]
    async with httpx.AsyncClient() as client:
        await WebhookTransport(client=client, secret="s3cret").deliver(
            envelope_from=hook.envelope_from, recipients=hook.recipients, content=hook.content
        )
    await store.close()
    [(headers, body)] = receiver.posts
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-SMSBridge-Signature"] == expected
    payload = json.loads(body)
    assert (payload["from"], payload["to"], payload["text"], payload["route"]) == (
        "+447700900123",
        "+447700900100",
        "Renew 😀",
        "crm",
    )


@pytest.mark.parametrize(
    ("status", "error"), [(503, TemporaryFailure), (429, TemporaryFailure), (404, PermanentFailure)]
)
async def test_answers_are_retried_or_final(status: int, error: type[Exception]) -> None:
    receiver = Receiver([status])
    try:
        async with httpx.AsyncClient() as client:
            with pytest.raises(error):
                await WebhookTransport(client=client, secret="s").deliver(
                    envelope_from="", recipients=(receiver.url,), content=b"{}"
                )
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
