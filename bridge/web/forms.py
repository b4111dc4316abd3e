"""What every webhook handler needs: bounded body reading, refusals, field checks.

Providers post form-encoded or JSON bodies, and some (Vonage) may be set to GET with the
fields in the query string; ``read_fields`` accepts all three and flattens JSON objects into
dotted names (``error.code``), so every handler, and the generic provider's TOML mapping,
reads fields the same way. Bodies larger than any real webhook are refused with 413 before
they are read whole.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

__all__ = [
    "MAX_BODY_BYTES",
    "loopback",
    "missing",
    "read_body",
    "read_fields",
    "read_form",
    "refusal",
    "required_fields",
    "token_matches",
]

MAX_BODY_BYTES = 64 * 1024


def refusal(status: int, sentence: str) -> Response:
    return PlainTextResponse(sentence + "\n", status_code=status)


async def read_body(request: Request) -> bytes | Response:
    if int(request.headers.get("content-length") or 0) > MAX_BODY_BYTES:
        return refusal(413, "The request is larger than any provider webhook.")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return refusal(413, "The request is larger than any provider webhook.")
    return body


async def read_form(request: Request) -> list[tuple[str, str]] | Response:
    """A form-encoded body as its (name, value) pairs, in order (signatures need them all)."""
    body = await read_body(request)
    if isinstance(body, Response):
        return body
    return parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)


async def read_fields(request: Request, body: bytes | None = None) -> dict[str, str] | Response:
    """The query string's fields, then the body's (form or JSON), as one flat dict."""
    if body is None:
        read = await read_body(request)
        if isinstance(read, Response):
            return read
        body = read
    fields = dict(parse_qsl(request.url.query, keep_blank_values=True))
    if not body:
        return fields
    if "json" in request.headers.get("content-type", ""):
        try:
            data = json.loads(body)
        except ValueError:
            return refusal(400, "The body is not valid JSON.")
        if not isinstance(data, dict):
            return refusal(400, "The JSON body is not an object.")
        fields.update(_flatten(data))
    else:
        fields.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return fields


def _flatten(data: Any, prefix: str = "") -> dict[str, str]:
    items: list[tuple[str, Any]]
    if isinstance(data, dict):
        items = [(str(k), v) for k, v in data.items()]
    elif isinstance(data, list):
        items = [(str(i), v) for i, v in enumerate(data)]
    else:
        return {
            prefix: ""
            if data is None
            else str(data).lower()
            if isinstance(data, bool)
            else str(data)
        }
    flat: dict[str, str] = {}
    for key, value in items:
        flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def missing(fields: dict[str, str], *names: str) -> Response | None:
    absent = [name for name in names if not fields.get(name)]
    if absent:
        return refusal(400, f"The webhook lacks {', '.join(absent)}.")
    return None


Check = Callable[[Request], Awaitable[dict[str, str] | Response]]


async def required_fields(check: Check, request: Request, *names: str) -> dict[str, str] | Response:
    """The fields ``check`` read and authenticated, or the refusal to answer instead: the
    check's own (403, 413, 400), or 400 naming the ``names`` that are missing or empty."""
    fields = await check(request)
    if isinstance(fields, Response):
        return fields
    return missing(fields, *names) or fields


def token_matches(given: str | None, secret: str) -> bool:
    # bytes: compare_digest refuses str with non-ASCII characters, and a forger may send them
    return (
        bool(given) and bool(secret) and hmac.compare_digest(str(given).encode(), secret.encode())
    )


def loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
