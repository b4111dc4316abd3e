"""The SMS Works: sends, delivery reports by webhook, replies read from the account's inbox."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bridge.providers.base import ProviderKind, Wiring, no_reports_warning
from bridge.providers.smsworks.settings import SmsWorksSettings

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from bridge.providers.base import WebhookSink
    from bridge.providers.smsworks.client import SmsWorksProvider

__all__ = ["KIND", "SmsWorksSettings"]


def _build(settings: SmsWorksSettings, wiring: Wiring) -> SmsWorksProvider:
    from bridge.providers.smsworks.client import (
        SmsWorksProvider,  # only when configured: it imports httpx
    )

    return SmsWorksProvider(
        settings, client=wiring.client(), name=wiring.name, callback_url=wiring.status_url
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


def _routes(name: str, settings: SmsWorksSettings, sink: WebhookSink) -> Sequence[BaseRoute]:
    from bridge.providers.smsworks.webhooks import smsworks_routes  # only when configured

    return smsworks_routes(name, settings, sink)


KIND = ProviderKind(
    name="smsworks",
    settings=SmsWorksSettings,
    build=_build,
    webhooks=_routes,
    warnings=_warnings,
    pollable=True,
)
