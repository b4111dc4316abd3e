"""``type = "smsworks"``: The SMS Works, with the account's JWT."""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr, model_validator

from bridge.providers.base import ProviderSettings
from bridge.settings.section import LocalPath, SettingError

__all__ = ["SmsWorksSettings"]


class SmsWorksSettings(ProviderSettings):
    """The SMS Works (``POST /v1/message/send``, JWT in ``Authorization``)."""

    type: Literal["smsworks"] = "smsworks"
    jwt: SecretStr | None = None
    jwt_file: LocalPath | None = None
    base_url: str = "https://api.thesmsworks.co.uk"

    @model_validator(mode="after")
    def _complete(self) -> SmsWorksSettings:
        if self.jwt is None and self.needs_secret("jwt"):
            raise SettingError(
                "jwt_file",
                "The SMS Works needs its JWT: set SMSBRIDGE_PROVIDERS__<NAME>__JWT or jwt_file",
            )
        return self
