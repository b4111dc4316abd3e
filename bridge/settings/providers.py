"""``[providers.NAME]`` tables, the short ``[provider]`` form, and ``[[provider_rules]]``.

Each ``[providers.NAME]`` table is validated by the settings class of its ``type``, as the
provider registry lists them (``bridge.providers.registry``). A settings file with one
provider may write the short form instead::

    [provider]
    name = "twilio"          # the provider's type, and its name
    rate_per_second = 10
    [provider.twilio]
    account_sid = "AC..."

which is turned into ``[providers.twilio]`` (with ``type = "twilio"``) before validation, so
one set of classes serves both forms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any, Union

import phonenumbers
from pydantic import Field, field_validator

from bridge.providers.base import ProviderSettings
from bridge.providers.registry import KINDS
from bridge.settings.section import Section, SettingError

__all__ = ["SHORT_FORM_KEYS", "ProviderEntry", "ProviderRule", "from_short_form", "name_faults"]

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
SHORT_FORM_KEYS = ("name", "rate_per_second", "burst")  # what [provider] holds besides its table

if TYPE_CHECKING:
    ProviderEntry = ProviderSettings
else:
    ProviderEntry = Annotated[
        Union[tuple(kind.settings for kind in KINDS)],  # noqa: UP007 (built from the registry)
        Field(discriminator="type"),
    ]


class ProviderRule(Section):
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


def from_short_form(short: dict[str, Any]) -> dict[str, Any]:
    """``[provider]`` as the ``providers`` table it stands for.

    Only the chosen provider's own table may follow it: a ``[provider.vonage]`` beside
    ``name = "sandbox"`` would be settings that nothing reads, so it is an error.
    """
    name = short.get("name", "sandbox")
    if not isinstance(name, str):
        raise SettingError("provider.name", "give the provider's type, e.g. sandbox or twilio")
    stray = sorted(k for k in short if k not in (*SHORT_FORM_KEYS, name))
    SettingError.raise_any(
        [
            (
                f"provider.{key}",
                f"[provider.{key}] is not read, because provider.name is {name!r}:"
                f" remove it, or set name = {key!r}",
            )
            for key in stray
        ]
    )
    table = short.get(name) or {}
    if not isinstance(table, dict):
        raise SettingError(f"provider.{name}", "write a table of settings, [provider.NAME]")
    controls = {k: short[k] for k in SHORT_FORM_KEYS[1:] if k in short}
    return {name: {**table, **controls, "type": name}}


def name_faults(names: Iterable[str]) -> list[tuple[str, str]]:
    """``(name, message)`` for each provider name that cannot be part of a webhook URL."""
    return [
        (
            name,
            f"{name!r} is not a provider name: write lower-case letters, digits, - or _"
            " (it appears in its webhook URLs)",
        )
        for name in names
        if not _NAME.match(name)
    ]
