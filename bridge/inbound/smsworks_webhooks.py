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

from bridge.config_providers import SmsWorksSettings
from bridge.inbound.reports import DeliveryReport
from bridge.inbound.webhook_common import Report, missing, read_fields, refusal, token_matches
from bridge.providers.smsworks import webhook_token

__all__ = ["smsworks_routes"]

log = logging.getLogger(__name__)
_STATES = {
    "delivered": "delivered",
    "undeliverable": "undelivered",
    "expired": "undelivered",
    "rejected": "undelivered",
    "failed": "undelivered",
    "sent": "sent",
}


def smsworks_routes(*, name: str, settings: SmsWorksSettings, report: Report) -> list[Route]:
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
        state = _STATES.get(fields["status"].lower())
        if state is not None:
            reason = fields.get("failurereason.details") or fields.get("failurereason") or None
            await report(
                DeliveryReport(
                    provider=name,
                    provider_message_id=fields["messageid"],
                    status=state,
                    error_code=fields.get("failurereason.code") or None,
                    reason=reason,
                    job_id=fields.get("tag") or None,
                )
            )
        return Response(status_code=200)

    return [Route(f"/webhooks/{name}/status", status, methods=["POST"])]
