"""``type = "http"``: a local aggregator's plain HTTP API, described entirely as data."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from bridge.providers.base import ProviderSettings
from bridge.settings.section import LocalPath, Section, SettingError, check_regex

__all__ = [
    "PLACEHOLDERS",
    "HttpAuthSettings",
    "HttpInboundMap",
    "HttpProviderSettings",
    "HttpResponseMap",
    "HttpStatusMap",
]

PLACEHOLDERS = frozenset(
    {"to", "to_digits", "sender", "sender_digits", "text", "job_id", "unicode", "status_url"}
)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class HttpAuthSettings(Section):
    mode: Literal["none", "basic", "bearer", "header", "query"] = "none"
    username: str = Field(default="", description="For basic.")
    name: str = Field(default="", description="The header (header) or parameter (query) name.")
    secret: SecretStr | None = None
    secret_file: LocalPath | None = None

    @model_validator(mode="after")
    def _complete(self) -> HttpAuthSettings:
        if self.mode != "none" and self.secret is None and self.needs_secret("secret"):
            raise SettingError(
                "secret_file",
                f"auth mode {self.mode!r} needs auth.secret: set"
                " SMSBRIDGE_PROVIDERS__<NAME>__AUTH__SECRET or auth.secret_file",
            )
        if self.mode in ("header", "query") and not self.name:
            raise SettingError("name", f"auth mode {self.mode!r} needs auth.name")
        return self


class HttpResponseMap(Section):
    """How to read the aggregator's answer to a send. Paths are dotted: ``data.0.id``."""

    format: Literal["json", "text"] = "json"
    message_id: str = Field(default="id", description="Path to the message id (json).")
    pattern: str | None = Field(
        default=None, description="text: a regex whose match means success; (?P<id>...) the id."
    )
    status_field: str | None = Field(default=None, description="Path to a success/error field.")
    success_values: tuple[str, ...] = ()
    error_field: str | None = None
    error_message_field: str | None = None
    price_field: str | None = None
    permanent_errors: tuple[str, ...] = ()

    @field_validator("pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        return None if value is None else check_regex(value)


class HttpInboundMap(Section):
    """Field names (dotted paths for JSON) of the aggregator's inbound-text webhook."""

    id: str = "id"
    from_: str = Field(default="from", alias="from")
    to: str = "to"
    text: str = "text"


class HttpStatusMap(Section):
    """Field names and values of the aggregator's delivery-report webhook."""

    id: str = "id"
    status: str = "status"
    error: str | None = None
    price: str | None = None
    delivered: tuple[str, ...] = ("delivered",)
    failed: tuple[str, ...] = ("failed", "undelivered", "rejected", "expired")
    sent: tuple[str, ...] = ("sent", "accepted", "queued", "buffered")


class HttpProviderSettings(ProviderSettings):
    """A local aggregator's plain HTTP API, described entirely as data."""

    type: Literal["http"] = "http"
    url: str = Field(pattern=r"^https?://")
    method: Literal["POST", "GET", "PUT"] = "POST"
    body: Literal["form", "json", "query"] = "form"
    fields: dict[str, Any] = Field(min_length=1, description="The request, with {placeholders}.")
    headers: dict[str, str] = Field(default_factory=dict)
    auth: HttpAuthSettings = HttpAuthSettings()
    response: HttpResponseMap = HttpResponseMap()
    inbound: HttpInboundMap | None = None
    status: HttpStatusMap | None = None
    webhook_secret: SecretStr | None = None
    webhook_secret_file: LocalPath | None = None
    webhook_auth: Literal["token", "hmac-sha256"] = Field(
        default="token",
        description="token: ?token=SECRET in the URL or X-Webhook-Token; hmac-sha256: the"
        " body's HMAC in X-Signature.",
    )

    @model_validator(mode="after")
    def _complete(self) -> HttpProviderSettings:
        unknown = sorted(_placeholders(self.fields) - PLACEHOLDERS)
        if unknown:
            raise SettingError(
                "fields",
                f"fields use unknown placeholder(s) {', '.join(unknown)}; known:"
                f" {', '.join(sorted(PLACEHOLDERS))}",
            )
        needed = self.needs_secret("webhook_secret")
        if (self.inbound or self.status) and self.webhook_secret is None and needed:
            raise SettingError(
                "webhook_secret_file",
                "inbound and status webhooks need webhook_secret"
                " (SMSBRIDGE_PROVIDERS__<NAME>__WEBHOOK_SECRET or webhook_secret_file), so that"
                " nobody else can post texts or reports to the bridge",
            )
        return self


def _placeholders(value: Any) -> set[str]:
    if isinstance(value, str):
        return set(_PLACEHOLDER.findall(value))
    if isinstance(value, dict):
        return set().union(*(_placeholders(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_placeholders(v) for v in value))
    return set()
