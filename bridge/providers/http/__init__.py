"""A local aggregator's HTTP API described in TOML: the request as a template, the answer
and the webhooks as field paths, no code."""

from __future__ import annotations

from bridge.providers.base import ProviderKind, Wiring, no_reports_warning
from bridge.providers.http.client import HttpProvider
from bridge.providers.http.settings import HttpProviderSettings
from bridge.providers.http.webhooks import http_routes

__all__ = ["KIND", "HttpProvider", "HttpProviderSettings"]


def _build(settings: HttpProviderSettings, wiring: Wiring) -> HttpProvider:
    status = wiring.status_url
    if status and settings.webhook_secret and settings.webhook_auth == "token":
        status += f"?token={settings.webhook_secret.get_secret_value()}"
    return HttpProvider(settings, client=wiring.client, name=wiring.name, status_url=status)


def _warnings(
    name: str, settings: HttpProviderSettings, public_url: str | None, has_numbers: bool
) -> list[str]:
    if settings.status is None or public_url:
        return []
    return [no_reports_warning(name)]


KIND = ProviderKind(
    name="http",
    settings=HttpProviderSettings,
    build=_build,
    webhooks=http_routes,
    warnings=_warnings,
)
