"""Every configured provider's webhook routes, mounted at ``/webhooks/NAME/...``.

Each provider type brings its own handlers (its field names, its way of proving a request is
genuine); they all end in the same three calls: store an inbound text, store one part of a
long one, apply a delivery report.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from bridge.clock import Clock
from bridge.config import Settings
from bridge.config_providers import (
    HttpProviderSettings,
    SandboxEntry,
    SmsWorksSettings,
    TwilioEntry,
    VonageSettings,
)
from bridge.inbound.http_webhooks import http_routes
from bridge.inbound.smsworks_webhooks import smsworks_routes
from bridge.inbound.vonage_webhooks import vonage_routes
from bridge.inbound.webhook_common import Receive, ReceivePart, Report
from bridge.inbound.webhooks import sandbox_routes, twilio_routes

__all__ = ["webhook_routes"]


def webhook_routes(
    settings: Settings,
    *,
    receive: Receive,
    receive_part: ReceivePart,
    report: Report,
    clock: Clock,
) -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for name, entry in settings.provider_entries.items():
        if isinstance(entry, TwilioEntry):
            token = entry.auth_token.get_secret_value() if entry.auth_token else ""
            routes += twilio_routes(
                token=token,
                public_url=settings.bridge.public_url,
                receive=receive,
                report=report,
                clock=clock,
                name=name,
            )
        elif isinstance(entry, VonageSettings):
            routes += vonage_routes(
                name=name,
                settings=entry,
                receive=receive,
                receive_part=receive_part,
                report=report,
                clock=clock,
            )
        elif isinstance(entry, SmsWorksSettings):
            routes += smsworks_routes(name=name, settings=entry, report=report)
        elif isinstance(entry, HttpProviderSettings):
            routes += http_routes(
                name=name, settings=entry, receive=receive, report=report, clock=clock
            )
    if any(isinstance(e, SandboxEntry) for e in settings.provider_entries.values()):
        # Loopback only; `smsbridge simulate-inbound` posts here.
        routes += sandbox_routes(
            receive=receive, clock=clock, default_region=settings.smtp.default_region
        )
    return routes
