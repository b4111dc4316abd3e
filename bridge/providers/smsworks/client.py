"""The SMS Works: ``POST {base_url}/v1/message/send`` with the account's JWT in ``Authorization``.

The JSON body is ``sender``, ``destination`` (digits, no ``+``), ``content``, ``tag`` (our job
id, echoed in delivery reports) and ``deliveryreporturl``. Success is 201 (or 200) with
``messageid``, ``status`` and the credits the text used, recorded as its price. Errors:
401/403 are the bridge's JWT, 402 an account out of credit (temporary: an admin can top it up),
429 and 5xx the service's load, other 4xx a text that will stay wrong (permanent).

Replies are read from the account's inbox (``GET /v1/messages/inbox``) by the reply-number
watcher; The SMS Works has no inbound webhook that the bridge relies on. Delivery reports
have no signature, so the URL the bridge gives for them carries a token derived from the JWT
(``webhook_token``), and reports without it are refused.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bridge.errors import OutcomeUnknown, PermanentFailure, TemporaryFailure
from bridge.models import DeliveryReport, InboundSms, OutboundSms, SendResult
from bridge.parsing.numbers import digits, plus_digits
from bridge.providers.http_common import json_body, request, retry_after
from bridge.providers.smsworks.settings import SmsWorksSettings

__all__ = ["SmsWorksProvider", "webhook_token"]

INBOX_LIMIT = 100


def webhook_token(settings: SmsWorksSettings) -> str:
    """The token in our delivery-report URL: unguessable without the JWT, stable across runs."""
    key = settings.jwt.get_secret_value().encode() if settings.jwt else b""
    return hmac.new(key, b"smsbridge delivery reports", hashlib.sha256).hexdigest()[:32]


class SmsWorksProvider:
    """``bridge.providers.base.Provider`` for The SMS Works, and its inbox lister."""

    def __init__(
        self,
        settings: SmsWorksSettings,
        *,
        client: httpx.AsyncClient,
        name: str = "smsworks",
        callback_url: str | None = None,
    ) -> None:
        self.name = name
        self._settings = settings
        self._client = client
        self._callback = f"{callback_url}?token={webhook_token(settings)}" if callback_url else None
        self._base = settings.base_url.rstrip("/")
        jwt = settings.jwt.get_secret_value() if settings.jwt else ""
        self._headers = {"Authorization": jwt if jwt.upper().startswith("JWT ") else f"JWT {jwt}"}

    async def send(self, sms: OutboundSms) -> SendResult:
        body: dict[str, Any] = {
            "sender": sms.sender,
            "destination": digits(sms.to),
            "content": sms.text,
            "tag": sms.job_id,
        }
        if self._callback:
            body["deliveryreporturl"] = self._callback
        response = await request(
            self._client,
            "The SMS Works",
            "POST",
            f"{self._base}/v1/message/send",
            json=body,
            headers=self._headers,
            timeout=self._settings.timeout_seconds,
        )
        if not response.is_success:
            raise _failure(response)
        answer = json_body(response)
        used = answer.get("creditsUsed")
        return SendResult(
            provider_message_id=str(answer.get("messageid") or ""),
            price=f"{used} credits" if used is not None else None,
        )

    async def find_sent(self, sms: OutboundSms) -> SendResult | None:
        raise OutcomeUnknown(sms.job_id)

    async def list_inbound(self, reply_number: str, *, since: datetime | None) -> list[InboundSms]:
        """Texts in the account's inbox to ``reply_number`` received after ``since``, oldest
        first; the store ignores one it already has, so overlapping polls are harmless."""
        response = await request(
            self._client,
            "The SMS Works",
            "GET",
            f"{self._base}/v1/messages/inbox",
            params={"limit": INBOX_LIMIT},
            headers=self._headers,
            timeout=self._settings.timeout_seconds,
        )
        if not response.is_success:
            failure = _failure(response)
            raise TemporaryFailure(failure.reason, code=failure.code)
        found = [_inbound(self.name, m) for m in _messages(response)]
        wanted = [sms for sms in found if sms.to_number == reply_number]
        if since is not None:
            wanted = [sms for sms in wanted if sms.received_at >= since - timedelta(seconds=1)]
        return sorted(wanted, key=lambda sms: sms.received_at)

    async def list_reports(self, sender: str, *, since: datetime | None) -> list[DeliveryReport]:
        """Reports arrive only by webhook; a bridge without a public URL sees states as sent."""
        return []


def _messages(response: httpx.Response) -> list[dict[str, Any]]:
    try:
        data = response.json()
    except ValueError:
        return []
    if isinstance(data, dict):
        data = data.get("messages") or []
    return (
        [m for m in data if isinstance(m, dict) and m.get("messageid")]
        if isinstance(data, list)
        else []
    )


def _inbound(provider: str, message: dict[str, Any]) -> InboundSms:
    return InboundSms(
        provider=provider,
        provider_message_id=str(message["messageid"]),
        from_number=plus_digits(str(message.get("source") or message.get("sender") or "")),
        to_number=plus_digits(str(message.get("destination") or "")),
        text=str(message.get("content") or ""),
        received_at=_when(message.get("created") or message.get("received")),
    )


def _when(value: object) -> datetime:
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _failure(response: httpx.Response) -> TemporaryFailure | PermanentFailure:
    status = response.status_code
    body = json_body(response)
    said = str(body.get("message") or body.get("error") or "")
    if status in (401, 403):
        return TemporaryFailure(
            "The SMS Works refused the bridge's JWT; an administrator must check it", code="auth"
        )
    if status == 402:
        return TemporaryFailure("the bridge's SMS Works account is out of credit", code="402")
    if status == 429 or status >= 500:
        return TemporaryFailure(
            f"The SMS Works is unavailable (HTTP {status})",
            code=str(status),
            retry_after=retry_after(response),
        )
    reason = (
        f"The SMS Works refused the text: {said}"
        if said
        else (f"The SMS Works refused the text (HTTP {status})")
    )
    return PermanentFailure(reason, code=str(status))
