"""``type = "twilio"``: Twilio's Messages API with an account SID and its auth token."""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr, model_validator

from bridge.providers.base import ProviderSettings
from bridge.settings.section import LocalPath

__all__ = ["TwilioSettings"]


class TwilioSettings(ProviderSettings):
    type: Literal["twilio"] = "twilio"
    account_sid: str = ""
    auth_token: SecretStr | None = None
    auth_token_file: LocalPath | None = None
    base_url: str = "https://api.twilio.com"
    messaging_service_sid: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> TwilioSettings:
        if not self.account_sid:
            raise ValueError("Twilio needs account_sid")
        if self.auth_token is None:
            raise ValueError(
                "Twilio needs its auth token: set SMSBRIDGE_PROVIDERS__<NAME>__AUTH_TOKEN or"
                " auth_token_file"
            )
        return self
