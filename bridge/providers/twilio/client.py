"""Twilio's Messages API over httpx, with every way it can fail mapped once.

``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``, form-encoded, HTTP Basic auth with the
account SID and auth token; a text with pictures (MMS) carries one ``MediaUrl`` per picture,
a URL of the bridge's (``/media/<token>``) from which Twilio fetches it. Success is 201
with the message resource; an error is a JSON body
``{"code": 21211, "message": ..., "more_info": ..., "status": 400}``. The table below turns
Twilio's error codes into sentences for the author and decides temporary or permanent; all
other 4xx are permanent (the request itself is wrong and will stay wrong), 401/403/404 and
429 and 5xx and transport errors temporary (the bridge's credentials, Twilio's load or the
network: an admin or time can fix those, and retries are bounded).

A 2xx whose body cannot be read means Twilio probably took the text: it is reported as sent
with an empty message id rather than retried, because a retry could text the person twice.
Neither the auth token nor the text ever appears in an exception or a log line.
"""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bridge.errors import OutcomeUnknown, PermanentFailure, TemporaryFailure
from bridge.models import DeliveryReport, InboundSms, OutboundSms, SendResult
from bridge.providers.http_common import json_body, request, retry_after
from bridge.providers.states import delivery_state
from bridge.providers.twilio.settings import TwilioSettings

__all__ = ["OPTED_OUT", "TwilioProvider", "describe_error"]

OPTED_OUT = "21610"  # the recipient replied STOP to Twilio itself
MAX_MEDIA = 10  # MediaUrl may be given up to ten times (an MMS)

_PERMANENT = {
    21211: "the number is not a valid phone number",
    21214: "the number cannot be reached",
    21408: "the bridge's Twilio account may not send texts to this country",
    21606: "the sending number cannot send texts",
    21610: "the person at this number has unsubscribed from texts from this sender (STOP)",
    21612: "Twilio cannot send texts between these two numbers",
    21614: "the number is not a mobile number and cannot receive texts",
    21617: "the text is longer than Twilio accepts",
    30003: "the phone is switched off or out of reach",
    30004: "the person's network has blocked the text",
    30005: "the number does not exist or is no longer in service",
    30006: "the number is a landline or cannot receive texts",
    30007: "the text was filtered as spam by the network",
    30008: "the network could not deliver the text",
}


def describe_error(code: str | None) -> str | None:
    """Twilio's error code in plain words for an author, or None if we do not know it."""
    return _PERMANENT.get(int(code)) if code and code.isdigit() else None


class TwilioProvider:
    """``bridge.providers.base.Provider`` for Twilio."""

    def __init__(
        self,
        settings: TwilioSettings,
        *,
        client: httpx.AsyncClient,
        status_callback_url: str | None = None,
        name: str = "twilio",
    ) -> None:
        self.name = name
        self._settings = settings
        self._client = client
        self._callback = status_callback_url
        token = settings.auth_token.get_secret_value() if settings.auth_token else ""
        self._auth = httpx.BasicAuth(settings.account_sid, token)
        base = settings.base_url.rstrip("/")
        self._base = base
        self._url = f"{base}/2010-04-01/Accounts/{settings.account_sid}/Messages.json"

    async def send(self, sms: OutboundSms) -> SendResult:
        response = await request(
            self._client,
            "Twilio",
            "POST",
            self._url,
            data=self._form(sms),
            auth=self._auth,
            timeout=self._settings.timeout_seconds,
        )
        return _result(response)

    async def find_sent(self, sms: OutboundSms) -> SendResult | None:
        """Reconcile an interrupted send: Twilio has no idempotency key, so look for a message
        to the same number with the same text, created since the job was queued.

        A match is taken as the earlier send. Without a queue time the search is impossible,
        and the outcome stays unknown (the author is told rather than the customer texted
        twice).
        """
        if sms.queued_at is None:
            raise OutcomeUnknown(sms.job_id)
        query = {"To": sms.to}
        if not self._settings.messaging_service_sid:
            query["From"] = sms.sender
        for message in await self._list(query, sms.queued_at):
            if message.get("body") == sms.text and _created_since(message, sms.queued_at):
                return SendResult(
                    provider_message_id=str(message.get("sid") or ""),
                    price=_price(message),
                )
        return None

    async def list_inbound(self, reply_number: str, *, since: datetime | None) -> list[InboundSms]:
        """Texts customers sent to ``reply_number`` since ``since`` (whole days), oldest first.

        Twilio filters ``DateSent`` by date only, so the same texts come back on every poll of
        a day; the store's unique provider id makes that harmless.
        """
        messages = await self._list({"To": reply_number}, since)
        found = [_inbound(self.name, m) for m in messages if _is_inbound(m)]
        return sorted(found, key=lambda sms: sms.received_at)

    async def list_reports(self, sender: str, *, since: datetime | None) -> list[DeliveryReport]:
        """The current state of the texts sent from ``sender`` since ``since``: polled reports."""
        messages = await self._list({"From": sender}, since)
        outbound = [m for m in messages if m.get("sid") and m.get("direction") != "inbound"]
        reports = [_report(self.name, m) for m in outbound if m.get("status")]
        return [report for report in reports if report.status]

    async def _list(self, query: dict[str, str], since: datetime | None) -> list[dict[str, Any]]:
        params: dict[str, str] | None = {**query, "PageSize": "100"}
        if since is not None and params is not None:
            params["DateSent>"] = (since - timedelta(days=1)).strftime("%Y-%m-%d")
        found: list[dict[str, Any]] = []
        url: str | None = self._url
        for _ in range(_MAX_PAGES):
            if url is None:
                break
            body = await self._get(url, params)
            found += [m for m in body.get("messages") or [] if isinstance(m, dict)]
            url, params = _next_page(self._base, body.get("next_page_uri")), None
        return found

    async def _get(self, url: str, params: dict[str, str] | None) -> dict[str, Any]:
        response = await request(
            self._client,
            "Twilio",
            "GET",
            url,
            params=params,
            auth=self._auth,
            timeout=self._settings.timeout_seconds,
        )
        if not response.is_success:
            failure = _failure(response)
            raise TemporaryFailure(failure.reason, code=failure.code)
        return json_body(response)

    def _form(self, sms: OutboundSms) -> dict[str, str | list[str]]:
        form: dict[str, str | list[str]] = {"To": sms.to, "Body": sms.text}
        if sms.media_urls:  # an MMS: Twilio fetches each picture from the bridge
            form["MediaUrl"] = list(sms.media_urls[:MAX_MEDIA])
        if self._settings.messaging_service_sid:
            form["MessagingServiceSid"] = self._settings.messaging_service_sid
        else:
            form["From"] = sms.sender
        if self._callback:
            form["StatusCallback"] = self._callback
        return form


