"""The ``[links]`` section: short links with click counts, and the QR address.

Without ``domain``, ``base_url`` or ``under_public_url``, links are left as written. With
one, every http(s) URL of an outbound text (allowed by ``allow_domains`` and
``deny_domains``) becomes ``<base>/<code>``, served by the bridge's ``GET /l/<code>``.
"""

from __future__ import annotations

import string
from typing import Self
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from bridge.settings.section import Section, SettingError

__all__ = ["UTM_NAMES", "LinksSettings"]

UTM_NAMES = frozenset({"source", "medium", "campaign", "term", "content"})
_PLACEHOLDERS = frozenset({"category", "sender", "route"})


class LinksSettings(Section):
    domain: str | None = Field(
        default=None,
        description="The host short links are served at: https://DOMAIN/l/CODE.",
    )
    base_url: str | None = Field(
        default=None,
        description="Or the whole prefix of a short link (https://go.example.com/l); a proxy"
        " must pass <base_url>/CODE to the bridge's /l/CODE.",
    )
    under_public_url: bool = Field(
        default=False, description="Or serve them under [bridge] public_url, at /l/CODE."
    )
    utm: dict[str, str] = Field(
        default={},
        description='UTM parameters added to each target: source = "sms", campaign ='
        ' "{category}" ({category}, {sender} and {route} are filled in).',
    )
    allow_domains: tuple[str, ...] = Field(
        default=(), description="Shorten only links to these domains (and their subdomains)."
    )
    deny_domains: tuple[str, ...] = Field(
        default=(), description="Never shorten links to these domains (and their subdomains)."
    )
    expiry_days: int | None = Field(
        default=365, ge=1, description="A short link answers 410 Gone after this many days."
    )
    cache_size: int = Field(
        default=100_000, ge=0, description="Codes kept in memory by the redirect."
    )
    qr_address: str = Field(
        default="qr",
        description="The local part (qr@<smtp domain>) that answers a keyword with a QR code;"
        ' "" for none.',
    )

    @field_validator("domain")
    @classmethod
    def _host(cls, value: str | None) -> str | None:
        if value is None:
            return None
        host = value.strip().lower().rstrip("/")
        if "/" in host or ":" in host or "." not in host:
            raise ValueError(
                f"{value!r} is not a host name: write the host alone (sms.example.com), or a"
                " whole prefix as base_url"
            )
        return host

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"{value!r} is not a URL: write https://{value.split('://')[-1]}")
        return value.rstrip("/")

    @field_validator("allow_domains", "deny_domains")
    @classmethod
    def _domains(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(d.strip().lower().lstrip(".") for d in value if d.strip())

    @model_validator(mode="after")
    def _one_base(self) -> Self:
        faults = []
        given = [n for n in ("domain", "base_url") if getattr(self, n)]
        if self.under_public_url:
            given.append("under_public_url")
        if len(given) > 1:
            faults.append(
                (given[1], f"give one of domain, base_url, under_public_url, not {given[0]} too")
            )
        faults += [
            (f"utm.{name}", f"write one of {', '.join(sorted(UTM_NAMES))}")
            for name in self.utm
            if name not in UTM_NAMES
        ]
        faults += [
            (f"utm.{name}", f"only {{{'}, {'.join(sorted(_PLACEHOLDERS))}}} may be filled in")
            for name, value in self.utm.items()
            if _unknown_placeholder(value)
        ]
        SettingError.raise_any(faults)
        return self

    def base(self, public_url: str | None) -> str | None:
        """The prefix of every short link, or None: links are left as written."""
        if self.base_url:
            return self.base_url
        if self.domain:
            return f"https://{self.domain}/l"
        if self.under_public_url and public_url:
            return f"{public_url.rstrip('/')}/l"
        return None


def _unknown_placeholder(value: str) -> bool:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError:
        return True
    return not names <= _PLACEHOLDERS
