"""``POST /api/v1/texts``: a text from a system that cannot send email (docs/api.md).

A system (an IoT platform, n8n, Node-RED) holds a token made by ``smsbridge api-tokens add``
and sends ``{"to": ..., "text": ...}`` with ``Authorization: Bearer <token>``. The text passes
the same outbound chain as an email (``Gate.decide``, source ``api``) and is stored as a job
before the answer: 201 with its id, 202 when the chain deferred it (scheduled, quiet hours),
451 with the chain's sentence when it was refused. An ``Idempotency-Key`` makes a retry
harmless: for 24 hours the same key gets the first answer back, and the job's own
idempotency key (unique in the store) keeps two requests at the same moment to one text.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bridge.chain.gate import Gate
from bridge.chain.gate import job as sms_job
from bridge.chain.request import OutboundRequest, Source
from bridge.chain.verdicts import Decision
from bridge.clock import Clock
from bridge.errors import InvalidNumber
from bridge.models import ApiAnswer, ApiToken, Queued
from bridge.parsing.numbers import mask, parse_number
from bridge.store.base import Store

__all__ = ["PATH", "WINDOW", "BadRequest", "SendApi", "TextRequest", "new_token", "token_digest"]

log = logging.getLogger(__name__)

PATH = "/api/v1/texts"
WINDOW = timedelta(hours=24)  # how long an Idempotency-Key's answer is kept
MAX_BODY = 16_384  # bytes: far more than the longest text the segment limit allows
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces
_FIELDS = frozenset({"to", "text", "sender", "category", "send_at"})
_CATEGORIES = ("transactional", "marketing")


class BadRequest(ValueError):
    """What is wrong with a request, in a sentence for the system's developer."""


def new_token() -> str:
    """A new token: 256 random bits, URL-safe, with a prefix that says what it is."""
    return "sb_" + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the store keeps of a token. SHA-256 is enough for 256 random bits: there is no
    password to guess, so salting and stretching would add nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class TextRequest:
    """The JSON body, checked: ``to`` as written (parsed with the bridge's default region)."""

    to: str
    text: str
    sender: str | None = None
    category: str = ""
    send_at: datetime | None = None

    @classmethod
    def read(cls, raw: bytes) -> TextRequest:
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise BadRequest("The body is not JSON.") from None
        if not isinstance(body, dict):
            raise BadRequest("The body must be a JSON object with to and text.")
        unknown = sorted(set(body) - _FIELDS)
        if unknown:
            raise BadRequest(f"Unknown field {unknown[0]!r}; the fields are {sorted(_FIELDS)}.")
        return cls(
            to=_string(body, "to", required=True),
            text=_string(body, "text", required=True),
            sender=_string(body, "sender") or None,
            category=_category(body),
            send_at=_send_at(body),
        )


def _string(body: dict[str, Any], field: str, *, required: bool = False) -> str:
    value = body.get(field)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise BadRequest(f"{field} must be a non-empty string.")
    return value


def _category(body: dict[str, Any]) -> str:
    category = _string(body, "category")
    if category and category not in _CATEGORIES:
        raise BadRequest("category must be transactional or marketing.")
    return category


def _send_at(body: dict[str, Any]) -> datetime | None:
    written = _string(body, "send_at")
    if not written:
        return None
    try:
        when = datetime.fromisoformat(written)
    except ValueError:
        raise BadRequest("send_at must be an ISO 8601 time, e.g. 2026-12-08T09:00:00Z.") from None
    if when.tzinfo is None:
        raise BadRequest("send_at needs a time zone offset, e.g. 2026-12-08T09:00:00+01:00.")
    return when


