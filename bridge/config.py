"""Settings: one validated object, loaded once from TOML, with environment overrides.

Every section is a frozen pydantic model that forbids unknown keys, so a typo is an error that
names its key path rather than a setting silently ignored. Components receive only their own
section. Secrets never live in the TOML file: a secret is set in the environment
(``SMSBRIDGE_<SECTION>__<KEY>``, ``__`` between levels) or read from the file named by the
sibling ``<key>_file`` setting.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bridge.config_lines import line_of
from bridge.config_providers import (
    ProviderEntry,
    ProviderRule,
    SandboxEntry,
    SandboxFailRule,
    SandboxSettings,
    TwilioEntry,
    TwilioSettings,
    check_provider_names,
    read_secret_file,
    regular_expression,
)
from bridge.errors import ConfigError
from bridge.routing.calendar import dates_from_ics, expand

__all__ = [
    "CalendarSettings",
    "InboundSettings",
    "MailSettings",
    "MailboxSettings",
    "ProviderSettings",
    "QueueSettings",
    "ReplyNumber",
    "RouteSettings",
    "SandboxFailRule",
    "SenderRule",
    "Settings",
    "SmtpSettings",
    "TextSettings",
    "load_settings",
]

ENV_PREFIX = "SMSBRIDGE_"
SECRET_KEYS = frozenset(
    {
        "auth_token",
        "password",
        "api_secret",
        "api_key_secret",
        "webhook_secret",
        "jwt",
        "signature_secret",
        "secret",
    }
)
_SENDER_ID = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 .&'_-]{1,11}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class Section(BaseModel):
    """Base of every settings section: immutable, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)


_read_secret_file = read_secret_file


def validate_addresses(values: tuple[str, ...]) -> tuple[str, ...]:
    """Email addresses as email-validator reads them (no DNS lookups), normalised."""
    checked = []
    for value in values:
        try:
            checked.append(validate_email(value, check_deliverability=False).normalized)
        except EmailNotValidError as exc:
            raise ValueError(f"{value!r} is not an email address: {exc}") from None
    return tuple(checked)


def validate_sender(value: str) -> str:
    """A from-number in E.164 or an alphanumeric sender ID (1-11 of A-Z a-z 0-9 space . & ' _ -)."""
    value = value.strip()
    if value.startswith("+"):
        if not _E164.match(value):
            raise ValueError(f"{value!r} is not a phone number in E.164 form, e.g. +447700900100")
        return value
    if not _SENDER_ID.match(value):
        raise ValueError(
            f"{value!r} is not a valid sender ID: use 1 to 11 letters, digits, spaces or . & ' _ -,"
            " with at least one letter, or a number such as +447700900100"
        )
    return value


