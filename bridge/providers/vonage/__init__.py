"""Vonage's SMS API: sends, signed webhooks, delivery receipts and long texts in parts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bridge.providers.base import ProviderKind, Wiring, no_reports_warning
from bridge.providers.vonage.settings import VonageSettings

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from bridge.providers.base import WebhookSink
    from bridge.providers.vonage.client import VonageProvider

__all__ = ["KIND", "VonageSettings"]


def _build(settings: VonageSettings, wiring: Wiring) -> VonageProvider:
    from bridge.providers.vonage.client import (
        VonageProvider,  # only when configured: it imports httpx
    )

    status = wiring.status_url
    if status and settings.webhook_secret and not settings.signature_secret:
        status += f"?token={settings.webhook_secret.get_secret_value()}"
    return VonageProvider(settings, client=wiring.client(), name=wiring.name, callback_url=status)


def _warnings(
    name: str, settings: VonageSettings, public_url: str | None, has_numbers: bool
) -> list[str]:
    found = []
    if not (settings.signature_secret or settings.webhook_secret):
        found.append(
            "Vonage's webhooks will be refused (403): set its signature secret or webhook"
            " secret, or replies and receipts cannot arrive"
        )
    if not public_url:
        found.append(no_reports_warning(name))
    return found


def _routes(name: str, settings: VonageSettings, sink: WebhookSink) -> Sequence[BaseRoute]:
    from bridge.providers.vonage.webhooks import vonage_routes  # only when configured

    return vonage_routes(name, settings, sink)


KIND = ProviderKind(
    name="vonage",
    settings=VonageSettings,
    build=_build,
    webhooks=_routes,
    warnings=_warnings,
)
