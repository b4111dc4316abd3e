"""The SMTP listener's section: where it listens, whose mail it takes, and its limits."""

from __future__ import annotations

import os
import ssl
from pathlib import Path
from typing import Any

import phonenumbers
from pydantic import Field, ValidationInfo, field_validator, model_validator

from bridge.parsing.users import parse_users
from bridge.settings.section import (
    LocalPath,
    Section,
    SettingError,
    check_networks,
    for_service,
    service_file,
)

__all__ = ["SenderAuthSettings", "SmtpAuthSettings", "SmtpSettings"]


class SmtpAuthSettings(Section):
    enabled: bool = False
    required: bool = False
    users_file: LocalPath | None = Field(
        default=None, description="Lines of 'address:scrypt-hash' made by smsbridge hash-password."
    )

    @field_validator("users_file")
    @classmethod
    def _users(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        """The listener reads the file at start; a file it would refuse is refused here."""
        if value is None or not info.data.get("enabled") or not for_service():
            return value
        what = "the file of lines made by smsbridge hash-password"
        service_file(value, what)
        try:
            parse_users(value.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            raise ValueError(f"{value} is not text: give {what}") from None
        except ValueError as exc:
            raise ValueError(f"{value}: {exc}") from None
        return value

    @model_validator(mode="after")
    def _users_file_needed(self) -> SmtpAuthSettings:
        if (self.enabled or self.required) and self.users_file is None:
            raise SettingError(
                "users_file", "SMTP AUTH needs users_file (lines made by smsbridge hash-password)"
            )
        if self.required and not self.enabled:
            raise SettingError("enabled", "required = true needs enabled = true")
        return self


def _tls_pair(cert: Path, key: Path) -> None:
    """The listener loads the pair at start (for STARTTLS); a pair it would refuse is refused
    here."""
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except ssl.SSLError as exc:
        raise SettingError(
            "tls_cert",
            f"{cert} and {key} are not a PEM certificate and its private key"
            f" ({exc.reason or exc}): give the certificate (chain) and the key made with it",
        ) from None


class SenderAuthSettings(Section):
    """``[smtp.sender_auth]``: SPF, DKIM and DMARC (and ARC) for mail that arrives without a
    login; with it on, an allowed sender needs a DMARC-aligned pass for the author's domain."""

    enabled: bool = False
    nameservers: tuple[str, ...] = Field(
        default=(), description="Resolvers to ask (IP addresses); default: the system's."
    )
    dns_port: int = Field(default=53, ge=1, le=65535)
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)


class SmtpSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=2525, ge=0, le=65535)
    hostname: str = "localhost"
    domains: tuple[str, ...] = Field(min_length=1)
    default_region: str = "GB"
    max_recipients: int = Field(default=50, ge=1, le=1000)
    max_message_size: int = Field(default=10 * 1024 * 1024, ge=1024)
    dedupe_minutes: float = Field(
        default=10.0,
        gt=0,
        description="An email without a Message-ID that arrives again within this time (a mail"
        " server retrying after a lost reply) is not texted again.",
    )
    allowed_senders: tuple[str, ...] = ()
    trusted_networks: tuple[str, ...] = ("127.0.0.0/8", "::1/128")
    max_connections: int = Field(
        default=1000, ge=1, description="Open SMTP connections from all clients together."
    )
    max_connections_per_client: int = Field(
        default=50,
        ge=1,
        description="Open connections from one address outside trusted_networks (Postfix's"
        " default); trusted networks are exempt.",
    )
    trusted_reserve: int = Field(
        default=100,
        ge=0,
        description="Of max_connections, this many are only for clients in trusted_networks.",
    )
    command_timeout_seconds: float = Field(
        default=300.0, gt=0, description="A client silent this long between commands is closed."
    )
    data_timeout_seconds: float = Field(
        default=300.0, gt=0, description="A client silent this long within DATA is closed."
    )
    processes: int = Field(
        default=1,
        ge=1,
        le=64,
        description="SMTP listener processes sharing the port (SO_REUSEPORT): one per core, or"
        ' "auto" for as many as this machine has; each counts its own connections.',
    )
    tls_cert: LocalPath | None = None
    tls_key: LocalPath | None = None
    auth: SmtpAuthSettings = SmtpAuthSettings()
    sender_auth: SenderAuthSettings = SenderAuthSettings()

    @field_validator("domains", "allowed_senders")
    @classmethod
    def _lower(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(v.strip().lower() for v in values)

    @field_validator("processes", mode="before")
    @classmethod
    def _cores(cls, value: Any) -> Any:
        """``"auto"``: one listener process per core of this machine."""
        return (os.cpu_count() or 1) if value == "auto" else value

    @field_validator("default_region")
    @classmethod
    def _region(cls, value: str) -> str:
        if value.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"{value!r} is not a two-letter region code such as GB or US")
        return value.upper()

    _networks = field_validator("trusted_networks")(classmethod(lambda cls, v: check_networks(v)))

    @field_validator("tls_cert", "tls_key")
    @classmethod
    def _tls_file(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        what = "a PEM certificate" if info.field_name == "tls_cert" else "a PEM private key"
        return None if value is None else service_file(value, what)

    @model_validator(mode="after")
    def _reserve_fits(self) -> SmtpSettings:
        if self.trusted_reserve >= self.max_connections:
            raise ValueError(
                "trusted_reserve must be less than max_connections: untrusted clients need"
                " some connections too"
            )
        return self

    @model_validator(mode="after")
    def _tls_pair(self) -> SmtpSettings:
        if (self.tls_cert is None) != (self.tls_key is None):
            absent = "tls_key" if self.tls_key is None else "tls_cert"
            raise SettingError(absent, "tls_cert and tls_key go together: give both, or neither")
        if self.auth.enabled and self.tls_cert is None:
            raise SettingError(
                "tls_cert", "SMTP AUTH is only offered after STARTTLS: set tls_cert and tls_key"
            )
        if self.tls_cert is not None and self.tls_key is not None and for_service():
            _tls_pair(self.tls_cert, self.tls_key)
        return self
