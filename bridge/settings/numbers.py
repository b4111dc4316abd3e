"""``[[numbers]]``: the numbers the bridge owns, where texts to them go, and their pace."""

from __future__ import annotations

from pydantic import Field, field_validator

from bridge.parsing.numbers import is_e164
from bridge.settings.section import Section, check_addresses, check_zone

__all__ = ["ReplyNumber", "check_e164"]


def check_e164(value: str) -> str:
    if not is_e164(value):
        raise ValueError(f"{value!r} is not a phone number in E.164 form, e.g. +447700900100")
    return value


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

    _inbox = field_validator("inbox")(classmethod(lambda cls, v: check_addresses(v)))
    _number = field_validator("number")(classmethod(lambda cls, v: check_e164(v)))
    _zone = field_validator("timezone")(classmethod(lambda cls, v: check_zone(v)))
