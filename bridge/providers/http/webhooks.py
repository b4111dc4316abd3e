"""Webhooks of a generic HTTP provider: inbound texts and delivery reports mapped by TOML.

``[providers.NAME.inbound]`` and ``[providers.NAME.status]`` name the fields (dotted paths for
JSON bodies; query, form and JSON are all read). Every request must prove it comes from the
aggregator: ``webhook_auth = "token"`` wants the webhook secret as ``?token=`` or in the
``X-Webhook-Token`` header; ``"hmac-sha256"`` wants ``X-Signature``, the hex HMAC-SHA256 of
the raw body keyed by the secret. Anything else gets 403 and changes nothing. A text is
committed before the 200, and the same message id is stored once.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bridge.models import DeliveryReport, InboundSms
from bridge.parsing.numbers import plus_digits
from bridge.providers.base import WebhookSink, webhook_path
from bridge.providers.http.settings import HttpInboundMap, HttpProviderSettings, HttpStatusMap
from bridge.providers.states import delivery_state
from bridge.web.forms import read_body, read_fields, refusal, required_fields, token_matches

__all__ = ["http_routes"]

log = logging.getLogger(__name__)


def http_routes(name: str, settings: HttpProviderSettings, sink: WebhookSink) -> list[Route]:
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""

    async def checked(request: Request) -> dict[str, str] | Response:
        body = await read_body(request)
        if isinstance(body, Response):
            return body
        fields = await read_fields(request, body)
        if isinstance(fields, Response):
            return fields
        if settings.webhook_auth == "hmac-sha256":
            expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            ok = token_matches(request.headers.get("x-signature", "").lower(), expected)
        else:
            given = fields.pop("token", None) or request.headers.get("x-webhook-token")
            ok = token_matches(given, secret)
        if not ok:
            log.warning("refused a %s webhook that did not prove it came from %s", name, name)
            return refusal(403, f"The request is not authenticated as {name} for this bridge.")
        return fields

    async def inbound(request: Request) -> Response:
        mapping = settings.inbound or HttpInboundMap()
        fields = await required_fields(checked, request, mapping.id, mapping.from_, mapping.to)
        if isinstance(fields, Response):
            return fields
        sms = InboundSms(
            provider=name,
            provider_message_id=fields[mapping.id],
            from_number=plus_digits(fields[mapping.from_]),
            to_number=plus_digits(fields[mapping.to]),
            text=fields.get(mapping.text, ""),
            received_at=sink.clock(),
        )
        await sink.receive(sms)
        return Response(status_code=200)

    async def status(request: Request) -> Response:
        mapping = settings.status or HttpStatusMap()
        fields = await required_fields(checked, request, mapping.id, mapping.status)
        if isinstance(fields, Response):
            return fields
        state = delivery_state(fields[mapping.status], _words(mapping))
        if state is not None:
            code = fields.get(mapping.error) if mapping.error else None
            report = DeliveryReport(
                provider=name,
                provider_message_id=fields[mapping.id],
                status=state,
                error_code=code or None,
                price=fields.get(mapping.price or "") or None,
            )
            await sink.report(report)
        return Response(status_code=200)

    routes = []
    if settings.inbound is not None:
        routes.append(Route(webhook_path(name, "inbound"), inbound, methods=["GET", "POST"]))
    if settings.status is not None:
        routes.append(Route(webhook_path(name, "status"), status, methods=["GET", "POST"]))
    return routes


def _words(mapping: HttpStatusMap) -> dict[str, str]:
    """The aggregator's own words for each state, as ``delivery_state`` reads them."""
    states = (
        ("sent", mapping.sent),
        ("undelivered", mapping.failed),
        ("delivered", mapping.delivered),
    )
    return {word.lower(): state for state, words in states for word in words}
