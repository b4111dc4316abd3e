"""The SMS Works: sends, delivery reports by webhook, replies read from the account's inbox."""

from __future__ import annotations

from bridge.providers.base import ProviderKind, Wiring, no_reports_warning
from bridge.providers.smsworks.client import SmsWorksProvider
from bridge.providers.smsworks.settings import SmsWorksSettings
from bridge.providers.smsworks.webhooks import smsworks_routes

__all__ = ["KIND", "SmsWorksProvider", "SmsWorksSettings"]


def _build(settings: SmsWorksSettings, wiring: Wiring) -> SmsWorksProvider:
    return SmsWorksProvider(
        settings, client=wiring.client, name=wiring.name, callback_url=wiring.status_url
    )


def _warnings(
    name: str, settings: SmsWorksSettings, public_url: str | None, has_numbers: bool
) -> list[str]:
    found = []
    if has_numbers and not settings.watch_seconds:
        found.append(
            "watch_seconds is 0, so replies to the reply numbers are not read from The SMS"
            " Works' inbox"
        )
    if not public_url:
        found.append(no_reports_warning(name))
    return found


KIND = ProviderKind(
    name="smsworks",
    settings=SmsWorksSettings,
    build=_build,
    webhooks=smsworks_routes,
    warnings=_warnings,
    pollable=True,
)