_MAX_PAGES = 20


def _is_inbound(message: dict[str, Any]) -> bool:
    return message.get("direction") == "inbound" and bool(message.get("sid"))


def _inbound(provider: str, message: dict[str, Any]) -> InboundSms:
    sent = message.get("date_sent") or message.get("date_created")
    try:
        received = email.utils.parsedate_to_datetime(sent) if sent else None
    except (TypeError, ValueError):
        received = None
    return InboundSms(
        provider=provider,
        provider_message_id=str(message["sid"]),
        from_number=str(message.get("from") or ""),
        to_number=str(message.get("to") or ""),
        text=str(message.get("body") or ""),
        received_at=received or datetime.now(UTC),
    )


def _report(provider: str, message: dict[str, Any]) -> DeliveryReport:
    code = str(message["error_code"]) if message.get("error_code") else None
    return DeliveryReport(
        provider=provider,
        provider_message_id=str(message["sid"]),
        status=delivery_state(str(message["status"])) or "",
        error_code=code,
        reason=describe_error(code),
        price=_price(message),
        opted_out=code == OPTED_OUT,
    )


def _next_page(base: str, uri: object) -> str | None:
    return f"{base}{uri}" if isinstance(uri, str) and uri.startswith("/") else None


def _result(response: httpx.Response) -> SendResult:
    if response.is_success:
        body = json_body(response)
        return SendResult(
            provider_message_id=str(body.get("sid") or ""),
            price=_price(body),
        )
    raise _failure(response)


def _failure(response: httpx.Response) -> TemporaryFailure | PermanentFailure:
    status = response.status_code
    body = json_body(response)
    code = body.get("code")
    if isinstance(code, int) and code in _PERMANENT:
        return PermanentFailure(_PERMANENT[code], code=str(code), opted_out=str(code) == OPTED_OUT)
    if status in (401, 403, 404):
        return TemporaryFailure(
            "Twilio refused the bridge's account or credentials; an administrator must check"
            " the account SID and auth token",
            code="auth",
        )
    if status == 429 or status >= 500:
        reason = "Twilio is busy" if status == 429 else f"Twilio had an internal error ({status})"
        wait = retry_after(response)
        return TemporaryFailure(reason, code=str(code or status), retry_after=wait)
    message = str(body.get("message") or f"Twilio refused the text (HTTP {status})")
    return PermanentFailure(message, code=str(code or status))


def _price(message: dict[str, Any]) -> str | None:
    """Twilio's price, negative for a charge, with its unit: "-0.0079 USD"."""
    price = message.get("price")
    if price in (None, ""):
        return None
    unit = message.get("price_unit")
    return f"{price} {unit}" if unit else str(price)


def _created_since(message: dict[str, Any], since: datetime) -> bool:
    created = message.get("date_created")
    try:
        when = email.utils.parsedate_to_datetime(created) if created else None
    except (TypeError, ValueError):
        when = None
    return when is None or when >= since - timedelta(minutes=1)
