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

from bridge.clock import Clock
from bridge.config_providers import HttpInboundMap, HttpProviderSettings, HttpStatusMap
from bridge.inbound.reports import DeliveryReport
from bridge.inbound.webhook_common import (
    Receive,
    Report,
    read_body,
    read_fields,
    refusal,
    required_fields,
    token_matches,
)
from bridge.models import InboundSms

__all__ = ["http_routes"]

log = logging.getLogger(__name__)


def _number(value: str) -> str:
    value = value.strip()
    return "+" + value if value.isdigit() else value


def http_routes(
    *, name: str, settings: HttpProviderSettings, receive: Receive, report: Report, clock: Clock
) -> list[Route]:
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
        await receive(
            InboundSms(
                provider=name,
                provider_message_id=fields[mapping.id],
                from_number=_number(fields[mapping.from_]),
                to_number=_number(fields[mapping.to]),
                text=fields.get(mapping.text, ""),
                received_at=clock(),
            )
        )
        return Response(status_code=200)

    async def status(request: Request) -> Response:
        mapping = settings.status or HttpStatusMap()
        fields = await required_fields(checked, request, mapping.id, mapping.status)
        if isinstance(fields, Response):
            return fields
        state = _state(mapping, fields[mapping.status])
        if state is not None:
            code = fields.get(mapping.error) if mapping.error else None
            await report(
                DeliveryReport(
                    provider=name,
                    provider_message_id=fields[mapping.id],
                    status=state,
                    error_code=code or None,
                    price=fields.get(mapping.price or "") or None,
                )
            )
        return Response(status_code=200)

    routes = []
    if settings.inbound is not None:
        routes.append(Route(f"/webhooks/{name}/inbound", inbound, methods=["GET", "POST"]))
    if settings.status is not None:
        routes.append(Route(f"/webhooks/{name}/status", status, methods=["GET", "POST"]))
    return routes


def _state(mapping: HttpStatusMap, value: str) -> str | None:
    value = value.strip().lower()
    for state, values in (
        ("delivered", mapping.delivered),
        ("undelivered", mapping.failed),
        ("sent", mapping.sent),
    ):
        if value in (v.lower() for v in values):
            return state
    return None
