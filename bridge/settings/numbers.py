"""``[[numbers]]``: the numbers the bridge owns, where texts to them go, and their pace."""

from __future__ import annotations

import phonenumbers
from pydantic import Field, field_validator, model_validator

from bridge.parsing.numbers import country_of, is_e164, is_short_code
from bridge.settings.section import Section, check_addresses, check_zone

__all__ = ["ReplyNumber", "check_e164"]


def check_e164(value: str) -> str:
    if not is_e164(value):
        raise ValueError(f"{value!r} is not a phone number in E.164 form, e.g. +447700900100")
    return value


class ReplyNumber(Section):
    """A number the bridge owns: customers' texts to it come back as email."""

    number: str
    country: str = Field(
        default="",
        description="A short code's country (GB for 60777); a number in E.164 carries its own.",
    )
    inbox: tuple[str, ...] = Field(
        default=(), description="Who gets texts that no conversation or route claims."
    )
    timezone: str = "UTC"
    auto_reply: str | None = Field(
        default=None, description="Texted back (at most once per interval) when no route says."
    )
    rate_per_second: float | None = Field(default=None, gt=0, description="Texts a second from it.")
    burst: int = Field(default=1, ge=1)

    _inbox = field_validator("inbox")(classmethod(lambda cls, v: check_addresses(v)))
    _zone = field_validator("timezone")(classmethod(lambda cls, v: check_zone(v)))

    @field_validator("number")
    @classmethod
    def _number(cls, value: str) -> str:
        value = value.strip()
        return value if is_short_code(value) else check_e164(value)

    @field_validator("country")
    @classmethod
    def _country(cls, value: str) -> str:
        value = value.strip().upper()
        if value and value not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"{value!r} is not a country: write its two letters, such as GB")
        return value

    @model_validator(mode="after")
    def _short_code_country(self) -> ReplyNumber:
        if is_short_code(self.number) and not self.country:
            raise ValueError(
                f'{self.number!r} is a short code: say its country, e.g. country = "GB"'
            )
        return self

    @property
    def region(self) -> str | None:
        """The number's country (``bridge.parsing.numbers.country_of``)."""
        return country_of(self.number, self.country)
