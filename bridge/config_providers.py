"""Settings for SMS providers: one ``[providers.NAME]`` table each, and the rules that choose.

Each provider has a ``type`` (sandbox, twilio, vonage, smsworks, http) and the same sending
controls (rate limit, circuit breaker). ``[[provider_rules]]`` choose an ordered list of
providers for a text by its author, sending identity, destination country or inbound route;
the first rule that matches wins, and a text no rule matches may use every provider in the
order they are written. The list is the failover order. Secrets (``api_secret``, ``jwt``,
``signature_secret``, ``auth.secret``, ``webhook_secret``) come from the environment
(``SMSBRIDGE_PROVIDERS__NAME__API_SECRET``) or the sibling ``*_file``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

__all__ = [
    "HttpAuthSettings",
    "HttpInboundMap",
    "HttpProviderSettings",
    "HttpResponseMap",
    "HttpStatusMap",
    "ProviderEntry",
    "ProviderRule",
    "SandboxEntry",
    "SandboxFailRule",
    "SandboxSettings",
    "SmsWorksSettings",
    "TwilioEntry",
    "TwilioSettings",
    "VonageSettings",
    "read_secret_file",
]

PLACEHOLDERS = frozenset(
    {"to", "to_digits", "sender", "sender_digits", "text", "job_id", "unicode", "status_url"}
)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def regular_expression(value: str) -> str:
    """``value`` if it compiles; a settings error naming it otherwise."""
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"{value!r} is not a valid regular expression: {exc}") from None
    return value


def read_secret_file(path: Path | None) -> SecretStr | None:
    if path is None:
        return None
    try:
        return SecretStr(path.read_text(encoding="utf-8").strip())
    except OSError as exc:
        raise ValueError(f"cannot read the secret file {path}: {exc.strerror}") from None


def _secret(model: BaseModel, key: str) -> None:
    """Fill ``key`` from ``key_file`` when only the file is given."""
    if getattr(model, key) is None and getattr(model, f"{key}_file") is not None:
        object.__setattr__(model, key, read_secret_file(getattr(model, f"{key}_file")))


class SendingControls(_Section):
    """What every provider has: a rate limit and a circuit breaker."""

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


class VonageSettings(SendingControls):
    """Vonage's SMS API (``POST /sms/json``)."""

    type: Literal["vonage"]
    api_key: str = Field(min_length=1)
    api_secret: SecretStr | None = None
    api_secret_file: Path | None = None
    signature_secret: SecretStr | None = None
    signature_secret_file: Path | None = None
    signature_method: Literal["md5hash", "md5", "sha1", "sha256", "sha512"] = "md5hash"
    sign_requests: bool = Field(
        default=False, description="Sign sends with the signature secret instead of api_secret."
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="Without signed webhooks: ?token=SECRET in the webhook URLs."
    )
    webhook_secret_file: Path | None = None
    base_url: str = "https://rest.nexmo.com"

    @model_validator(mode="after")
    def _complete(self) -> VonageSettings:
        _secret(self, "api_secret")
        _secret(self, "signature_secret")
        _secret(self, "webhook_secret")
        if self.api_secret is None and not (self.sign_requests and self.signature_secret):
            raise ValueError(
                "Vonage needs api_secret (or sign_requests with signature_secret): set it in the"
                " environment, SMSBRIDGE_PROVIDERS__<NAME>__API_SECRET, or api_secret_file"
            )
        if self.sign_requests and self.signature_secret is None:
            raise ValueError("sign_requests needs signature_secret (environment or file)")
        return self


class SmsWorksSettings(SendingControls):
    """The SMS Works (``POST /v1/message/send``, JWT in ``Authorization``)."""

    type: Literal["smsworks"]
    jwt: SecretStr | None = None
    jwt_file: Path | None = None
    base_url: str = "https://api.thesmsworks.co.uk"
    watch_seconds: float = Field(
        default=0.0, ge=0, description="Read the inbox for replies this often; 0 is off."
    )

    @model_validator(mode="after")
    def _complete(self) -> SmsWorksSettings:
        _secret(self, "jwt")
        if self.jwt is None:
            raise ValueError(
                "The SMS Works needs its JWT: set SMSBRIDGE_PROVIDERS__<NAME>__JWT or jwt_file"
            )
        return self


class HttpAuthSettings(_Section):
    mode: Literal["none", "basic", "bearer", "header", "query"] = "none"
    username: str = Field(default="", description="For basic.")
    name: str = Field(default="", description="The header (header) or parameter (query) name.")
    secret: SecretStr | None = None
    secret_file: Path | None = None

    @model_validator(mode="after")
    def _complete(self) -> HttpAuthSettings:
        _secret(self, "secret")
        if self.mode != "none" and self.secret is None:
            raise ValueError(f"auth mode {self.mode!r} needs auth.secret (environment or file)")
        if self.mode in ("header", "query") and not self.name:
            raise ValueError(f"auth mode {self.mode!r} needs auth.name")
        return self


class HttpResponseMap(_Section):
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
        return None if value is None else regular_expression(value)


class HttpInboundMap(_Section):
    """Field names (dotted paths for JSON) of the aggregator's inbound-text webhook."""

    id: str = "id"
    from_: str = Field(default="from", alias="from")
    to: str = "to"
    text: str = "text"


class HttpStatusMap(_Section):
    """Field names and values of the aggregator's delivery-report webhook."""

    id: str = "id"
    status: str = "status"
    error: str | None = None
    price: str | None = None
    delivered: tuple[str, ...] = ("delivered",)
    failed: tuple[str, ...] = ("failed", "undelivered", "rejected", "expired")
    sent: tuple[str, ...] = ("sent", "accepted", "queued", "buffered")