class BridgeSettings(Section):
    data_dir: Path = Path("./var")
    public_url: str | None = Field(
        default=None, description="Public https URL of the HTTP server, for provider callbacks."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    watch_config: bool = Field(
        default=False, description="Reload the routing table when the settings file changes."
    )


class StoreSettings(Section):
    """SQLite (embedded, one bridge) or PostgreSQL (several bridges sharing the work)."""

    backend: Literal["sqlite", "postgres"] = "sqlite"
    path: Path | None = Field(default=None, description="Defaults to <data_dir>/smsbridge.db.")
    dsn: str | None = Field(
        default=None, description="postgres: postgresql://user@host:5432/db (no password here)."
    )
    password: SecretStr | None = None
    password_file: Path | None = None
    pool_size: int = Field(default=10, ge=1, le=200)
    retention_days: int = Field(
        default=90,
        ge=0,
        description="Finished jobs, routed texts and conversations older than this are"
        " deleted (hourly, by one bridge of a cluster); 0 keeps everything.",
    )

    @model_validator(mode="after")
    def _postgres(self) -> StoreSettings:
        if self.password is None and self.password_file is not None:
            object.__setattr__(self, "password", _read_secret_file(self.password_file))
        if self.backend != "postgres":
            return self
        if not self.dsn:
            raise ValueError("backend postgres needs store.dsn, e.g. postgresql://smsbridge@db/sms")
        parts = urlsplit(self.dsn)
        if parts.scheme not in ("postgresql", "postgres"):
            raise ValueError("store.dsn must start with postgresql://")
        if parts.password:
            raise ValueError(
                "store.dsn must not hold the password: set SMSBRIDGE_STORE__PASSWORD,"
                " store.password_file, or PGPASSWORD"
            )
        return self


class SmtpAuthSettings(Section):
    enabled: bool = False
    required: bool = False
    users_file: Path | None = Field(
        default=None, description="Lines of 'address:scrypt-hash' made by smsbridge hash-password."
    )

    @model_validator(mode="after")
    def _users_file_needed(self) -> SmtpAuthSettings:
        if (self.enabled or self.required) and self.users_file is None:
            raise ValueError("SMTP AUTH needs users_file (lines made by smsbridge hash-password)")
        if self.required and not self.enabled:
            raise ValueError("required = true needs enabled = true")
        return self


class SmtpSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=2525, ge=0, le=65535)
    hostname: str = "localhost"
    domains: tuple[str, ...] = Field(min_length=1)
    default_region: str = "GB"
    max_recipients: int = Field(default=50, ge=1, le=1000)
    max_message_size: int = Field(default=10 * 1024 * 1024, ge=1024)
    allowed_senders: tuple[str, ...] = ()
    trusted_networks: tuple[str, ...] = ("127.0.0.0/8", "::1/128")
    tls_cert: Path | None = None
    tls_key: Path | None = None
    auth: SmtpAuthSettings = SmtpAuthSettings()

    @field_validator("domains", "allowed_senders")
    @classmethod
    def _lower(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(v.strip().lower() for v in values)

    @field_validator("default_region")
    @classmethod
    def _region(cls, value: str) -> str:
        import phonenumbers

        if value.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"{value!r} is not a two-letter region code such as GB or US")
        return value.upper()

    @field_validator("trusted_networks")
    @classmethod
    def _networks(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            ipaddress.ip_network(value, strict=False)
        return values

    @model_validator(mode="after")
    def _tls_pair(self) -> SmtpSettings:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("tls_cert and tls_key go together")
        if self.auth.enabled and self.tls_cert is None:
            raise ValueError("SMTP AUTH is only offered after STARTTLS: set tls_cert and tls_key")
        return self


class HttpSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8025, ge=0, le=65535)


