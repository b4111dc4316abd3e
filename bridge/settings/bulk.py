"""``[bulk]``: the address a bulk send by attachment is written to, and its limits."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from bridge.settings.section import Section

__all__ = ["BulkSettings"]

_LOCAL = re.compile(r"[a-z][a-z0-9._-]*")


class BulkSettings(Section):
    address: str = Field(
        default="bulk",
        description="The local part of the bulk address at each of smtp.domains (bulk@…);"
        ' "" turns bulk sends off.',
    )
    max_rows: int = Field(
        default=100_000, ge=1, le=1_000_000, description="The most rows one file may have."
    )
    preview_samples: int = Field(
        default=3, ge=0, le=20, description="How many rendered texts the preview shows."
    )
    lease_seconds: float = Field(
        default=120.0,
        gt=0,
        description="How long a bridge holds a bulk send it is reading before another may take"
        " it over (renewed while it works).",
    )

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        value = value.strip().lower()
        if value and (not _LOCAL.fullmatch(value) or value.startswith("batch-")):
            raise ValueError(
                "write a local part of letters, digits, dots, hyphens or underscores that"
                ' starts with a letter and not with "batch-", such as "bulk"',
            )
        return value
