"""What every HTTP provider does the same way: call, read JSON, read Retry-After, classify errors.

The one subtle rule lives here. A request that never reached the provider (the connection was
refused, the pool or the connect timed out) certainly sent nothing, so another provider may
carry the text. A request that broke after it was written (a read timeout, a reset, a
half-read answer) may have been acted on: it is a ``TemporaryFailure`` with ``maybe_sent``,
and the dispatcher asks that same provider before anything else happens to the job.
"""

from __future__ import annotations

import email.utils
import time
from typing import Any

import httpx

from bridge.errors import TemporaryFailure

__all__ = ["json_body", "request", "retry_after", "transport_failure"]

_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def transport_failure(exc: httpx.TransportError, provider: str) -> TemporaryFailure:
    """The exception for a call that got no HTTP answer, saying whether it may have been sent."""
    if isinstance(exc, _NOT_SENT):
        reason = f"the bridge could not reach {provider} ({type(exc).__name__})"
        return TemporaryFailure(reason, code="network")
    if isinstance(exc, httpx.TimeoutException):
        return TemporaryFailure(
            f"{provider} did not answer in time", code="timeout", maybe_sent=True
        )
    reason = f"the connection to {provider} broke before it answered ({type(exc).__name__})"
    return TemporaryFailure(reason, code="network", maybe_sent=True)


async def request(
    client: httpx.AsyncClient, provider: str, method: str, url: str, **kwargs: Any
) -> httpx.Response:
    """``client.request`` with transport errors turned into ``TemporaryFailure``."""
    try:
        return await client.request(method, url, **kwargs)
    except httpx.TransportError as exc:
        raise transport_failure(exc, provider) from None


def json_body(response: httpx.Response) -> dict[str, Any]:
    """The response's JSON object, or {} when it is not one (an HTML error page, say)."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def retry_after(response: httpx.Response) -> float | None:
    """The ``Retry-After`` header in seconds (delta or HTTP date), if present and readable."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
