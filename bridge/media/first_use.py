"""The pictures fetcher, made when the first text with pictures arrives.

``fetch.MediaFetcher`` needs httpx and an HTTP client (its TLS context reads the system's
certificates): tens of milliseconds that a bridge would otherwise spend before its first
SMTP greeting, for pictures most bridges never receive.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from bridge.media.results import Fetched, NotAttached
from bridge.models import InboundJob

if TYPE_CHECKING:
    from bridge.media.fetch import MediaFetcher

__all__ = ["FetchedAtFirstUse", "Pictures"]


class Pictures(Protocol):
    """What the inbound worker needs of a fetcher."""

    async def fetch(self, job: InboundJob) -> list[Fetched | NotAttached]: ...

    async def aclose(self) -> None: ...


class FetchedAtFirstUse:
    """A ``MediaFetcher`` made by ``make`` at the first ``fetch``."""

    def __init__(self, make: Callable[[], MediaFetcher]) -> None:
        self._make = make
        self._fetcher: MediaFetcher | None = None

    async def fetch(self, job: InboundJob) -> list[Fetched | NotAttached]:
        if self._fetcher is None:
            self._fetcher = self._make()
        return await self._fetcher.fetch(job)

    async def aclose(self) -> None:
        if self._fetcher is not None:
            await self._fetcher.aclose()
