"""Fetch the pictures of a customer's text (MMS) from the provider that holds them.

Each reference (``MediaRef``) is fetched with httpx, following at most ``_MAX_REDIRECTS``
redirects by hand: a hop goes only to https or to the provider's own API host, and the
provider's credentials go only to that host (scheme, host and port of its ``base_url``), so a
redirect to a CDN, or anywhere else, never sees them. The body is streamed and dropped at
``max_bytes``; a type outside ``types`` (``type/*`` allowed) is not fetched at all.

What cannot be attached for good (too big, refused type, the provider answers 404, an unsafe
redirect) becomes a ``NotAttached`` sentence for the email. A failure that may pass (a
timeout, a 5xx, a 429, the network) raises ``MediaNotReady`` while the inbound text has
attempts left (``attempts``), so the inbound worker puts the whole text back and tries again
later; on the last attempt the picture is given up with a sentence instead. Nothing is lost
silently.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urljoin

import httpx

from bridge.errors import TemporaryFailure
from bridge.media.results import Fetched, MediaNotReady, NotAttached
from bridge.media.words import describe, megabytes
from bridge.models import InboundJob, MediaRef

__all__ = [
    "Fetched",
    "MediaFetcher",
    "MediaLimits",
    "MediaNotReady",
    "NotAttached",
    "ProviderMedia",
    "type_allowed",
]

log = logging.getLogger(__name__)
_MAX_REDIRECTS = 5
_RETRY_BASE_SECONDS = 30.0
_RETRY_CAP_SECONDS = 900.0


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaLimits:
    """``[inbound] media_*``: what is attached, and how long and how often it is tried."""

    max_bytes: int
    types: tuple[str, ...]
    timeout_seconds: float
    attempts: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderMedia:
    """Where a provider's media URLs live and the Basic credentials they take there."""

    base_url: str
    credentials: tuple[str, str]


class _Refused(Exception):
    """A picture that will never be attached: the sentence's reason."""

    def __init__(self, reason: str, size: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.size = size


def type_allowed(content_type: str, types: tuple[str, ...]) -> bool:
    """``image/png`` against ``("image/png", "audio/*")``; parameters and case ignored."""
    kind = content_type.partition(";")[0].strip().lower()
    family = kind.partition("/")[0]
    return kind in types or f"{family}/*" in types


class MediaFetcher:
    """Fetch every picture of an inbound text (``fetch``), with one shared client."""

    def __init__(
        self,
        *,
        client: httpx.AsyncClient,
        limits: MediaLimits,
        providers: Mapping[str, ProviderMedia],
    ) -> None:
        self._client = client
        self._limits = limits
        self._providers = providers

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(self, job: InboundJob) -> list[Fetched | NotAttached]:
        """One result per picture, in order. Raises ``MediaNotReady`` when one could not be
        fetched and the text has attempts left."""
        results: list[Fetched | NotAttached] = []
        for number, ref in enumerate(job.media, 1):
            results.append(await self._one(job, ref, number))
        return results

    async def _one(self, job: InboundJob, ref: MediaRef, number: int) -> Fetched | NotAttached:
        try:
            return await self._fetched(job.provider, ref, number)
        except _Refused as refused:
            log.info("inbound %s: picture %d not attached: %s", job.id, number, refused.reason)
            return NotAttached(
                f"{describe(ref.content_type, refused.size)} was not attached: {refused.reason}."
            )
        except TemporaryFailure as exc:
            if job.attempts < self._limits.attempts:
                delay = min(_RETRY_CAP_SECONDS, _RETRY_BASE_SECONDS * 2 ** (job.attempts - 1))
                log.warning(
                    "inbound %s: picture %d not fetched (%s); trying again in %.0f s",
                    job.id,
                    number,
                    exc.reason,
                    delay,
                )
                raise MediaNotReady(exc.reason, retry_after=delay) from None
            log.warning("inbound %s: picture %d given up: %s", job.id, number, exc.reason)
            return NotAttached(
                f"{describe(ref.content_type, None)} was not attached: it could not be fetched"
                f" from the provider after {job.attempts} tries ({exc.reason})."
            )

    async def _fetched(self, provider: str, ref: MediaRef, number: int) -> Fetched:
        limits = self._limits
        if not type_allowed(ref.content_type, limits.types):
            raise _Refused("the bridge does not attach files of this type")
        home = self._providers.get(provider)
        if home is None:
            raise _Refused("the bridge has no credentials for the provider that holds it")
        url = ref.url
        for _ in range(_MAX_REDIRECTS + 1):
            if not _allowed(url, home):
                raise _Refused("its address leads outside the provider's own site")
            auth = httpx.BasicAuth(*home.credentials) if _same_origin(url, home) else None
            request = self._client.build_request("GET", url, timeout=limits.timeout_seconds)
            got = await self._send(request, auth, ref)
            if isinstance(got, str):
                url = got
                continue
            return Fetched(got[0], got[1], _filename(got[0], number))
        raise _Refused("its address redirects too many times")

    async def _send(
        self, request: httpx.Request, auth: httpx.Auth | None, ref: MediaRef
    ) -> str | tuple[str, bytes]:
        """The next URL (a redirect), or the content type and bytes."""
        try:
            response = await self._client.send(
                request, auth=auth, stream=True, follow_redirects=False
            )
        except httpx.HTTPError as exc:
            raise TemporaryFailure(f"the provider did not answer: {type(exc).__name__}") from None
        try:
            return await self._read(response, ref)
        except httpx.HTTPError as exc:
            raise TemporaryFailure(f"the download broke off: {type(exc).__name__}") from None
        finally:
            await response.aclose()

    async def _read(self, response: httpx.Response, ref: MediaRef) -> str | tuple[str, bytes]:
        status = response.status_code
        if response.is_redirect and "location" in response.headers:
            return urljoin(str(response.url), response.headers["location"])
        if status == 429 or status >= 500:
            raise TemporaryFailure(f"the provider answered HTTP {status}")
        if status != 200:
            raise _Refused(f"the provider refused to hand it over (HTTP {status})")
        kind = response.headers.get("content-type", ref.content_type).partition(";")[0].strip()
        kind = kind.lower() or ref.content_type
        if not type_allowed(kind, self._limits.types):
            raise _Refused(f"it turned out to be {kind}, which the bridge does not attach")
        return kind, await self._capped(response)

    async def _capped(self, response: httpx.Response) -> bytes:
        """The body, or ``_Refused`` as soon as it passes ``max_bytes`` (never read whole)."""
        cap = self._limits.max_bytes
        over = f"over the {megabytes(cap)} limit"
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise _Refused(over, int(declared))
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > cap:
                raise _Refused(over, int(declared) if declared.isdigit() else None)
        return bytes(body)


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


def _same_origin(url: str, home: ProviderMedia) -> bool:
    """Only the provider's own API host (scheme, host and port) is given its credentials."""
    return _origin(httpx.URL(url)) == _origin(httpx.URL(home.base_url))


def _allowed(url: str, home: ProviderMedia) -> bool:
    """A picture is fetched over https, or from the provider's configured host itself."""
    target = httpx.URL(url)
    if target.scheme == "https":
        return True
    return target.scheme == "http" and target.host == httpx.URL(home.base_url).host


def _filename(content_type: str, number: int) -> str:
    extension = mimetypes.guess_extension(content_type) or ".bin"
    return f"picture-{number}{extension}"
