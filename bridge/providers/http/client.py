"""The generic HTTP provider: a local aggregator's API described in TOML, not in code.

``[providers.NAME]`` with ``type = "http"`` gives the URL and method, the request as a
template (``templates.py``) sent as a form, JSON or query string, the
authentication (basic, bearer, a header or a query parameter holding the secret), and how to
read the answer: where the message id is, which field says success, which error codes are
permanent. Everything else it answers is classified the way the named providers are: 401 and
403 are the bridge's credentials (temporary, an admin can fix them), 408, 429 and 5xx are the
aggregator's load (temporary, with ``Retry-After``), other 4xx are a request that will stay
wrong (permanent). An error code the settings do not call permanent is retried, within the
queue's bounded attempts.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from bridge.errors import OutcomeUnknown, PermanentFailure, TemporaryFailure
from bridge.models import OutboundSms, SendResult
from bridge.parsing.numbers import digits
from bridge.parsing.sms_text import UCS2
from bridge.providers.http.settings import HttpProviderSettings
from bridge.providers.http.templates import dig, render
from bridge.providers.http_common import json_body, request, retry_after

__all__ = ["HttpProvider"]


class HttpProvider:
    """``bridge.providers.base.Provider`` for an aggregator configured as data."""

    def __init__(
        self,
        settings: HttpProviderSettings,
        *,
        client: httpx.AsyncClient,
        name: str,
        status_url: str | None = None,
    ) -> None:
        self.name = name
        self._settings = settings
        self._client = client
        self._status_url = status_url or ""

    async def send(self, sms: OutboundSms) -> SendResult:
        values = {
            "to": sms.to,
            "to_digits": digits(sms.to),
            "sender": sms.sender,
            "sender_digits": digits(sms.sender),
            "text": sms.text,
            "job_id": sms.job_id,
            "unicode": "1" if sms.encoding == UCS2 else "0",
            "status_url": self._status_url,
        }
        response = await request(
            self._client,
            self.name,
            self._settings.method,
            self._settings.url,
            **self._request(values),
        )
        return self._verdict(response)

    async def find_sent(self, sms: OutboundSms) -> SendResult | None:
        raise OutcomeUnknown(sms.job_id)

    def _request(self, values: dict[str, str]) -> dict[str, Any]:
        settings = self._settings
        payload = render(settings.fields, values)
        headers: dict[str, str] = render(dict(settings.headers), values)
        params: dict[str, Any] = {}
        kwargs: dict[str, Any] = {"timeout": settings.timeout_seconds}
        if settings.body == "json":
            kwargs["json"] = payload
        elif settings.body == "form":
            kwargs["data"] = {key: str(value) for key, value in payload.items()}
        else:
            params.update(payload)
        auth = settings.auth
        secret = auth.secret.get_secret_value() if auth.secret else ""
        if auth.mode == "basic":
            kwargs["auth"] = httpx.BasicAuth(auth.username, secret)
        elif auth.mode == "bearer":
            headers["Authorization"] = f"Bearer {secret}"
        elif auth.mode == "header":
            headers[auth.name] = secret
        elif auth.mode == "query":
            params[auth.name] = secret
        return {**kwargs, "headers": headers, "params": params or None}

    def _verdict(self, response: httpx.Response) -> SendResult:
        mapping = self._settings.response
        if mapping.format == "text":
            return self._text_verdict(response)
        body = json_body(response)
        if response.is_success:
            status = dig(body, mapping.status_field)
            if mapping.status_field is None or str(status) in mapping.success_values:
                message_id = dig(body, mapping.message_id)
                price = dig(body, mapping.price_field)
                return SendResult(
                    provider_message_id="" if message_id is None else str(message_id),
                    price=None if price is None else str(price),
                )
        code = dig(body, mapping.error_field) if mapping.error_field else None
        code = dig(body, mapping.status_field) if code is None else code
        message = dig(body, mapping.error_message_field)
        raise self._failure(response, None if code is None else str(code), message)

    def _text_verdict(self, response: httpx.Response) -> SendResult:
        pattern = self._settings.response.pattern
        text = response.text.strip()
        found = re.search(pattern, text) if pattern else None
        if response.is_success and (found or pattern is None):
            message_id = (found.groupdict().get("id") if found else None) or ""
            return SendResult(provider_message_id=message_id)
        raise self._failure(response, text[:60] or None, None)

    def _failure(
        self, response: httpx.Response, code: str | None, message: Any
    ) -> TemporaryFailure | PermanentFailure:
        status = response.status_code
        said = f": {message}" if message else f" ({code})" if code else ""
        reason = f"{self.name} refused the text{said}"
        if code is not None and code in self._settings.response.permanent_errors:
            return PermanentFailure(reason, code=code)
        if status in (401, 403):
            return TemporaryFailure(
                f"{self.name} refused the bridge's credentials; an administrator must check them",
                code="auth",
            )
        if status in (408, 429) or status >= 500:
            return TemporaryFailure(
                f"{self.name} is unavailable (HTTP {status})",
                code=code or str(status),
                retry_after=retry_after(response),
            )
        if 400 <= status < 500:
            return PermanentFailure(reason, code=code or str(status))
        return TemporaryFailure(reason, code=code)
