"""Provider webhooks on the bridge's HTTP server: inbound texts and delivery reports.

Twilio posts form-encoded requests signed with ``X-Twilio-Signature``; a request without a
valid signature gets 403 and changes nothing. A valid inbound text is committed to the store
before the 200 (empty TwiML) is sent, so a crash after the answer loses nothing, and a text
Twilio posts twice (it retries on timeouts) is stored once, by its ``MessageSid``.

The sandbox's inbound endpoint takes the same fields without a signature, and therefore only
from the bridge's own machine.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bridge.clock import Clock
from bridge.errors import InvalidNumber
from bridge.inbound.reports import DeliveryReport
from bridge.inbound.signatures import valid_twilio_signature
from bridge.models import InboundSms
from bridge.parsing.numbers import parse_number
from bridge.providers.twilio import describe_error

__all__ = ["MAX_FORM_BYTES", "sandbox_routes", "twilio_routes"]

log = logging.getLogger(__name__)
MAX_FORM_BYTES = 64 * 1024
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
Receive = Callable[[InboundSms], Awaitable[None]]
Report = Callable[[DeliveryReport], Awaitable[bool]]


def _twiml() -> Response:
    return Response(EMPTY_TWIML, media_type="text/xml")


def _refusal(status: int, sentence: str) -> Response:
    return PlainTextResponse(sentence + "\n", status_code=status)


async def _form(request: Request) -> list[tuple[str, str]] | Response:
    if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
        return _refusal(413, "The request is larger than any provider webhook.")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return _refusal(413, "The request is larger than any provider webhook.")
    return parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)


def _signed_url(request: Request, public_url: str | None) -> str:
    if public_url is None:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return public_url.rstrip("/") + request.url.path + query


def _missing(fields: dict[str, str], *names: str) -> Response | None:
    absent = [name for name in names if not fields.get(name)]
    if absent:
        return _refusal(400, f"The webhook lacks {', '.join(absent)}.")
    return None


def twilio_routes(
    *, token: str, public_url: str | None, receive: Receive, report: Report, clock: Clock
) -> list[Route]:
    async def checked(request: Request) -> dict[str, str] | Response:
        form = await _form(request)
        if isinstance(form, Response):
            return form
        signature = request.headers.get("x-twilio-signature")
        if not valid_twilio_signature(_signed_url(request, public_url), form, token, signature):
            log.warning("refused a Twilio webhook with a missing or wrong signature")
            return _refusal(403, "The request is not signed by Twilio for this bridge.")
        return dict(form)

    async def inbound(request: Request) -> Response:
        fields = await checked(request)
        if isinstance(fields, Response):
            return fields
        refusal = _missing(fields, "MessageSid", "From", "To")
        if refusal is not None:
            return refusal
        await receive(InboundSms(
            provider="twilio", provider_message_id=fields["MessageSid"],
            from_number=fields["From"], to_number=fields["To"], text=fields.get("Body", ""),
            received_at=clock(),
        ))  # fmt: skip
        return _twiml()

    async def status(request: Request) -> Response:
        fields = await checked(request)
        if isinstance(fields, Response):
            return fields
        refusal = _missing(fields, "MessageSid", "MessageStatus")
        if refusal is not None:
            return refusal
        code = fields.get("ErrorCode") or None
        await report(DeliveryReport(
            provider="twilio", provider_message_id=fields["MessageSid"],
            status=fields["MessageStatus"], error_code=code, reason=describe_error(code),
        ))  # fmt: skip
        return _twiml()

    return [
        Route("/webhooks/twilio/inbound", inbound, methods=["POST"]),
        Route("/webhooks/twilio/status", status, methods=["POST"]),
    ]


def sandbox_routes(*, receive: Receive, clock: Clock, default_region: str) -> list[Route]:
    async def inbound(request: Request) -> Response:
        host = request.client.host if request.client else ""
        if not _loopback(host):
            return _refusal(403, "The sandbox takes simulated texts only from this machine.")
        form = await _form(request)
        if isinstance(form, Response):
            return form
        fields = dict(form)
        refusal = _missing(fields, "From", "To")
        if refusal is not None:
            return refusal
        try:  # a "+" sent unencoded arrives as a space: read the numbers as the CLI does
            sender, to = (
                parse_number(fields[k], default_region=default_region) for k in ("From", "To")
            )
        except InvalidNumber as exc:
            return _refusal(400, exc.reason)
        message_id = fields.get("MessageId") or "SBI" + secrets.token_hex(16)
        await receive(InboundSms(
            provider="sandbox", provider_message_id=message_id, from_number=sender,
            to_number=to, text=fields.get("Body", ""), received_at=clock(),
        ))  # fmt: skip
        return PlainTextResponse(f"Received as {message_id}\n")

    return [Route("/webhooks/sandbox/inbound", inbound, methods=["POST"])]


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
