"""Vonage's webhooks: inbound texts (``/webhooks/NAME/inbound``) and delivery receipts
(``/webhooks/NAME/status``), by GET or POST, form-encoded or JSON, as the account is set.

A request must carry a valid ``sig`` when a signature secret is configured (Vonage's signed
webhooks), or else ``?token=`` equal to the webhook secret; with neither configured the
endpoints refuse everything with 403, because an unsigned endpoint would let anyone inject
texts. Vonage resends a webhook for up to a day until it gets a 2xx, so the same message is
stored once (by ``messageId``) and every request it may resend is answered 200, even one
about a text the bridge does not know.

Field names are Vonage's: inbound ``msisdn`` (the customer), ``to`` (our number, digits only),
``messageId``, ``text``, ``type``, and for a long text ``concat``, ``concat-ref``,
``concat-total``, ``concat-part``; receipts ``messageId``, ``status``, ``err-code``,
``client-ref`` (our job id), ``price``.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bridge.models import DeliveryReport, InboundPart, InboundSms
from bridge.parsing.numbers import plus_digits
from bridge.providers.base import WebhookSink, webhook_path
from bridge.providers.states import delivery_state
from bridge.providers.vonage.client import OPTED_OUT, describe_receipt_error
from bridge.providers.vonage.settings import VonageSettings
from bridge.providers.vonage.signature import valid_vonage_signature
from bridge.web.forms import read_fields, refusal, required_fields, token_matches

__all__ = ["vonage_routes"]

log = logging.getLogger(__name__)


def vonage_routes(name: str, settings: VonageSettings, sink: WebhookSink) -> list[Route]:
    async def checked(request: Request) -> dict[str, str] | Response:
        fields = await read_fields(request)
        if isinstance(fields, Response):
            return fields
        if settings.signature_secret is not None:
            secret = settings.signature_secret.get_secret_value()
            if valid_vonage_signature(fields, secret, settings.signature_method):
                return fields
            log.warning("refused a %s webhook with a missing or wrong signature", name)
            return refusal(403, "The request is not signed by Vonage for this bridge.")
        if settings.webhook_secret is not None:
            if token_matches(fields.pop("token", None), settings.webhook_secret.get_secret_value()):
                return fields
            log.warning("refused a %s webhook without the right token", name)
            return refusal(403, "The request does not carry this bridge's webhook token.")
        return refusal(
            403,
            "Webhooks are off for this provider: configure signature_secret or webhook_secret.",
        )

    async def inbound(request: Request) -> Response:
        fields = await required_fields(checked, request, "msisdn", "to", "messageId")
        if isinstance(fields, Response):
            return fields
        if fields.get("type") == "binary":
            return Response(status_code=200)  # a ringtone or a WAP push: nothing to email
        if fields.get("concat") == "true":
            part = _part(name, fields, sink)
            if part is None:
                return refusal(400, "The concat-ref, concat-total or concat-part is not valid.")
            await sink.receive_part(part)
        else:
            sms = InboundSms(
                provider=name,
                provider_message_id=fields["messageId"],
                from_number=plus_digits(fields["msisdn"]),
                to_number=plus_digits(fields["to"]),
                text=fields.get("text", ""),
                received_at=sink.clock(),
            )
            await sink.receive(sms)
        return Response(status_code=200)

    async def status(request: Request) -> Response:
        fields = await required_fields(checked, request, "messageId", "status")
        if isinstance(fields, Response):
            return fields
        state = delivery_state(fields["status"])
        if state is not None:
            code = fields.get("err-code") or None
            report = DeliveryReport(
                provider=name,
                provider_message_id=fields["messageId"],
                status=state,
                error_code=None if code == "0" else code,
                reason=describe_receipt_error(code),
                price=fields.get("price") or None,
                job_id=fields.get("client-ref") or None,
                opted_out=code == OPTED_OUT,
            )
            await sink.report(report)
        return Response(status_code=200)

    methods = ["GET", "POST"]
    return [
        Route(webhook_path(name, "inbound"), inbound, methods=methods),
        Route(webhook_path(name, "status"), status, methods=methods),
    ]


def _part(name: str, fields: dict[str, str], sink: WebhookSink) -> InboundPart | None:
    try:
        total, part = int(fields.get("concat-total", "")), int(fields.get("concat-part", ""))
    except ValueError:
        return None
    ref = fields.get("concat-ref", "")
    if not ref or not 1 <= part <= total <= 255:
        return None
    return InboundPart(
        provider=name,
        provider_message_id=fields["messageId"],
        from_number=plus_digits(fields["msisdn"]),
        to_number=plus_digits(fields["to"]),
        text=fields.get("text", ""),
        received_at=sink.clock(),
        concat_ref=ref,
        part=part,
        total=total,
    )
