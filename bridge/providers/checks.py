"""Warnings about provider settings that are valid but will not do what an admin expects:
webhooks that nothing can reach or that are switched off, replies nobody reads. Printed by
``check-config`` and logged at start."""

from __future__ import annotations

from bridge.config import Settings
from bridge.config_providers import (
    HttpProviderSettings,
    SmsWorksSettings,
    TwilioEntry,
    VonageSettings,
)

__all__ = ["provider_warnings"]


def provider_warnings(settings: Settings) -> list[str]:
    warnings = []
    public = settings.bridge.public_url
    for name, entry in settings.provider_entries.items():
        where = f"providers.{name}" if settings.providers else "provider"
        if isinstance(entry, VonageSettings) and not (
            entry.signature_secret or entry.webhook_secret
        ):
            warnings.append(
                f"{where}: Vonage's webhooks will be refused (403): set its signature"
                " secret or webhook secret, or replies and receipts cannot arrive"
            )
        if isinstance(entry, SmsWorksSettings) and settings.numbers and not entry.watch_seconds:
            warnings.append(
                f"{where}: watch_seconds is 0, so replies to the reply numbers are"
                " not read from The SMS Works' inbox"
            )
        wants_hooks = (
            isinstance(entry, VonageSettings | SmsWorksSettings)
            or (isinstance(entry, TwilioEntry) and not entry.watch_seconds)
            or (isinstance(entry, HttpProviderSettings) and entry.status is not None)
        )
        if wants_hooks and not public:
            warnings.append(
                f"{where}: bridge.public_url is not set, so {name} is given no"
                " delivery-report URL and texts stay 'sent'"
            )
    return warnings
