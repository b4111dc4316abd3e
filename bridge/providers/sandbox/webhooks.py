"""The sandbox's inbound endpoint: a simulated customer text, only from this machine.

It takes Twilio's field names without a signature, which is why it answers loopback clients
only; ``smsbridge simulate-inbound`` and the tests post here.
"""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bridge.errors import InvalidNumber
from bridge.models import InboundSms
from bridge.parsing.numbers import parse_owned
from bridge.providers.base import WebhookSink, webhook_path
from bridge.providers.sandbox.settings import SandboxSettings
from bridge.web.forms import loopback, missing, read_form, refusal

__all__ = ["sandbox_routes"]


def sandbox_routes(name: str, settings: SandboxSettings, sink: WebhookSink) -> list[Route]:
    async def inbound(request: Request) -> Response:
        host = request.client.host if request.client else ""
        if not loopback(host):
            return refusal(403, "The sandbox takes simulated texts only from this machine.")
        form = await read_form(request)
        if isinstance(form, Response):
            return form
        fields = dict(form)
        absent = missing(fields, "From", "To")
        if absent is not None:
            return absent
        try:  # a "+" sent unencoded arrives as a space: read the numbers as the CLI does
            sender, to = (
                parse_owned(fields[k], default_region=sink.default_region) for k in ("From", "To")
            )
        except InvalidNumber as exc:
            return refusal(400, exc.reason)
        message_id = fields.get("MessageId") or "SBI" + secrets.token_hex(16)
        sms = InboundSms(
            provider=name,
            provider_message_id=message_id,
            from_number=sender,
            to_number=to,
            text=fields.get("Body", ""),
            received_at=sink.clock(),
        )
        await sink.receive(sms)
        return PlainTextResponse(f"Received as {message_id}\n")

    return [Route(webhook_path(name, "inbound"), inbound, methods=["POST"])]