class TextSettings(Section):
    subject: Literal["ignore", "prepend"] = "ignore"
    end_marker: str | None = None
    disclaimer_patterns: tuple[str, ...] = ()
    transliterate: bool = True
    max_segments: int = Field(default=6, ge=1, le=30)
    too_long: Literal["refuse", "truncate"] = "refuse"

    @field_validator("disclaimer_patterns")
    @classmethod
    def _compiles(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(regular_expression(value) for value in values)


class SenderRule(Section):
    match: str = Field(description="An author address (alice@example.com) or domain (example.com).")
    sender: str
    max_segments: int | None = Field(default=None, ge=1, le=30)

    _check_sender = field_validator("sender")(classmethod(lambda cls, v: validate_sender(v)))

    @field_validator("match")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()


class SendersSettings(Section):
    default: str = "SMSBridge"
    rules: tuple[SenderRule, ...] = ()

    _check_default = field_validator("default")(classmethod(lambda cls, v: validate_sender(v)))


class ProviderSettings(Section):
    name: Literal["sandbox", "twilio"] = "sandbox"
    rate_per_second: float | None = Field(
        default=None, gt=0, description="Texts a second, all numbers."
    )
    burst: int = Field(default=1, ge=1)
    sandbox: SandboxSettings = SandboxSettings()
    twilio: TwilioSettings = TwilioSettings()

    @model_validator(mode="after")
    def _twilio_complete(self) -> ProviderSettings:
        if self.name == "twilio":
            if not self.twilio.account_sid:
                raise ValueError("provider twilio needs provider.twilio.account_sid")
            if self.twilio.auth_token is None:
                raise ValueError(
                    "provider twilio needs its auth token: set"
                    " SMSBRIDGE_PROVIDER__TWILIO__AUTH_TOKEN or provider.twilio.auth_token_file"
                )
        return self


class ReplyNumber(Section):
    """A number the bridge owns: customers' texts to it come back as email."""

    number: str
    inbox: tuple[str, ...] = Field(
        default=(), description="Who gets texts that no conversation or route claims."
    )
    timezone: str = "UTC"
    auto_reply: str | None = Field(
        default=None, description="Texted back (at most once per interval) when no route says."
    )
    rate_per_second: float | None = Field(default=None, gt=0, description="Texts a second from it.")
    burst: int = Field(default=1, ge=1)
    _inbox = field_validator("inbox")(classmethod(lambda cls, v: validate_addresses(v)))

    @field_validator("number")
    @classmethod
    def _e164(cls, value: str) -> str:
        if not _E164.match(value):
            raise ValueError(f"{value!r} is not a phone number in E.164 form, e.g. +447700900100")
        return value

    _zone = field_validator("timezone")(classmethod(lambda cls, v: _valid_zone(v)))


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_SENDER_MATCH = re.compile(r"^\+[1-9]\d{0,14}$|^[A-Z]{2}$")


class CalendarSettings(Section):
    """Named dated periods (closures, holidays) that routes can follow or avoid."""

    name: str = Field(min_length=1)
    dates: tuple[str, ...] = ()
    ics: Path | None = Field(default=None, description="An iCalendar file of all-day events.")

    @model_validator(mode="after")
    def _readable(self) -> CalendarSettings:
        self.days()  # raises with the reason if a date or the file is wrong
        return self

    def days(self) -> frozenset[date]:
        found = expand(self.dates)
        if self.ics is not None:
            try:
                text = self.ics.read_text(encoding="utf-8")
            except OSError as exc:
                raise ValueError(
                    f"calendar {self.name!r}: cannot read {self.ics}: {exc.strerror}"
                ) from None
            found |= dates_from_ics(text)[0]
        return found


class RouteSettings(Section):
    """One row of the routing table: conditions (all must hold) and what to do."""

    name: str = Field(min_length=1)
    default: bool = False
    numbers: tuple[str, ...] = ()
    senders: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    days: tuple[str, ...] = ()
    start: str | None = None
    end: str | None = None
    timezone: str = "UTC"
    emails: tuple[str, ...] = ()
    owner: bool = False
    auto_reply: str | None = None
    forward_to: tuple[str, ...] = ()
    webhook: str | None = Field(default=None, description="Each text is POSTed here as JSON.")
    _emails = field_validator("emails")(classmethod(lambda cls, v: validate_addresses(v)))
    during: tuple[str, ...] = Field(default=(), description="Calendars: only on their dates.")
    except_during: tuple[str, ...] = Field(default=(), description="Calendars: not on their dates.")

    @field_validator("webhook")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"{value!r} is not an http(s) URL, e.g. https://hooks.example.com/sms")
        return value

    @field_validator("numbers", "forward_to")
    @classmethod
    def _numbers(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            if not _E164.match(value):
                raise ValueError(
                    f"{value!r} is not a phone number in E.164 form, e.g. +447700900100"
                )
        return values

    @field_validator("senders")
    @classmethod
    def _senders(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            if not _SENDER_MATCH.match(value):
                raise ValueError(
                    f"{value!r} is neither a number or number prefix (+447700900) nor a country"
                    " code (GB, US)"
                )
        return values

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            if not value.strip() or len(value.split()) != 1:
                raise ValueError(f"{value!r} is not one word: a keyword is the text's first word")
        return tuple(v.strip().casefold() for v in values)

    @field_validator("days")
    @classmethod
    def _days(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        days = tuple(v.strip().lower()[:3] for v in values)
        for value, day in zip(values, days, strict=True):
            if day not in _WEEKDAYS:
                raise ValueError(
                    f"{value!r} is not a weekday: write mon, tue, wed, thu, fri, sat, sun"
                )
        return days

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str | None) -> str | None:
        if value is not None and not _CLOCK.match(value):
            raise ValueError(f"{value!r} is not a time of day: write HH:MM, e.g. 09:00 or 17:30")
        return value

    _zone = field_validator("timezone")(classmethod(lambda cls, v: _valid_zone(v)))

    @model_validator(mode="after")
    def _complete(self) -> RouteSettings:
        if (self.start is None) != (self.end is None):
            raise ValueError(f"route {self.name!r}: give both start and end, or neither")
        if self.start is not None and self.start == self.end:
            raise ValueError(f"route {self.name!r}: start and end are the same time")
        if not (self.emails or self.owner or self.auto_reply or self.forward_to or self.webhook):
            raise ValueError(
                f"route {self.name!r} has no destination: give emails, owner = true, auto_reply,"
                " forward_to or webhook"
            )
        conditions = (
            self.numbers
            or self.senders
            or self.keywords
            or self.days
            or self.start
            or self.during
            or self.except_during
        )
        if self.default and conditions:
            raise ValueError(
                f"route {self.name!r} is the default, which matches every text:"
                " remove its conditions"
            )
        return self


def _valid_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone, e.g. Europe/London") from None
    return value


_STOP = ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE")


class InboundSettings(Section):
    """Opt-outs, help and conversations: what happens to a customer's text before routing."""

    stop_words: tuple[str, ...] = _STOP
    start_words: tuple[str, ...] = ("START", "UNSTOP", "YES")
    help_words: tuple[str, ...] = ("HELP", "INFO")
    stop_reply: str = (
        "You will not receive any more texts from this number. Reply START to receive them again."
    )
    start_reply: str = "You will receive texts from this number again. Reply STOP to stop them."
    help_reply: str = "This number is used by our team to text you. Reply STOP to stop texts."
    auto_reply_interval_minutes: float = Field(
        default=60.0, ge=0, description="At most one automatic reply per customer in this time."
    )
    conversation_days: float = Field(
        default=30.0, gt=0, description="How long a reply goes to the staff member who texted."
    )
    copy_conversations_to_route: bool = False
    poll_seconds: float = Field(default=1.0, gt=0)
    webhook_secret: SecretStr | None = None
    webhook_secret_file: Path | None = None

    @model_validator(mode="after")
    def _secret_from_file(self) -> InboundSettings:
        if self.webhook_secret is None and self.webhook_secret_file is not None:
            object.__setattr__(self, "webhook_secret", _read_secret_file(self.webhook_secret_file))
        return self

    @field_validator("stop_words", "start_words", "help_words")
    @classmethod
    def _upper(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(v.strip().upper() for v in values if v.strip())


class AdminSettings(Section):
    """The admin page on the HTTP server: off unless enabled, and then only for these networks."""

    enabled: bool = False
    password: SecretStr | None = None
    password_file: Path | None = None
    allowed_networks: tuple[str, ...] = ("127.0.0.0/8", "::1/128")
    session_minutes: float = Field(default=480.0, gt=0)

    _networks = field_validator("allowed_networks")(classmethod(lambda cls, v: _valid_networks(v)))

    @model_validator(mode="after")
    def _password(self) -> AdminSettings:
        if self.password is None and self.password_file is not None:
            object.__setattr__(self, "password", _read_secret_file(self.password_file))
        if self.enabled and self.password is None:
            raise ValueError(
                "admin.enabled needs a password: set SMSBRIDGE_ADMIN__PASSWORD or admin.password_file"
            )
        return self


def _valid_networks(values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValueError(
                f"{value!r} is not a network, e.g. 127.0.0.0/8 or 10.0.0.0/8"
            ) from None
    return values


class MailboxSettings(Section):
    """An IMAP mailbox whose mail becomes texts: sms@company.example on hosted mail."""

    host: str
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["imaps", "starttls", "none"] = "imaps"
    username: str
    auth: Literal["password", "plain", "xoauth2"] = (
        "password"  # LOGIN, AUTHENTICATE PLAIN or XOAUTH2
    )
    password: SecretStr | None = None
    password_file: Path | None = None
    token_file: Path | None = Field(
        default=None, description="xoauth2: an access token, read at each login."
    )
    token_command: tuple[str, ...] = Field(
        default=(), description="xoauth2: a command printing a fresh access token, e.g. a CLI."
    )
    address: str = Field(description="The mailbox's address: sms+NUMBER@ is read from it.")
    folder: str = "INBOX"
    sent_folder: str = "SMS/Sent"
    failed_folder: str = "SMS/Failed"
    recipients_header: str | None = Field(default=None, description="e.g. X-SMS-To")
    ca_file: Path | None = Field(default=None, description="Trust this CA instead of the system's.")
    idle: bool = True
    poll_seconds: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _password_from_file(self) -> MailboxSettings:
        if self.password is None and self.password_file is not None:
            object.__setattr__(self, "password", _read_secret_file(self.password_file))
        if self.auth in ("password", "plain") and self.password is None:
            raise ValueError(
                f"mailbox {self.username}: give password_file (a secret never goes here)"
            )
        if self.auth == "xoauth2" and not (self.token_file or self.token_command):
            raise ValueError(f"mailbox {self.username}: xoauth2 needs token_file or token_command")
        return self

    @property
    def server_port(self) -> int:
        return self.port or (993 if self.security == "imaps" else 143)


class QueueSettings(Section):
    workers: int = Field(default=8, ge=1, le=256)
    lease_seconds: float = Field(default=60.0, gt=0)
    max_attempts: int = Field(default=8, ge=1)
    backoff_base_seconds: float = Field(default=2.0, gt=0)
    backoff_max_seconds: float = Field(default=600.0, gt=0)
    poll_seconds: float = Field(default=1.0, gt=0)


class MaildirSettings(Section):
    path: Path | None = Field(default=None, description="Defaults to <data_dir>/mail.")


class SmarthostSettings(Section):
    host: str = "localhost"
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    username: str | None = None
    password: SecretStr | None = None
    password_file: Path | None = None
    timeout_seconds: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _password_from_file(self) -> SmarthostSettings:
        if self.password is None and self.password_file is not None:
            object.__setattr__(self, "password", _read_secret_file(self.password_file))
        return self


class ImapFolderSettings(Section):
    """A mailbox folder that the bridge's emails are appended to (a shared inbox over IMAP)."""

    host: str = "localhost"
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["imaps", "none"] = "imaps"
    username: str = ""
    password: SecretStr | None = None
    password_file: Path | None = None
    folder: str = "INBOX"
    ca_file: Path | None = None
    timeout_seconds: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _password_from_file(self) -> ImapFolderSettings:
        if self.password is None and self.password_file is not None:
            object.__setattr__(self, "password", _read_secret_file(self.password_file))
        return self

    @property
    def server_port(self) -> int:
        return self.port or (993 if self.security == "imaps" else 143)


class MailSettings(Section):
    transport: Literal["maildir", "smtp", "imap"] = "maildir"
    from_address: str = "sms-bridge@localhost"
    maildir: MaildirSettings = MaildirSettings()
    smtp: SmarthostSettings = SmarthostSettings()
    imap: ImapFolderSettings = ImapFolderSettings()
    max_attempts: int = Field(default=10, ge=1)


class Settings(BaseSettings):
    """The whole configuration; built only by ``load_settings``."""

    model_config = SettingsConfigDict(
        extra="forbid", frozen=True, env_prefix=ENV_PREFIX, env_nested_delimiter="__"
    )

    bridge: BridgeSettings = BridgeSettings()
    store: StoreSettings = StoreSettings()
    smtp: SmtpSettings
    http: HttpSettings = HttpSettings()
    text: TextSettings = TextSettings()
    senders: SendersSettings = SendersSettings()
    provider: ProviderSettings = ProviderSettings()
    providers: dict[str, ProviderEntry] = Field(
        default={}, description="Named providers, in failover order; instead of [provider]."
    )
    provider_rules: tuple[ProviderRule, ...] = ()
    queue: QueueSettings = QueueSettings()
    mail: MailSettings = MailSettings()
    numbers: tuple[ReplyNumber, ...] = ()
    inbound: InboundSettings = InboundSettings()
    routes: tuple[RouteSettings, ...] = ()
    calendars: tuple[CalendarSettings, ...] = ()
    admin: AdminSettings = AdminSettings()
    mailboxes: tuple[MailboxSettings, ...] = ()

    @model_validator(mode="after")
    def _route_table(self) -> Settings:
        known = {calendar.name for calendar in self.calendars}
        for route in self.routes:
            unknown = sorted(set(route.during + route.except_during) - known)
            if unknown:
                raise ValueError(
                    f"routes: route {route.name!r} names calendar(s) {', '.join(unknown)}"
                    " that no [[calendars]] entry defines"
                )
        names = [route.name for route in self.routes]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"routes: each name must be unique; used twice: {', '.join(twice)}")
        defaults = [route.name for route in self.routes if route.default]
        if self.routes and (len(defaults) != 1 or not self.routes[-1].default):
            raise ValueError(
                "routes: the table needs exactly one route with default = true, and it must be"
                " the last (routes are tried in order and the default matches every text)"
            )
        return self

    @model_validator(mode="after")
    def _provider_table(self) -> Settings:
        if self.providers and "provider" in self.model_fields_set:
            raise ValueError(
                "provider: write either one [provider] section or [providers.NAME] tables, not"
                " both (move the [provider] settings into a [providers.NAME] table)"
            )
        check_provider_names(list(self.providers))
        known = set(self.provider_entries)
        for index, rule in enumerate(self.provider_rules):
            unknown = [name for name in rule.providers if name not in known]
            if unknown:
                raise ValueError(
                    f"provider_rules.{index}: no provider is named"
                    f" {', '.join(unknown)}; known: {', '.join(known)}"
                )
        return self

    @property
    def provider_entries(self) -> dict[str, ProviderEntry]:
        """Every provider by name, in failover order; a lone [provider] becomes one entry."""
        if self.providers:
            return self.providers
        single = self.provider
        controls = {"rate_per_second": single.rate_per_second, "burst": single.burst}
        entry: ProviderEntry
        if single.name == "twilio":
            entry = TwilioEntry.model_validate(
                {**single.twilio.model_dump(), **controls, "type": "twilio"}
            )
        else:
            entry = SandboxEntry.model_validate(
                {**single.sandbox.model_dump(), **controls, "type": "sandbox"}
            )
        return {single.name: entry}

    def sandbox_journal(self, name: str, entry: SandboxSettings) -> Path:
        """Where a sandbox provider records sends: ``sandbox/sent.jsonl`` for the default one."""
        file = "sent.jsonl" if name == "sandbox" else f"{name}.jsonl"
        return entry.journal or self.bridge.data_dir / "sandbox" / file

    def reply_number(self, number: str) -> ReplyNumber | None:
        return next((n for n in self.numbers if n.number == number), None)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (env_settings, init_settings)

    @property
    def database_path(self) -> Path:
        return self.store.path or self.bridge.data_dir / "smsbridge.db"

    @property
    def pid_lock_path(self) -> Path:
        """The running bridge's lock and pid file: one bridge per SQLite file, or per data_dir
        when the store is shared (``smsbridge reload`` finds the bridge through it)."""
        if self.store.backend == "sqlite":
            return self.database_path.with_name(self.database_path.name + ".lock")
        return self.bridge.data_dir / "smsbridge.lock"

    @property
    def maildir_path(self) -> Path:
        return self.mail.maildir.path or self.bridge.data_dir / "mail"


def _secrets_in_file(data: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    problems = []
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            problems += _secrets_in_file(value, f"{path}.")
        elif key in SECRET_KEYS:
            env = ENV_PREFIX + path.replace(".", "__").upper()
            problems.append(
                (path, f"secrets are not read from the settings file: set {env} or {key}_file")
            )
    return problems


_PATH_KEYS = (
    ("bridge", "data_dir"),
    ("store", "path"),
    ("smtp", "tls_cert"),
    ("smtp", "tls_key"),
    ("smtp", "auth", "users_file"),
    ("provider", "sandbox", "journal"),
    ("provider", "twilio", "auth_token_file"),
    ("mail", "maildir", "path"),
    ("mail", "smtp", "password_file"),
    ("inbound", "webhook_secret_file"),
    ("admin", "password_file"),
    ("store", "password_file"),
    ("mail", "imap", "password_file"),
    ("mail", "imap", "ca_file"),
)


def _relative_to(base: Path, data: dict[str, Any]) -> dict[str, Any]:
    """Resolve relative paths in the file against the file's own folder, wherever it is run."""
    keys = (
        ("calendars", "ics"),
        ("mailboxes", "password_file"),
        ("mailboxes", "ca_file"),
        ("mailboxes", "token_file"),
    )
    for array, key in keys:
        for entry in data.get(array) or []:
            if isinstance(entry, dict) and isinstance(entry.get(key), str):
                entry[key] = str(base / entry[key])
    for entry in (data.get("providers") or {}).values():
        tables = (entry, entry.get("auth")) if isinstance(entry, dict) else ()
        for part in (t for t in tables if isinstance(t, dict)):
            for key, value in part.items():
                if (key.endswith("_file") or key == "journal") and isinstance(value, str):
                    part[key] = str(base / value)
    for *sections, key in _PATH_KEYS:
        table: Any = data
        for name in sections:
            table = table.get(name) if isinstance(table, dict) else None
        if isinstance(table, dict) and isinstance(table.get(key), str):
            table[key] = str(base / table[key])
    return data


def _problems(exc: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for err in exc.errors():
        path = ".".join(str(part) for part in err["loc"]) or "(top level)"
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown setting (check the spelling against config.example.toml)"
        elif err["type"] == "missing":
            message = "required setting is missing"
        problems.append((path, message))
    return problems


def load_settings(path: Path) -> Settings:
    """Load, merge with the environment and validate; raise ``ConfigError`` listing every fault."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as exc:
        raise ConfigError(source, [("(file)", f"cannot read it: {exc.strerror}")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, [("(syntax)", str(exc))]) from None
    problems = _secrets_in_file(data)
    data = _relative_to(path.resolve().parent, data)
    settings: Settings | None = None
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        problems += _problems(exc)
    if problems or settings is None:
        found = {key: line_of(text, key) for key, _ in problems}
        raise ConfigError(source, problems, {k: n for k, n in found.items() if n is not None})
    return settings
