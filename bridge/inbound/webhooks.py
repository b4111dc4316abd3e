"""Provider webhooks on the bridge's HTTP server: inbound texts and delivery reports.

Twilio posts form-encoded requests signed with ``X-Twilio-Signature``; a request without a
valid signature gets 403 and changes nothing. A valid inbound text is committed to the store
before the 200 (empty TwiML) is sent, so a crash after the answer loses nothing, and a text
Twilio posts twice (it retries on timeouts) is stored once, by its ``MessageSid``.

The sandbox's inbound endpoint takes the same fields without a signature, and therefore only
from the bridge's own machine.
"""

from __future__ import annotations

import logging
import secrets
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bridge.clock import Clock
from bridge.errors import InvalidNumber
from bridge.inbound.reports import DeliveryReport
from bridge.inbound.signatures import valid_twilio_signature
from bridge.inbound.webhook_common import (
    Receive,
    Report,
    loopback,
    missing,
    read_body,
    refusal,
    required_fields,
)
from bridge.models import InboundSms
from bridge.parsing.numbers import parse_number
from bridge.providers.twilio import describe_error

__all__ = ["sandbox_routes", "twilio_routes"]

log = logging.getLogger(__name__)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _twiml() -> Response:
    return Response(EMPTY_TWIML, media_type="text/xml")


async def _form(request: Request) -> list[tuple[str, str]] | Response:
    body = await read_body(request)
    if isinstance(body, Response):
        return body
    return parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)


def _signed_url(request: Request, public_url: str | None) -> str:
    if public_url is None:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return public_url.rstrip("/") + request.url.path + query


def twilio_routes(
    *,
    token: str,
    public_url: str | None,
    receive: Receive,
    report: Report,
    clock: Clock,
    name: str = "twilio",
) -> list[Route]:
    async def checked(request: Request) -> dict[str, str] | Response:
        form = await _form(request)
        if isinstance(form, Response):
            return form
        signature = request.headers.get("x-twilio-signature")
        if not valid_twilio_signature(_signed_url(request, public_url), form, token, signature):
            log.warning("refused a Twilio webhook with a missing or wrong signature")
            return refusal(403, "The request is not signed by Twilio for this bridge.")
        return dict(form)

    async def inbound(request: Request) -> Response:
        fields = await required_fields(checked, request, "MessageSid", "From", "To")
        if isinstance(fields, Response):
            return fields
        await receive(
            InboundSms(
                provider=name,
                provider_message_id=fields["MessageSid"],
                from_number=fields["From"],
                to_number=fields["To"],
                text=fields.get("Body", ""),
                received_at=clock(),
            )
        )
        return _twiml()

    async def status(request: Request) -> Response:
        fields = await required_fields(checked, request, "MessageSid", "MessageStatus")
        if isinstance(fields, Response):
            return fields
        code = fields.get("ErrorCode") or None
        await report(
            DeliveryReport(
                provider=name,
                provider_message_id=fields["MessageSid"],
                status=fields["MessageStatus"],
                error_code=code,
                reason=describe_error(code),
            )
        )
        return _twiml()

    return [
        Route(f"/webhooks/{name}/inbound", inbound, methods=["POST"]),
        Route(f"/webhooks/{name}/status", status, methods=["POST"]),
    ]


def sandbox_routes(*, receive: Receive, clock: Clock, default_region: str) -> list[Route]:
    async def inbound(request: Request) -> Response:
        host = request.client.host if request.client else ""
        if not loopback(host):
            return refusal(403, "The sandbox takes simulated texts only from this machine.")
        form = await _form(request)
        if isinstance(form, Response):
            return form
        fields = dict(form)
        absent = missing(fields, "From", "To")
        if absent is not None:
            return absent
        try:  # a "+" sent unencoded arrives as a space: read the numbers as the CLI does
            sender, to = (
                parse_number(fields[k], default_region=default_region) for k in ("From", "To")
            )
        except InvalidNumber as exc:
            return refusal(400, exc.reason)
        message_id = fields.get("MessageId") or "SBI" + secrets.token_hex(16)
        await receive(
            InboundSms(
                provider="sandbox",
                provider_message_id=message_id,
                from_number=sender,
                to_number=to,
                text=fields.get("Body", ""),
                received_at=clock(),
            )
        )
        return PlainTextResponse(f"Received as {message_id}\n")

    return [Route("/webhooks/sandbox/inbound", inbound, methods=["POST"])]
