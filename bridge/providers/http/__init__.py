"""A local aggregator's HTTP API described in TOML: the request as a template, the answer
and the webhooks as field paths, no code."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bridge.providers.base import ProviderKind, Wiring, no_reports_warning
from bridge.providers.http.settings import HttpProviderSettings

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from bridge.providers.base import WebhookSink
    from bridge.providers.http.client import HttpProvider

__all__ = ["KIND", "HttpProviderSettings"]


def _build(settings: HttpProviderSettings, wiring: Wiring) -> HttpProvider:
    from bridge.providers.http.client import HttpProvider  # only when configured: it imports httpx

    status = wiring.status_url
    if status and settings.webhook_secret and settings.webhook_auth == "token":
        status += f"?token={settings.webhook_secret.get_secret_value()}"
    return HttpProvider(settings, client=wiring.client(), name=wiring.name, status_url=status)


def _warnings(
    name: str, settings: HttpProviderSettings, public_url: str | None, has_numbers: bool
) -> list[str]:
    if settings.status is None or public_url:
        return []
    return [no_reports_warning(name)]


def _routes(name: str, settings: HttpProviderSettings, sink: WebhookSink) -> Sequence[BaseRoute]:
    from bridge.providers.http.webhooks import http_routes  # only when configured

    return http_routes(name, settings, sink)


KIND = ProviderKind(
    name="http",
    settings=HttpProviderSettings,
    build=_build,
    webhooks=_routes,
    warnings=_warnings,
)