class HttpProviderSettings(SendingControls):
    """A local aggregator's plain HTTP API, described entirely as data."""

    type: Literal["http"]
    url: str = Field(pattern=r"^https?://")
    method: Literal["POST", "GET", "PUT"] = "POST"
    body: Literal["form", "json", "query"] = "form"
    fields: dict[str, Any] = Field(min_length=1, description="The request, with {placeholders}.")
    headers: dict[str, str] = {}
    auth: HttpAuthSettings = HttpAuthSettings()
    response: HttpResponseMap = HttpResponseMap()
    inbound: HttpInboundMap | None = None
    status: HttpStatusMap | None = None
    webhook_secret: SecretStr | None = None
    webhook_secret_file: Path | None = None
    webhook_auth: Literal["token", "hmac-sha256"] = Field(
        default="token",
        description="token: ?token=SECRET in the URL or X-Webhook-Token; hmac-sha256: the"
        " body's HMAC in X-Signature.",
    )

    @model_validator(mode="after")
    def _complete(self) -> HttpProviderSettings:
        _secret(self, "webhook_secret")
        unknown = sorted(_placeholders(self.fields) - PLACEHOLDERS)
        if unknown:
            raise ValueError(
                f"fields use unknown placeholder(s) {', '.join(unknown)}; known:"
                f" {', '.join(sorted(PLACEHOLDERS))}"
            )
        if (self.inbound or self.status) and self.webhook_secret is None:
            raise ValueError(
                "inbound and status webhooks need webhook_secret (environment or file), so that"
                " nobody else can post texts or reports to the bridge"
            )
        return self


class SandboxFailRule(_Section):
    pattern: str = Field(description="A number pattern; * matches any digits, e.g. +447700900999.")
    kind: Literal["temporary", "permanent"] = "permanent"
    reason: str = "the sandbox was told to refuse this number"
    times: int | None = Field(
        default=None, ge=1, description="Temporary only: fail this many attempts, then succeed."
    )


class SandboxSettings(_Section):
    fail: tuple[SandboxFailRule, ...] = ()
    journal: Path | None = Field(
        default=None,
        description="Where sends are recorded; defaults to <data_dir>/sandbox/sent.jsonl.",
    )
    latency_seconds: float = Field(
        default=0.0,
        ge=0,
        le=60,
        description="Answer this long after recording, like a real provider.",
    )


class TwilioSettings(_Section):
    account_sid: str = ""
    auth_token: SecretStr | None = None
    auth_token_file: Path | None = None
    base_url: str = "https://api.twilio.com"
    messaging_service_sid: str | None = None
    timeout_seconds: float = Field(default=15.0, gt=0)
    watch_seconds: float = Field(
        default=0.0,
        ge=0,
        description="Poll each reply number for texts this often; 0 (off) when webhooks reach"
        " the bridge. For a bridge without a public URL.",
    )

    @model_validator(mode="after")
    def _token_from_file(self) -> TwilioSettings:
        if self.auth_token is None and self.auth_token_file is not None:
            object.__setattr__(self, "auth_token", read_secret_file(self.auth_token_file))
        return self


def _placeholders(value: Any) -> set[str]:
    if isinstance(value, str):
        return set(_PLACEHOLDER.findall(value))
    if isinstance(value, dict):
        return set().union(*(_placeholders(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_placeholders(v) for v in value))
    return set()


class SandboxEntry(SandboxSettings, SendingControls):
    type: Literal["sandbox"]


class TwilioEntry(TwilioSettings, SendingControls):
    type: Literal["twilio"]

    @model_validator(mode="after")
    def _complete(self) -> TwilioEntry:
        if not self.account_sid:
            raise ValueError("Twilio needs account_sid")
        if self.auth_token is None:
            raise ValueError(
                "Twilio needs its auth token: set SMSBRIDGE_PROVIDERS__<NAME>__AUTH_TOKEN or"
                " auth_token_file"
            )
        return self


ProviderEntry = Annotated[
    VonageSettings | SmsWorksSettings | HttpProviderSettings | SandboxEntry | TwilioEntry,
    Field(discriminator="type"),
]


class ProviderRule(_Section):
    """Which providers, in failover order, carry the texts this rule matches.

    Every criterion given must match (an empty one matches anything).
    """

    providers: tuple[str, ...] = Field(min_length=1)
    authors: tuple[str, ...] = Field(default=(), description="Author addresses or domains.")
    senders: tuple[str, ...] = Field(default=(), description="Sending numbers or sender IDs.")
    countries: tuple[str, ...] = Field(default=(), description="Destination regions: GB, US.")
    routes: tuple[str, ...] = Field(default=(), description="Inbound routes' auto-replies.")

    @field_validator("countries")
    @classmethod
    def _regions(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        known = phonenumbers.SUPPORTED_REGIONS
        bad = [v for v in values if v.upper() not in known]
        if bad:
            raise ValueError(f"{', '.join(bad)}: not a two-letter region code such as GB or US")
        return tuple(v.upper() for v in values)

    @field_validator("authors")
    @classmethod
    def _lower(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(v.strip().lower() for v in values)


def check_provider_names(names: list[str]) -> None:
    bad = [name for name in names if not _NAME.match(name)]
    if bad:
        raise ValueError(
            f"providers: {', '.join(bad)}: a provider's name is lower-case letters, digits, - or"
            " _ (it appears in its webhook URLs)"
        )
