"""What becomes the text, and who texts as whom: the ``[text]`` and ``[senders]`` sections."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator

from bridge.parsing.contacts import group_tag
from bridge.parsing.numbers import is_e164, is_short_code
from bridge.settings.compliance import Category, check_countries, check_line_types
from bridge.settings.section import Section, check_regex, check_zone

__all__ = ["SenderRule", "SendersSettings", "TextSettings", "check_sender"]

_SENDER_ID = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 .&'_-]{1,11}$")


def check_sender(value: str) -> str:
    """A from-number in E.164, a short code (``60777``, which must also be one of
    ``[[numbers]]``, with its country: ``Settings`` checks that) or an alphanumeric sender ID
    (1-11 of A-Z a-z 0-9 space . & ' _ -)."""
    value = value.strip()
    if is_short_code(value):
        return value
    if value.startswith("+"):
        if not is_e164(value):
            raise ValueError(f"{value!r} is not a phone number in E.164 form, e.g. +447700900100")
        return value
    if not _SENDER_ID.match(value):
        raise ValueError(
            f"{value!r} is not a valid sender ID: use 1 to 11 letters, digits, spaces or . & ' _ -,"
            " with at least one letter, a number such as +447700900100, or a short code of"
            " [[numbers]] such as 60777"
        )
    return value


MB = 1024 * 1024


class TextSettings(Section):
    subject: Literal["ignore", "prepend"] = "ignore"
    end_marker: str | None = None
    disclaimer_patterns: tuple[str, ...] = ()
    transliterate: bool = True
    max_segments: int = Field(default=6, ge=1, le=30)
    too_long: Literal["refuse", "truncate"] = "refuse"
    mms: bool = Field(
        default=True,
        description="Send an email's pictures as MMS where the provider and number allow it.",
    )
    mms_max_bytes: int = Field(
        default=5 * MB, gt=0, description="All of one text's pictures together (Twilio: 5 MB)."
    )
    mms_types: tuple[str, ...] = ("image/jpeg", "image/png", "image/gif")
    mms_max_pictures: int = Field(default=10, ge=1, le=10)
    media_expiry_days: float = Field(
        default=7.0, gt=0, description="How long a picture is served for the provider to fetch."
    )
    max_schedule_days: int = Field(
        default=90,
        ge=1,
        le=366,
        description="How far ahead an author may schedule a text ([tomorrow 9am], Send-At:).",
    )

    @field_validator("mms_types")
    @classmethod
    def _lower_types(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(value.strip().lower() for value in values)

    @field_validator("disclaimer_patterns")
    @classmethod
    def _compiles(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_regex(value) for value in values)


class SenderRule(Section):
    match: str = Field(description="An author address (alice@example.com) or domain (example.com).")
    sender: str
    max_segments: int | None = Field(default=None, ge=1, le=30)
    category: Category | None = Field(
        default=None, description="The category of this author's texts (docs/compliance.md)."
    )
    email_fallback: bool = Field(
        default=False,
        description="A text of this author's that fails for good is emailed instead to the"
        " recipient, when the address book has their address (not after an opt-out).",
    )
    urgent_allowed: bool = Field(
        default=False,
        description="An [urgent] tag in this author's subject lets the text through quiet hours.",
    )

    allowed_countries: tuple[str, ...] | None = Field(
        default=None,
        description="The countries this author may text, instead of compliance.allowed_countries.",
    )
    allow_number_types: tuple[str, ...] = Field(
        default=(),
        description="Kinds of number this author may text though compliance.blocked_number_types"
        ' names them, e.g. ["FIXED_LINE"].',
    )

    timezone: str | None = Field(
        default=None,
        description="The author's time zone, in which their send-at times are read"
        " (else compliance.timezone).",
    )
    bulk_without_preview: bool = Field(
        default=False,
        description="This author's bulk sends go at once, without waiting for SEND after the"
        " preview (which then says they are being sent).",
    )

    groups: tuple[str, ...] = Field(
        default=(),
        description="The groups (contact tags) this author may text at TAG@ the SMS domain;"
        ' ["*"] for every tag.',
    )

    _check_sender = field_validator("sender")(classmethod(lambda cls, v: check_sender(v)))
    _zone = field_validator("timezone")(
        classmethod(lambda cls, v: None if v is None else check_zone(v))
    )
    _types = field_validator("allow_number_types")(classmethod(lambda cls, v: check_line_types(v)))

    @field_validator("allowed_countries")
    @classmethod
    def _countries(cls, values: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if values is None else check_countries(values)

    @field_validator("groups")
    @classmethod
    def _groups(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            if value.strip() != "*" and group_tag(value) is None:
                raise ValueError(
                    f"{value!r} cannot be a group address: a tag of letters, digits, - and _,"
                    ' starting with a letter (drivers, night-shift), or "*" for every tag'
                )
        return tuple(dict.fromkeys(value.strip().lower() for value in values))

    def may_text_group(self, tag: str) -> bool:
        return "*" in self.groups or tag in self.groups

    @field_validator("match")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()


class SendersSettings(Section):
    default: str = "SMSBridge"
    rules: tuple[SenderRule, ...] = ()

    _check_default = field_validator("default")(classmethod(lambda cls, v: check_sender(v)))
