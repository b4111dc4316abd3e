"""Vonage's SMS API: ``POST {base_url}/sms/json``, form-encoded.

Numbers go without the ``+`` (Vonage's ``to`` and ``from`` are digits), a text needing UCS-2
is sent with ``type=unicode``, and ``client-ref`` carries the job id, which Vonage echoes in
every delivery receipt. Authentication is ``api_key`` with ``api_secret``, or with ``sig``
(signed requests, ``bridge.providers.vonage_signature``) so the secret never travels.

Vonage answers HTTP 200 even when it refuses a text: the verdict is each message's
``status`` ("0" is success), and a long text comes back as one message per part, each with its
own ``message-id`` and ``message-price``. The table below maps the documented status codes
to temporary (the account, Vonage's load: an admin or time can fix it) or permanent (the
number or the text is wrong and will stay wrong).

Vonage has no way to ask whether a given ``client-ref`` was sent, so ``find_sent`` cannot
reconcile: an interrupted send stays unknown and is reported to its author.
"""

from __future__ import annotations

import time
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from bridge.errors import OutcomeUnknown, PermanentFailure, TemporaryFailure
from bridge.models import OutboundSms, SendResult
from bridge.parsing.numbers import digits
from bridge.parsing.sms_text import UCS2
from bridge.providers.http_common import json_body, request, retry_after
from bridge.providers.vonage.settings import VonageSettings
from bridge.providers.vonage.signature import vonage_signature

__all__ = ["OPTED_OUT", "VonageProvider", "describe_receipt_error"]

# A receipt's err-code when the customer opted out of texts from the sender (replied STOP;
# Vonage's "Illegal Number", its opt-out list): the bridge records the opt-out.
OPTED_OUT = "9"

# Vonage SMS API, "Response codes" (per-message ``status``): (temporary?, plain words).
_STATUS: dict[str, tuple[bool, str]] = {
    "1": (True, "Vonage is throttling the bridge's account (too many texts a second)"),
    "2": (False, "the request lacked a required field"),
    "3": (False, "the number or another field was not accepted by Vonage"),
    "4": (True, "Vonage refused the bridge's API key or secret; an administrator must check them"),
    "5": (True, "Vonage had an internal error"),
    "6": (False, "Vonage could not route the text to this number"),
    "7": (False, "the number is barred from receiving texts"),
    "8": (True, "the bridge's Vonage account is barred; an administrator must contact Vonage"),
    "9": (True, "the bridge's Vonage account is out of credit"),
    "10": (True, "Vonage has too many connections from the bridge's account"),
    "11": (True, "the bridge's Vonage account is not enabled for the SMS API"),
    "12": (False, "the text is longer than Vonage accepts"),
    "14": (True, "Vonage refused the request's signature; an administrator must check it"),
    "15": (False, "Vonage does not accept the sending number or sender ID"),
    "22": (False, "the number's network is not one Vonage can reach"),
    "23": (True, "Vonage refused the bridge's delivery-receipt URL"),
    "29": (False, "the number is not on the bridge's Vonage test list (a trial account)"),
    "32": (True, "Vonage refused a request with both a signature and an API secret"),
    "33": (False, "the number has been deactivated and cannot receive texts"),
}

# Delivery receipts, "err-code": the ones an author can act on, in plain words.
_RECEIPT_ERRORS = {
    "2": "the phone is switched off or out of reach",
    "3": "the number is not in service",
    "4": "the person has barred texts on their phone",
    "6": "the network rejected the text as spam",
    "9": "the person at this number has asked not to receive texts from this sender (STOP)",
    "11": "the network could not route the text",
    "12": "the number cannot be reached",
    "14": "the person's network blocked the text",
    "52": "the network filtered the text for its content",
    "53": "the person has not consented to texts from this sender",
}


def describe_receipt_error(code: str | None) -> str | None:
    """A delivery receipt's ``err-code`` in plain words, or None if we do not know it."""
    return _RECEIPT_ERRORS.get(code or "")


class VonageProvider:
    """``bridge.providers.base.Provider`` for Vonage."""

    def __init__(
        self,
        settings: VonageSettings,
        *,
        client: httpx.AsyncClient,
        name: str = "vonage",
        callback_url: str | None = None,
    ) -> None:
        self.name = name
        self._settings = settings
        self._client = client
        self._callback = callback_url
        self._url = settings.base_url.rstrip("/") + "/sms/json"

    async def send(self, sms: OutboundSms) -> SendResult:
        response = await request(
            self._client,
            "Vonage",
            "POST",
            self._url,
            data=self._form(sms),
            timeout=self._settings.timeout_seconds,
        )
        if not response.is_success:
            raise _http_failure(response)
        return _verdict(json_body(response))

    async def find_sent(self, sms: OutboundSms) -> SendResult | None:
        raise OutcomeUnknown(sms.job_id)

    def _form(self, sms: OutboundSms) -> dict[str, str]:
        form = {
            "api_key": self._settings.api_key,
            "from": digits(sms.sender),
            "to": digits(sms.to),
            "text": sms.text,
            "client-ref": sms.job_id,
        }
        if sms.encoding == UCS2:
            form["type"] = "unicode"
        if self._callback:
            form["callback"] = self._callback
            form["status-report-req"] = "1"
        settings = self._settings
        if settings.sign_requests and settings.signature_secret is not None:
            form["timestamp"] = str(int(time.time()))
            secret = settings.signature_secret.get_secret_value()
            form["sig"] = vonage_signature(form, secret, settings.signature_method)
        elif settings.api_secret is not None:
            form["api_secret"] = settings.api_secret.get_secret_value()
        return form


def _verdict(body: dict[str, Any]) -> SendResult:
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    if not messages:  # HTTP 200 that says nothing: Vonage may well have taken the text
        raise TemporaryFailure(
            "Vonage's answer could not be read", code="unreadable", maybe_sent=True
        )
    accepted = [m for m in messages if str(m.get("status")) == "0"]
    if accepted:  # some parts out: the text has gone, whatever happened to the others
        return SendResult(
            provider_message_id=str(accepted[0].get("message-id") or ""),
            price=_total_price(accepted),
        )
    refused = messages[0]
    code = str(refused.get("status"))
    temporary, reason = _STATUS.get(code, (False, ""))
    reason = reason or str(refused.get("error-text") or f"Vonage refused the text ({code})")
    if temporary:
        raise TemporaryFailure(reason, code=code, retry_after=1.0 if code == "1" else None)
    raise PermanentFailure(reason, code=code)


def _total_price(messages: list[dict[str, Any]]) -> str | None:
    """The sum of the parts' ``message-price`` (in the account's currency)."""
    try:
        prices = [Decimal(str(m["message-price"])) for m in messages if "message-price" in m]
    except InvalidOperation:
        return None
    return str(sum(prices, Decimal(0))) if prices else None


def _http_failure(response: httpx.Response) -> TemporaryFailure | PermanentFailure:
    status = response.status_code
    if status in (401, 403):
        return TemporaryFailure(
            "Vonage refused the bridge's credentials; an administrator must"
            " check the API key and secret",
            code="auth",
        )
    if status == 429 or status >= 500:
        return TemporaryFailure(
            f"Vonage is unavailable (HTTP {status})",
            code=str(status),
            retry_after=retry_after(response),
        )
    return PermanentFailure(f"Vonage refused the request (HTTP {status})", code=str(status))
