"""Twilio's webhooks: inbound texts (``/webhooks/NAME/inbound``) and status callbacks
(``/webhooks/NAME/status``).

Twilio posts form-encoded requests signed with ``X-Twilio-Signature``; a request without a
valid signature gets 403 and changes nothing. A valid inbound text is committed to the store
before the 200 (empty TwiML) is sent, so a crash after the answer loses nothing, and a text
Twilio posts twice (it retries on timeouts) is stored once, by its ``MessageSid``.

A picture message (MMS) adds ``NumMedia`` and, for each picture, ``MediaUrl<n>`` and
``MediaContentType<n>``: the references are stored with the text and the pictures fetched
when its email is written (``bridge.media.fetch``).
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bridge.models import DeliveryReport, InboundSms, MediaRef
from bridge.providers.base import WebhookSink, webhook_path
from bridge.providers.states import delivery_state
from bridge.providers.twilio.client import OPTED_OUT, describe_error
from bridge.providers.twilio.settings import TwilioSettings
from bridge.providers.twilio.signature import valid_twilio_signature
from bridge.web.forms import read_form, refusal, required_fields

__all__ = ["twilio_routes"]

log = logging.getLogger(__name__)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
MAX_MEDIA = 10  # Twilio sends at most ten pictures with one message


def _twiml() -> Response:
    return Response(EMPTY_TWIML, media_type="text/xml")


def _signed_url(request: Request, public_url: str | None) -> str:
    """The URL Twilio signed: behind a proxy the bridge does not see it, so it is rebuilt from
    ``bridge.public_url``."""
    if public_url is None:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return public_url.rstrip("/") + request.url.path + query


def media_refs(fields: dict[str, str]) -> tuple[MediaRef, ...]:
    """The pictures of an inbound message: ``MediaUrl<n>`` with ``MediaContentType<n>`` for n
    below ``NumMedia`` (at most ten); a missing URL is skipped, a missing type is unknown."""
    count = fields.get("NumMedia", "0").strip()
    total = min(int(count), MAX_MEDIA) if count.isdigit() else 0
    refs = []
    for n in range(total):
        url = fields.get(f"MediaUrl{n}", "").strip()
        if url:
            kind = fields.get(f"MediaContentType{n}", "").strip().lower()
            refs.append(MediaRef(url, kind or "application/octet-stream"))
    return tuple(refs)


def twilio_routes(name: str, settings: TwilioSettings, sink: WebhookSink) -> list[Route]:
    token = settings.auth_token.get_secret_value() if settings.auth_token else ""

    async def checked(request: Request) -> dict[str, str] | Response:
        form = await read_form(request)
        if isinstance(form, Response):
            return form
        signature = request.headers.get("x-twilio-signature")
        url = _signed_url(request, sink.public_url)
        if not valid_twilio_signature(url, form, token, signature):
            log.warning("refused a Twilio webhook with a missing or wrong signature")
            return refusal(403, "The request is not signed by Twilio for this bridge.")
        return dict(form)

    async def inbound(request: Request) -> Response:
        fields = await required_fields(checked, request, "MessageSid", "From", "To")
        if isinstance(fields, Response):
            return fields
        sms = InboundSms(
            provider=name,
            provider_message_id=fields["MessageSid"],
            from_number=fields["From"],
            to_number=fields["To"],
            text=fields.get("Body", ""),
            received_at=sink.clock(),
            media=media_refs(fields),
        )
        await sink.receive(sms)
        return _twiml()

    async def status(request: Request) -> Response:
        fields = await required_fields(checked, request, "MessageSid", "MessageStatus")
        if isinstance(fields, Response):
            return fields
        state = delivery_state(fields["MessageStatus"])
        if state is None:  # "receiving", say: nothing the bridge tracks
            return _twiml()
        code = fields.get("ErrorCode") or None
        report = DeliveryReport(
            provider=name,
            provider_message_id=fields["MessageSid"],
            status=state,
            error_code=code,
            reason=describe_error(code),
            opted_out=code == OPTED_OUT,
        )
        await sink.report(report)
        return _twiml()

    return [
        Route(webhook_path(name, "inbound"), inbound, methods=["POST"]),
        Route(webhook_path(name, "status"), status, methods=["POST"]),
    ]
