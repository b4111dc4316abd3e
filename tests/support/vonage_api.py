"""A small Vonage SMS API, written from Vonage's documentation, for contract tests.

Vonage publishes no OpenAPI file that Prism could serve here, so this emulator follows the SMS
API reference ("Send an SMS", "Delivery receipts", "Inbound SMS", "Signing requests"):

- ``POST /sms/json`` takes ``api_key`` with ``api_secret`` or with ``sig`` (+ ``timestamp``),
  ``from``, ``to`` (digits, no ``+``), ``text``, ``type`` (``unicode`` for UCS-2),
  ``client-ref``, ``callback``, ``status-report-req``. It always answers HTTP 200 with
  ``{"message-count": "N", "messages": [...]}``: one message per part, each with ``to``,
  ``message-id``, ``status`` ("0" success), ``remaining-balance``, ``message-price``,
  ``network`` and ``client-ref``; a refusal is ``{"status": "4", "error-text": "..."}``.
- ``receipt()`` plays a delivery receipt to the ``callback`` a send gave: ``msisdn``, ``to``,
  ``network-code``, ``messageId``, ``price``, ``status``, ``scts``, ``err-code``, ``api-key``,
  ``client-ref``, ``message-timestamp``, signed (``timestamp``, ``nonce``, ``sig``) when the
  emulator has a signature secret.
- ``inbound()`` plays an inbound text: ``msisdn``, ``to``, ``messageId``, ``text``, ``type``,
  ``keyword``, ``api-key``, ``message-timestamp``, and for a long text one request per part
  with ``concat=true``, ``concat-ref``, ``concat-total``, ``concat-part``.

The signature here is computed independently of the bridge's code, from the documented
steps, so a test that passes shows the two agree.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from tests.support.http_emulator import EmulatedRequest, HttpEmulator, Reply

__all__ = ["FakeVonage", "VonageSend", "documented_signature"]

PRICE = "0.03330000"
_GSM = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)


def documented_signature(params: dict[str, str], secret: str, method: str = "md5hash") -> str:
    """Vonage's "Signing requests": '&name=value' for each parameter but sig, sorted by name,
    with '&' and '=' in values replaced by '_'; then md5(that + secret), or an HMAC of it."""
    text = ""
    for name in sorted(params):
        if name != "sig":
            text += "&" + name + "=" + params[name].replace("&", "_").replace("=", "_")
    if method == "md5hash":
        return hashlib.md5((text + secret).encode(), usedforsecurity=False).hexdigest()
    return hmac.new(secret.encode(), text.encode(), method).hexdigest()


@dataclass(slots=True)
class VonageSend:
    """One accepted send, as Vonage would remember it."""

    form: dict[str, str]
    message_ids: list[str]
    parts: int
    receipts: list[int] = field(default_factory=list)  # the bridge's answers to our receipts


class FakeVonage(HttpEmulator):
    def __init__(self, api_key: str, api_secret: str, signature_secret: str | None = None) -> None:
        super().__init__()
        self.api_key = api_key
        self.api_secret = api_secret
        self.signature_secret = signature_secret
        self.sent: list[VonageSend] = []
        self.refuse: dict[str, tuple[str, str]] = {}  # number (digits) -> (status, error-text)

    def handle(self, request: EmulatedRequest) -> Reply:
        if request.method != "POST" or request.path != "/sms/json":
            return Reply(404, {"type": "NOT_FOUND"})
        form = request.fields()
        refused = self._check(form)
        if refused is not None:
            return Reply(
                200,
                {
                    "message-count": "1",
                    "messages": [{"status": refused[0], "error-text": refused[1]}],
                },
            )
        parts = _parts(form["text"], form.get("type") == "unicode")
        ids = [secrets.token_hex(8).upper() for _ in range(parts)]
        with self.lock:
            self.sent.append(VonageSend(form=form, message_ids=ids, parts=parts))
        messages = [
            {
                "to": form["to"],
                "message-id": mid,
                "status": "0",
                "remaining-balance": "3.14159265",
                "message-price": PRICE,
                "network": "23410",
                "client-ref": form.get("client-ref", ""),
            }
            for mid in ids
        ]
        return Reply(200, {"message-count": str(parts), "messages": messages})

    def _check(self, form: dict[str, str]) -> tuple[str, str] | None:
        if not form.get("api_key") or not form.get("to") or not form.get("from"):
            return "2", "Missing api_key, to or from"
        if "sig" in form:
            expected = documented_signature(form, self.signature_secret or "")
            if not hmac.compare_digest(expected, form["sig"].lower()):
                return "14", "Invalid Signature"
        elif (form["api_key"], form.get("api_secret")) != (self.api_key, self.api_secret):
            return "4", "Bad Credentials"
        if not form["to"].isdigit():
            return "3", "Invalid to address"
        return self.refuse.get(form["to"])

    def receipt(self, send: VonageSend, status: str = "delivered", err_code: str = "0") -> int:
        """Deliver a receipt for each part to the send's callback; the bridge's answers."""
        answers = []
        for message_id in send.message_ids:
            fields = {
                "msisdn": send.form["to"],
                "to": send.form["from"],
                "network-code": "23410",
                "messageId": message_id,
                "price": PRICE,
                "status": status,
                "scts": time.strftime("%y%m%d%H%M"),
                "err-code": err_code,
                "api-key": self.api_key,
                "client-ref": send.form.get("client-ref", ""),
                "message-timestamp": time.strftime("%Y-%m-%d %H:%M:%S"),
            }
            answers.append(self.post(send.form["callback"], data=self._signed(fields)))
        send.receipts += answers
        return max(answers)

    def inbound(
        self,
        url: str,
        *,
        msisdn: str,
        to: str,
        text: str,
        parts: int = 1,
        order: list[int] | None = None,
        message_id: str | None = None,
    ) -> list[int]:
        """Post a customer's text (in ``parts`` pieces, sent in ``order``); the answers."""
        base = {
            "msisdn": msisdn.lstrip("+"),
            "to": to.lstrip("+"),
            "type": "text",
            "keyword": text.split(" ")[0].upper() if text else "",
            "api-key": self.api_key,
            "message-timestamp": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        if parts == 1:
            fields = {**base, "messageId": message_id or secrets.token_hex(8).upper(), "text": text}
            return [self.post(url, data=self._signed(fields))]
        size = -(-len(text) // parts)
        pieces = [text[i * size : (i + 1) * size] for i in range(parts)]
        ref = str(secrets.randbelow(256))
        answers = []
        for index in order or list(range(1, parts + 1)):
            fields = {
                **base,
                "messageId": secrets.token_hex(8).upper(),
                "text": pieces[index - 1],
                "concat": "true",
                "concat-ref": ref,
                "concat-total": str(parts),
                "concat-part": str(index),
            }
            answers.append(self.post(url, data=self._signed(fields)))
        return answers

    def _signed(self, fields: dict[str, str]) -> dict[str, Any]:
        if self.signature_secret is None:
            return fields
        fields = {**fields, "timestamp": str(int(time.time())), "nonce": secrets.token_hex(8)}
        return {**fields, "sig": documented_signature(fields, self.signature_secret)}


def _parts(text: str, unicode: bool) -> int:
    if unicode or not set(text) <= _GSM:
        return 1 if len(text) <= 70 else -(-len(text) // 67)
    return 1 if len(text) <= 160 else -(-len(text) // 153)
