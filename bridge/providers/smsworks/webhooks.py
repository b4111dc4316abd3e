"""The SMS Works' delivery reports: a JSON POST to the ``deliveryreporturl`` given with each
text, ``/webhooks/NAME/status?token=...``.

The reports are not signed, so the URL carries a token derived from the account's JWT
(``bridge.providers.smsworks.webhook_token``); a report without it gets 403. Field names are
The SMS Works': ``messageid``, ``status`` (DELIVERED, UNDELIVERABLE, EXPIRED, REJECTED, SENT),
``tag`` (our job id). Every report that passes the check is answered 200, even one about a
text the bridge does not know, so the service does not keep resending it.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bridge.models import DeliveryReport
from bridge.providers.base import WebhookSink, webhook_path
from bridge.providers.smsworks.client import webhook_token
from bridge.providers.smsworks.settings import SmsWorksSettings
from bridge.providers.states import delivery_state
from bridge.web.forms import missing, read_fields, refusal, token_matches

__all__ = ["smsworks_routes"]

log = logging.getLogger(__name__)


def smsworks_routes(name: str, settings: SmsWorksSettings, sink: WebhookSink) -> list[Route]:
    token = webhook_token(settings)

    async def status(request: Request) -> Response:
        fields = await read_fields(request)
        if isinstance(fields, Response):
            return fields
        if not token_matches(fields.pop("token", None), token):
            log.warning("refused a %s delivery report without the bridge's token", name)
            return refusal(403, "The request does not carry this bridge's report token.")
        absent = missing(fields, "messageid", "status")
        if absent is not None:
            return absent
        state = delivery_state(fields["status"])
        if state is not None:
            reason = fields.get("failurereason.details") or fields.get("failurereason") or None
            report = DeliveryReport(
                provider=name,
                provider_message_id=fields["messageid"],
                status=state,
                error_code=fields.get("failurereason.code") or None,
                reason=reason,
                job_id=fields.get("tag") or None,
            )
            await sink.report(report)
        return Response(status_code=200)

    return [Route(webhook_path(name, "status"), status, methods=["POST"])]
