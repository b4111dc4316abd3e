"""Twilio's Messages API: sends, signed webhooks, and polling for a bridge without a URL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bridge.providers.base import ProviderKind, Wiring, no_reports_warning
from bridge.providers.twilio.settings import TwilioSettings

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from bridge.providers.base import WebhookSink
    from bridge.providers.twilio.client import TwilioProvider

__all__ = ["KIND", "TwilioSettings"]


def _build(settings: TwilioSettings, wiring: Wiring) -> TwilioProvider:
    from bridge.providers.twilio.client import (
        TwilioProvider,  # only when configured: it imports httpx
    )

    return TwilioProvider(
        settings, client=wiring.client(), status_callback_url=wiring.status_url, name=wiring.name
    )


def _warnings(
    name: str, settings: TwilioSettings, public_url: str | None, has_numbers: bool
) -> list[str]:
    if public_url or settings.watch_seconds:
        return []
    return [no_reports_warning(name) + " (or set watch_seconds to poll)"]


def _media_auth(settings: TwilioSettings) -> tuple[str, tuple[str, str]]:
    """Twilio's media URLs are on its API host and need the account's Basic credentials."""
    token = settings.auth_token.get_secret_value() if settings.auth_token else ""
    return settings.base_url, (settings.account_sid, token)


def _routes(name: str, settings: TwilioSettings, sink: WebhookSink) -> Sequence[BaseRoute]:
    from bridge.providers.twilio.webhooks import twilio_routes  # only when configured

    return twilio_routes(name, settings, sink)


KIND = ProviderKind(
    name="twilio",
    settings=TwilioSettings,
    build=_build,
    webhooks=_routes,
    warnings=_warnings,
    pollable=True,
    mms_countries=frozenset({"US", "CA"}),  # Twilio sends MMS only to US and Canadian numbers
    media_auth=_media_auth,
)
