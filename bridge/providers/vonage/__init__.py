"""Vonage's SMS API: sends, signed webhooks, delivery receipts and long texts in parts."""

from __future__ import annotations

from bridge.providers.base import ProviderKind, Wiring, no_reports_warning
from bridge.providers.vonage.client import VonageProvider
from bridge.providers.vonage.settings import VonageSettings
from bridge.providers.vonage.webhooks import vonage_routes

__all__ = ["KIND", "VonageProvider", "VonageSettings"]


def _build(settings: VonageSettings, wiring: Wiring) -> VonageProvider:
    status = wiring.status_url
    if status and settings.webhook_secret and not settings.signature_secret:
        status += f"?token={settings.webhook_secret.get_secret_value()}"
    return VonageProvider(settings, client=wiring.client, name=wiring.name, callback_url=status)


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


KIND = ProviderKind(
    name="vonage",
    settings=VonageSettings,
    build=_build,
    webhooks=vonage_routes,
    warnings=_warnings,
)