def _error(status: int, sentence: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": sentence}, status_code=status, headers=headers or None)


def _unauthorized(sentence: str) -> JSONResponse:
    return _error(401, sentence, **{"WWW-Authenticate": 'Bearer realm="smsbridge"'})


class SendApi:
    """The endpoint's handler; everything it uses is given to it (``app.py``)."""

    def __init__(
        self,
        *,
        store: Store,
        gate: Gate,
        clock: Clock,
        default_region: str,
        queued: Callable[[], None],
        hostname: str = "",
    ) -> None:
        self._store = store
        self._gate = gate
        self._clock = clock
        self._region = default_region
        self._queued = queued
        self._hostname = hostname or socket.gethostname()

    def routes(self) -> list[BaseRoute]:
        return [Route(PATH, self.post, methods=["POST"])]

    async def post(self, request: Request) -> Response:
        try:
            return await self._post(request)
        except BadRequest as exc:
            return _error(400, str(exc))
        except Exception as exc:  # the store: nothing was stored, the system may retry
            log.error("POST %s failed: %s", PATH, type(exc).__name__)
            return _error(
                503,
                "The bridge could not store this just now; send it again later.",
                **{"Retry-After": "30"},
            )

    async def _post(self, request: Request) -> Response:
        token = await self._authenticate(request)
        if isinstance(token, Response):
            return token
        raw = await request.body()
        if len(raw) > MAX_BODY:
            return _error(413, f"The body is larger than {MAX_BODY} bytes.")
        key = request.headers.get("idempotency-key")
        if key is not None and not _KEY.match(key):
            raise BadRequest("Idempotency-Key must be 1 to 255 printable ASCII characters.")
        fingerprint = hashlib.sha256(raw).hexdigest()
        now = self._clock()
        if key is not None:
            earlier = await self._store.api_answer(token.name, key, since=now - WINDOW)
            if earlier is not None:
                return _replayed(earlier, fingerprint)
        text = TextRequest.read(raw)
        try:
            number = parse_number(text.to, default_region=self._region)
        except InvalidNumber as exc:
            raise BadRequest(f"to: {exc.reason}") from None
        decision = await self._gate.decide(_outbound(token, number, text), at=now)
        return await self._store_answer(token, key, fingerprint, decision, now=now)

    async def _authenticate(self, request: Request) -> ApiToken | Response:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            return _unauthorized("Send the system's token as Authorization: Bearer <token>.")
        token = await self._store.api_token(token_digest(given.strip()))
        if token is None:
            return _unauthorized("This token is not known to the bridge.")
        if token.revoked_at is not None:
            return _error(
                403, f"The token {token.name!r} was revoked on {token.revoked_at:%Y-%m-%d}."
            )
        return token

    async def _store_answer(
        self,
        token: ApiToken,
        key: str | None,
        fingerprint: str,
        decision: Decision,
        *,
        now: datetime,
    ) -> Response:
        key = key if key is not None else "none-" + secrets.token_hex(16)
        job = None
        if decision.accepted:
            message_id = f"<api-{secrets.token_hex(12)}@{self._hostname}>"
            job = sms_job(
                decision,
                idempotency_key=f"api|{token.name}|{key}",
                message_id=message_id,
                merge_window=WINDOW.total_seconds(),
            )

        def answer(queued: Queued | None) -> ApiAnswer:
            return _answer(decision, queued, fingerprint)

        stored = await self._store.api_send(
            token.name, key, job, answer, now=now, since=now - WINDOW
        )
        if job is not None and not stored.replayed:
            self._queued()
            log.info(
                "text %s from API token %s to %s", _id(stored), token.name, mask(job.to_number)
            )
        return _response(stored)


def _outbound(token: ApiToken, number: str, text: TextRequest) -> OutboundRequest:
    return OutboundRequest(
        source=Source.API,
        author=token.author,
        to_number=number,
        text=text.text,
        sender=text.sender,
        category=text.category,
        send_at=text.send_at,
        send_zone="UTC",
    )


def _answer(decision: Decision, queued: Queued | None, fingerprint: str) -> ApiAnswer:
    """The answer to remember: the job, or the chain's refusal."""
    if decision.refusal is not None or queued is None:
        reason = decision.refusal.reason if decision.refusal else "Refused."
        rule = next((hit.rule for hit in decision.hits if hit.action == "refuse"), "")
        refused = {"error": reason, "rule": rule}
        return ApiAnswer(status=451, body=json.dumps(refused), fingerprint=fingerprint)
    request = decision.request
    deferred = decision.not_before is not None
    body: dict[str, str | int | None] = {
        "id": queued.id,
        "status": "deferred" if deferred else "queued",
        "send_at": decision.not_before.isoformat() if decision.not_before else None,
        "deferred": decision.deferred or None,
        "sender": request.sender,
        "category": request.category or "transactional",
        "segments": request.segments,
        "encoding": request.encoding,
    }
    return ApiAnswer(
        status=202 if deferred else 201, body=json.dumps(body), fingerprint=fingerprint
    )


def _replayed(earlier: ApiAnswer, fingerprint: str) -> Response:
    if earlier.fingerprint != fingerprint:
        return _error(
            422,
            "This Idempotency-Key was used in the last 24 hours for another request;"
            " use a new key for a new text.",
        )
    return _response(earlier)


def _response(answer: ApiAnswer) -> Response:
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else None
    return Response(
        answer.body, status_code=answer.status, media_type="application/json", headers=headers
    )


def _id(answer: ApiAnswer) -> str:
    return str(json.loads(answer.body).get("id", "-"))
