"""Every provider type the bridge knows, and what the bridge does with all of them alike.

A provider type is one package (its client, webhooks, signatures and settings) and one line
in ``KINDS`` below. Nothing else in the bridge names a provider type: the settings build their
``[providers.NAME]`` schema from ``KINDS``, and the functions here build the clients, mount the
webhooks and collect the warnings of whatever is configured.

All HTTP providers share one ``httpx.AsyncClient`` on ``KeepAliveTransport`` (its pool keeps
connections per host), so failing over costs no new TLS handshake once both providers have
been used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bridge.providers import http, sandbox, smsworks, twilio, vonage
from bridge.providers.base import (
    Carrier,
    ProviderKind,
    ProviderSettings,
    WebhookSink,
    Wiring,
    webhook_url,
)
from bridge.providers.breaker import Breaker

if TYPE_CHECKING:
    import httpx
    from starlette.routing import BaseRoute

__all__ = [
    "KINDS",
    "ProviderSet",
    "SharedClient",
    "build_carriers",
    "kind_of",
    "provider_warnings",
    "webhook_routes",
]


KINDS: tuple[ProviderKind[Any], ...] = (
    sandbox.KIND,
    twilio.KIND,
    vonage.KIND,
    smsworks.KIND,
    http.KIND,
)


def kind_of(settings: ProviderSettings) -> ProviderKind[Any]:
    """The registry entry of a provider's settings."""
    return next(kind for kind in KINDS if kind.name == settings.type)


class SharedClient:
    """The one ``httpx.AsyncClient`` of the HTTP providers, made when the first asks for it."""

    def __init__(self) -> None:
        self.made: httpx.AsyncClient | None = None

    def __call__(self) -> httpx.AsyncClient:
        if self.made is None:
            import httpx  # here, not at start: the sandbox alone needs no HTTP client

            self.made = httpx.AsyncClient(transport=provider_transport())
        return self.made

    async def aclose(self) -> None:
        if self.made is not None:
            await self.made.aclose()


@dataclass(slots=True)
class ProviderSet:
    """The built providers with their breakers, and the HTTP client they share."""

    carriers: list[Carrier]
    client: SharedClient

    async def aclose(self) -> None:
        await self.client.aclose()


def provider_transport() -> httpx.AsyncBaseTransport | None:
    """``KeepAliveTransport``, unless a proxy is set in the environment: httpx honours
    ``HTTPS_PROXY`` and ``NO_PROXY`` only on its own transports (None here means those)."""
    import urllib.request  # with the client: it takes some milliseconds to import

    from bridge.providers.http_transport import KeepAliveTransport  # imports httpx

    proxies = urllib.request.getproxies()
    if any(scheme in proxies for scheme in ("http", "https", "all")):
        return None
    return KeepAliveTransport()


def build_carriers(
    providers: Mapping[str, ProviderSettings], *, public_url: str | None, data_dir: Path
) -> ProviderSet:
    """Every configured provider, in failover order, each with its circuit breaker."""
    client = SharedClient()
    carriers = []
    for name, settings in providers.items():
        wiring = Wiring(
            name=name,
            client=client,
            status_url=webhook_url(public_url, name, "status"),
            data_dir=data_dir,
        )
        breaker = Breaker(
            failures=settings.breaker_failures, cooldown=settings.breaker_cooldown_seconds
        )
        kind = kind_of(settings)
        provider = kind.build(settings, wiring)
        carriers.append(Carrier(name, provider, breaker, kind.mms_countries))
    return ProviderSet(carriers, client)


def webhook_routes(providers: Mapping[str, ProviderSettings], sink: WebhookSink) -> list[BaseRoute]:
    """The webhook routes of every configured provider, at ``/webhooks/NAME/...``."""
    routes: list[BaseRoute] = []
    for name, settings in providers.items():
        routes += kind_of(settings).webhooks(name, settings, sink)
    return routes


def provider_warnings(
    providers: Mapping[str, ProviderSettings], *, public_url: str | None, has_numbers: bool
) -> list[tuple[str, str]]:
    """Settings that are valid but will not do what an admin expects: ``(its table, why)``."""
    return [
        (f"providers.{name}", warning)
        for name, settings in providers.items()
        for warning in kind_of(settings).warnings(name, settings, public_url, has_numbers)
    ]
