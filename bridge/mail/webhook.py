"""Inbound texts posted as JSON to a route's webhook URL, signed so the receiver can trust them.

The body is signed with HMAC-SHA256 keyed by ``inbound.webhook_secret`` and the hex digest
sent as ``X-SMSBridge-Signature: sha256=<hex>``; a receiver recomputes it over the raw body.
The posts go through the same durable queue as the bridge's emails: 2xx is delivered, 429,
5xx and network errors are retried with backoff, any other answer is final.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import TYPE_CHECKING

from bridge.errors import PermanentFailure, TemporaryFailure
from bridge.models import Conversation, ThreadEntry

if TYPE_CHECKING:
    import httpx

__all__ = ["WebhookTransport", "conversation_json", "sign", "webhook_body"]


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_body(
    *,
    inbound_id: str,
    provider: str,
    provider_message_id: str,
    sender: str,
    to: str,
    text: str,
    received_at: datetime,
    route: str,
    conversation: dict[str, object] | None = None,
) -> bytes:
    return json.dumps(
        {
            "id": inbound_id,
            "provider": provider,
            "provider_message_id": provider_message_id,
            "from": sender,
            "to": to,
            "text": text,
            "received_at": received_at.isoformat(),
            "route": route,
            "conversation": conversation,
        },
        ensure_ascii=False,
    ).encode()


def conversation_json(
    conversation: Conversation | None, history: tuple[ThreadEntry, ...], *, live: bool
) -> dict[str, object] | None:
    """The conversation a text belongs to, as the webhook carries it: its id, its owner,
    whether it is live, and the last text sent to the customer (who, when, what)."""
    sent = [entry for entry in history if not entry.inbound]
    last: dict[str, object] | None = None
    if sent:
        last = {"by": sent[-1].author, "at": sent[-1].at.isoformat(), "text": sent[-1].text}
    elif conversation is not None and conversation.last_text:
        last = {
            "by": conversation.author,
            "at": conversation.last_at.isoformat(),
            "text": conversation.last_text,
        }
    if conversation is None:
        return (
            None if last is None else {"id": None, "owner": None, "live": False, "last_sent": last}
        )
    return {
        "id": conversation.id or None,
        "owner": conversation.author,
        "live": live,
        "last_sent": last,
    }


class WebhookTransport:
    name = "webhook"

    def __init__(self, *, client: httpx.AsyncClient, secret: str, timeout: float = 10.0) -> None:
        self._client = client
        self._secret = secret
        self._timeout = timeout

    async def aclose(self) -> None:
        await self._client.aclose()

    async def deliver(
        self,
        *,
        envelope_from: str,
        recipients: tuple[str, ...],
        content: bytes,
        key: str | None = None,
        retry: bool = False,
    ) -> None:
        for url in recipients:
            await self._post(url, content)

    async def _post(self, url: str, body: bytes) -> None:
        import httpx  # loaded already with the client; not at every start (few use webhooks)

        headers = {
            "Content-Type": "application/json",
            "X-SMSBridge-Signature": sign(body, self._secret),
        }
        try:
            answer = await self._client.post(
                url, content=body, headers=headers, timeout=self._timeout
            )
        except httpx.TransportError as exc:
            raise TemporaryFailure(f"could not reach the webhook ({type(exc).__name__})") from None
        if answer.is_success:
            return
        reason = f"the webhook answered HTTP {answer.status_code}"
        if answer.status_code in (408, 429) or answer.status_code >= 500:
            raise TemporaryFailure(reason)
        raise PermanentFailure(reason)
