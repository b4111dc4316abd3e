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

from bridge.clock import Clock
from bridge.config_providers import VonageSettings
from bridge.inbound.reports import DeliveryReport
from bridge.inbound.webhook_common import (
    Receive,
    ReceivePart,
    Report,
    read_fields,
    refusal,
    required_fields,
    token_matches,
)
from bridge.models import InboundPart, InboundSms
from bridge.providers.vonage import describe_receipt_error
from bridge.providers.vonage_signature import valid_vonage_signature

__all__ = ["vonage_routes"]

log = logging.getLogger(__name__)
# Vonage's receipt ``status`` values as the bridge's states; "unknown" changes nothing.
_STATES = {
    "delivered": "delivered",
    "expired": "undelivered",
    "failed": "undelivered",
    "rejected": "undelivered",
    "accepted": "sent",
    "buffered": "sent",
}


def _number(value: str) -> str:
    return "+" + value if value.isdigit() else value


def vonage_routes(
    *,
    name: str,
    settings: VonageSettings,
    receive: Receive,
    receive_part: ReceivePart,
    report: Report,
    clock: Clock,
) -> list[Route]:
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
            403, "Webhooks are off for this provider: configure signature_secret or webhook_secret."
        )

    async def inbound(request: Request) -> Response:
        fields = await required_fields(checked, request, "msisdn", "to", "messageId")
        if isinstance(fields, Response):
            return fields
        if fields.get("type") == "binary":
            return Response(status_code=200)  # a ringtone or a WAP push: nothing to email
        if fields.get("concat") == "true":
            part = _part(name, fields, clock)
            if part is None:
                return refusal(400, "The concat-ref, concat-total or concat-part is not valid.")
            await receive_part(part)
        else:
            await receive(
                InboundSms(
                    provider=name,
                    provider_message_id=fields["messageId"],
                    from_number=_number(fields["msisdn"]),
                    to_number=_number(fields["to"]),
                    text=fields.get("text", ""),
                    received_at=clock(),
                )
            )
        return Response(status_code=200)

    async def status(request: Request) -> Response:
        fields = await required_fields(checked, request, "messageId", "status")
        if isinstance(fields, Response):
            return fields
        state = _STATES.get(fields["status"].lower())
        if state is not None:
            code = fields.get("err-code") or None
            await report(
                DeliveryReport(
                    provider=name,
                    provider_message_id=fields["messageId"],
                    status=state,
                    error_code=None if code == "0" else code,
                    reason=describe_receipt_error(code),
                    price=fields.get("price") or None,
                    job_id=fields.get("client-ref") or None,
                )
            )
        return Response(status_code=200)

    methods = ["GET", "POST"]
    return [
        Route(f"/webhooks/{name}/inbound", inbound, methods=methods),
        Route(f"/webhooks/{name}/status", status, methods=methods),
    ]


def _part(name: str, fields: dict[str, str], clock: Clock) -> InboundPart | None:
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
        from_number=_number(fields["msisdn"]),
        to_number=_number(fields["to"]),
        text=fields.get("text", ""),
        received_at=clock(),
        concat_ref=ref,
        part=part,
        total=total,
    )
