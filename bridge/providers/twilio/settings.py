"""``type = "twilio"``: Twilio's Messages API with an account SID and its auth token."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import SecretStr, field_validator, model_validator

from bridge.providers.base import ProviderSettings
from bridge.settings.section import LocalPath, SettingError

__all__ = ["TwilioSettings"]

_ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")


class TwilioSettings(ProviderSettings):
    type: Literal["twilio"] = "twilio"
    account_sid: str = ""
    auth_token: SecretStr | None = None
    auth_token_file: LocalPath | None = None
    base_url: str = "https://api.twilio.com"
    messaging_service_sid: str | None = None

    @field_validator("account_sid")
    @classmethod
    def _sid(cls, value: str) -> str:
        """A mistyped SID would only show as a 404 on the first text."""
        if value and not _ACCOUNT_SID.match(value):
            raise ValueError(
                f"{value!r} is not an account SID: write AC and 32 hex digits, as Twilio's"
                " console shows it, e.g. AC0123456789abcdef0123456789abcdef"
            )
        return value

    @model_validator(mode="after")
    def _complete(self) -> TwilioSettings:
        faults = []
        if not self.account_sid:
            faults.append(("account_sid", "Twilio needs account_sid (AC and 32 hex digits)"))
        if self.auth_token is None and self.needs_secret("auth_token"):
            faults.append(
                (
                    "auth_token_file",
                    "Twilio needs its auth token: set SMSBRIDGE_PROVIDERS__<NAME>__AUTH_TOKEN or"
                    " auth_token_file",
                )
            )
        SettingError.raise_any(faults)
        return self
