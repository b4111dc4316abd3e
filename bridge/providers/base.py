"""What every SMS provider is: the interfaces, the settings all share, and the registry entry.

A provider turns an ``OutboundSms`` into one HTTP call (or, for the sandbox, a recorded send)
and translates everything that can go wrong into ``TemporaryFailure`` or ``PermanentFailure``
(``bridge.errors``). Nothing above this layer sees httpx exceptions or provider JSON.

``find_sent`` exists because a process can die between the provider accepting a text and the
store recording it. The bridge promises at most one text per accepted recipient, so a job
claimed again after such a crash is never sent blindly: the provider is asked first.

A provider type is described by one ``ProviderKind``: its settings class (the ``type`` in
``[providers.NAME]``), how to build its client, its webhook routes and its warnings. The
registry (``registry.py``) lists the kinds; nothing else in the bridge names a provider type.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar, runtime_checkable

from pydantic import Field

from bridge.clock import Clock
from bridge.models import DeliveryReport, InboundPart, InboundSms, OutboundSms, SendResult
from bridge.providers.breaker import Breaker
from bridge.settings.section import Section

if TYPE_CHECKING:
    import httpx
    from starlette.routing import BaseRoute

__all__ = [
    "Carrier",
    "InboundLister",
    "Provider",
    "ProviderKind",
    "ProviderSettings",
    "Receive",
    "ReceivePart",
    "Report",
    "WebhookSink",
    "Wiring",
    "no_reports_warning",
    "webhook_path",
    "webhook_url",
]

Receive = Callable[[InboundSms], Awaitable[None]]
ReceivePart = Callable[[InboundPart], Awaitable[None]]
Report = Callable[[DeliveryReport], Awaitable[bool]]


class Provider(Protocol):
    """Send one text. Raise ``TemporaryFailure`` (retry) or ``PermanentFailure`` (give up)."""

    name: str

    async def send(self, sms: OutboundSms) -> SendResult: ...

    async def find_sent(self, sms: OutboundSms) -> SendResult | None:
        """The provider's record of an earlier send of ``sms.job_id``, or None if surely none.

        Raise ``OutcomeUnknown`` when the provider cannot tell, or ``TemporaryFailure`` when it
        cannot be asked right now.
        """
        ...


@runtime_checkable
class InboundLister(Protocol):
    """A provider whose texts and reports can be polled (for a bridge without a public URL)."""

    name: str

    async def list_inbound(
        self, reply_number: str, *, since: datetime | None
    ) -> list[InboundSms]: ...

    async def list_reports(
        self, sender: str, *, since: datetime | None
    ) -> list[DeliveryReport]: ...


class ProviderSettings(Section):
    """What every ``[providers.NAME]`` table has: its type, a rate limit and a circuit breaker."""

    type: str
    rate_per_second: float | None = Field(
        default=None, gt=0, description="Texts a second through this provider, all numbers."
    )
    burst: int = Field(default=1, ge=1)
    breaker_failures: int = Field(
        default=5, ge=1, description="Open the circuit after this many failures in a row."
    )
    breaker_cooldown_seconds: float = Field(
        default=30.0, gt=0, description="Try the provider again (one text) after this long."
    )
    timeout_seconds: float = Field(default=15.0, gt=0)
    watch_seconds: float = Field(
        default=0.0,
        ge=0,
        description="Poll the provider for replies (and reports) this often; 0 is off. For a"
        " bridge that providers cannot reach; only providers that can be polled accept it.",
    )


@dataclass(frozen=True, slots=True)
class Carrier:
    """A configured provider and its circuit breaker; ``mms_countries`` where it can send
    pictures (its kind's, empty for text only)."""

    name: str
    provider: Provider
    breaker: Breaker
    mms_countries: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class Wiring:
    """What the bridge gives a provider it builds."""

    name: str
    # The client every HTTP provider shares (one pool, one TLS session cache), made at the
    # first call: a bridge with the sandbox alone never imports httpx.
    client: Callable[[], httpx.AsyncClient]
    status_url: str | None  # where to post delivery reports; None without a public URL
    data_dir: Path


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookSink:
    """Where a provider's webhooks hand what they received."""

    receive: Receive
    receive_part: ReceivePart
    report: Report
    clock: Clock
    public_url: str | None
    default_region: str


S = TypeVar("S", bound=ProviderSettings)


def _no_routes(name: str, settings: S, sink: WebhookSink) -> Sequence[BaseRoute]:
    return ()


def _no_warnings(name: str, settings: S, public_url: str | None, has_numbers: bool) -> list[str]:
    return []


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderKind(Generic[S]):
    """One provider type, as the registry lists it."""

    name: str  # the ``type`` of its [providers.NAME] tables; its settings' Literal says the same
    settings: type[S]
    build: Callable[[S, Wiring], Provider]
    webhooks: Callable[[str, S, WebhookSink], Sequence[BaseRoute]] = _no_routes
    # Settings that are valid but will not do what an admin expects, given the public URL
    # and whether the bridge has reply numbers.
    warnings: Callable[[str, S, str | None, bool], list[str]] = _no_warnings
    pollable: bool = False  # its client is an ``InboundLister``: watch_seconds is allowed
    # It sends pictures (MMS) given as ``OutboundSms.media_urls``, to numbers of these
    # countries (ISO 3166 codes); none: it sends text only.
    mms_countries: frozenset[str] = frozenset()
    # The host its inbound media URLs are on (they are fetched with its credentials), and
    # the credentials: (user, password) for HTTP Basic; None: it offers no inbound media.
    media_auth: Callable[[S], tuple[str, tuple[str, str]]] | None = None


def no_reports_warning(name: str) -> str:
    """The warning for a provider that would post delivery reports to a bridge it cannot reach."""
    return (
        f"bridge.public_url is not set, so {name} is given no delivery-report URL and texts"
        " stay 'sent'"
    )


def webhook_path(name: str, kind: str) -> str:
    """Where provider ``name`` posts ``kind`` (``inbound``, ``status``): the one definition."""
    return f"/webhooks/{name}/{kind}"


def webhook_url(public_url: str | None, name: str, kind: str) -> str | None:
    """The full URL a provider is given for ``kind``; None without a public URL, because a
    provider on the internet cannot reach a bridge that has none."""
    return public_url.rstrip("/") + webhook_path(name, kind) if public_url else None
