"""The bridge's own sections: where it keeps its data, its store, its HTTP server and queue."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator

from bridge.settings.section import LocalPath, Section, SettingError, check_networks

__all__ = ["AdminSettings", "BridgeSettings", "HttpSettings", "QueueSettings", "StoreSettings"]


class BridgeSettings(Section):
    data_dir: LocalPath = Path("./var")  # the default is relative to the working directory
    public_url: str | None = Field(
        default=None, description="Public https URL of the HTTP server, for provider callbacks."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"  # json: one object per line, ids as fields
    watch_config: bool = Field(
        default=False, description="Reload the routing table when the settings file changes."
    )
    loop: Literal["auto", "asyncio", "uvloop"] = Field(
        default="auto",
        description="The event loop: uvloop (pip install 'smsbridge[fast]') is faster;"
        " auto uses it when it is installed.",
    )

    @field_validator("loop")
    @classmethod
    def _uvloop(cls, value: str) -> str:
        """Asked for by name, uvloop must be there: refused now, not when the bridge starts."""
        if value == "uvloop":
            try:
                importlib.import_module("uvloop")
            except ImportError:
                raise ValueError(
                    "uvloop is not installed: pip install 'smsbridge[fast]', or write"
                    ' loop = "auto" (uvloop when installed, else asyncio\'s own loop)'
                ) from None
        return value

    @field_validator("public_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        """Providers are given URLs under it, which they can only call with a scheme."""
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            host = value.split("://")[-1].lstrip("/")
            raise ValueError(
                f"{value!r} is not a URL with its scheme: write https://{host}"
                " (the address providers reach the HTTP server at)"
            )
        return value.rstrip("/")


class StoreSettings(Section):
    """SQLite (embedded, one bridge) or PostgreSQL (several bridges sharing the work)."""

    command_secrets = frozenset({"password"})  # every command that opens the store needs it

    backend: Literal["sqlite", "postgres"] = "sqlite"
    path: LocalPath | None = Field(default=None, description="Defaults to <data_dir>/smsbridge.db.")
    dsn: str | None = Field(
        default=None, description="postgres: postgresql://user@host:5432/db (no password here)."
    )
    password: SecretStr | None = None
    password_file: LocalPath | None = None
    pool_size: int = Field(default=10, ge=1, le=200)
    retention_days: int = Field(
        default=90,
        ge=0,
        description="Finished jobs, routed texts and conversations older than this are"
        " deleted (hourly, by one bridge of a cluster); 0 keeps everything.",
    )

    @model_validator(mode="after")
    def _postgres(self) -> StoreSettings:
        if self.backend != "postgres":
            return self
        if not self.dsn:
            raise SettingError(
                "dsn", "backend postgres needs store.dsn, e.g. postgresql://smsbridge@db/sms"
            )
        parts = urlsplit(self.dsn)
        if parts.scheme not in ("postgresql", "postgres"):
            raise SettingError("dsn", "store.dsn must start with postgresql://")
        if parts.password:
            raise SettingError(
                "dsn",
                "store.dsn must not hold the password: set SMSBRIDGE_STORE__PASSWORD,"
                " store.password_file, or PGPASSWORD",
            )
        return self


class HttpSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8025, ge=0, le=65535)


class AdminSettings(Section):
    """The admin page on the HTTP server: off unless enabled, and then only for these networks."""

    enabled: bool = False
    password: SecretStr | None = None
    password_file: LocalPath | None = None
    allowed_networks: tuple[str, ...] = ("127.0.0.0/8", "::1/128")
    session_minutes: float = Field(default=480.0, gt=0)
    # A session also ends after this long without a request.
    idle_minutes: float = Field(default=30.0, gt=0)
    # This many wrong passwords from one address within login_window_minutes lock it out
    # for lockout_minutes (answered 429 with Retry-After).
    login_attempts: int = Field(default=5, ge=1)
    login_window_minutes: float = Field(default=15.0, gt=0)
    lockout_minutes: float = Field(default=15.0, gt=0)
    # The console's overview and health pages reload themselves this often (0: never).
    refresh_seconds: int = Field(default=30, ge=0)

    _networks = field_validator("allowed_networks")(classmethod(lambda cls, v: check_networks(v)))

    @model_validator(mode="after")
    def _password(self) -> AdminSettings:
        if self.enabled and self.password is None and self.needs_secret("password"):
            raise SettingError(
                "password_file",
                "admin.enabled needs a password: set SMSBRIDGE_ADMIN__PASSWORD or"
                " admin.password_file",
            )
        return self


class MetricsSettings(Section):
    """``GET /metrics`` on the HTTP server, in Prometheus' text format: on by default, for
    loopback only; a Prometheus server elsewhere needs its network listed here."""

    enabled: bool = True
    allowed_networks: tuple[str, ...] = ("127.0.0.0/8", "::1/128")

    _networks = field_validator("allowed_networks")(classmethod(lambda cls, v: check_networks(v)))


class QueueSettings(Section):
    workers: int = Field(default=8, ge=1, le=256)
    lease_seconds: float = Field(default=60.0, gt=0)
    max_attempts: int = Field(default=8, ge=1)
    backoff_base_seconds: float = Field(default=2.0, gt=0)
    backoff_max_seconds: float = Field(default=600.0, gt=0)
    poll_seconds: float = Field(default=1.0, gt=0)
