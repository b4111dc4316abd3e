"""Build every configured provider, with its breaker, from the settings: the only place that
knows which class serves which ``type``, and the URLs each one is given for its callbacks.

All HTTP providers share one ``httpx.AsyncClient`` on ``KeepAliveTransport`` (its pool keeps
connections per host), so failing over costs no new TLS handshake once both providers have
been used.
"""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass

import httpx

from bridge.config import Settings
from bridge.config_providers import (
    HttpProviderSettings,
    ProviderEntry,
    SandboxEntry,
    SmsWorksSettings,
    TwilioEntry,
    VonageSettings,
)
from bridge.providers.base import Provider
from bridge.providers.breaker import Breaker
from bridge.providers.choice import Carrier, ProviderChoice
from bridge.providers.generic_http import HttpProvider
from bridge.providers.http_transport import KeepAliveTransport
from bridge.providers.sandbox import SandboxProvider
from bridge.providers.smsworks import SmsWorksProvider
from bridge.providers.twilio import TwilioProvider
from bridge.providers.vonage import VonageProvider

__all__ = ["ProviderSet", "build_providers", "provider_transport", "webhook_url"]


def webhook_url(settings: Settings, name: str, kind: str) -> str | None:
    """Where provider ``name`` should post ``kind`` (inbound, status); None without a public
    URL, because a provider on the internet cannot reach a bridge that has none."""
    public = settings.bridge.public_url
    return f"{public.rstrip('/')}/webhooks/{name}/{kind}" if public else None


@dataclass(slots=True)
class ProviderSet:
    choice: ProviderChoice
    client: httpx.AsyncClient

    async def aclose(self) -> None:
        await self.client.aclose()


def provider_transport() -> httpx.AsyncBaseTransport | None:
    """``KeepAliveTransport``, unless a proxy is set in the environment: httpx honours
    ``HTTPS_PROXY`` and ``NO_PROXY`` only on its own transports (None here means those)."""
    proxies = urllib.request.getproxies()
    if any(scheme in proxies for scheme in ("http", "https", "all")):
        return None
    return KeepAliveTransport()


def build_providers(settings: Settings) -> ProviderSet:
    client = httpx.AsyncClient(transport=provider_transport())
    carriers = [
        Carrier(
            name,
            _provider(settings, name, entry, client),
            Breaker(failures=entry.breaker_failures, cooldown=entry.breaker_cooldown_seconds),
        )
        for name, entry in settings.provider_entries.items()
    ]
    return ProviderSet(ProviderChoice(carriers, settings.provider_rules), client)


def _provider(
    settings: Settings, name: str, entry: ProviderEntry, client: httpx.AsyncClient
) -> Provider:
    status = webhook_url(settings, name, "status")
    if isinstance(entry, TwilioEntry):
        return TwilioProvider(entry, client=client, status_callback_url=status, name=name)
    if isinstance(entry, VonageSettings):
        if status and entry.webhook_secret and not entry.signature_secret:
            status += f"?token={entry.webhook_secret.get_secret_value()}"
        return VonageProvider(entry, client=client, name=name, callback_url=status)
    if isinstance(entry, SmsWorksSettings):
        return SmsWorksProvider(entry, client=client, name=name, callback_url=status)
    if isinstance(entry, HttpProviderSettings):
        if status and entry.webhook_secret and entry.webhook_auth == "token":
            status += f"?token={entry.webhook_secret.get_secret_value()}"
        return HttpProvider(entry, client=client, name=name, status_url=status)
    assert isinstance(entry, SandboxEntry)
    return SandboxProvider(entry, journal=settings.sandbox_journal(name, entry), name=name)
