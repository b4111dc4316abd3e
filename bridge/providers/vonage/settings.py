"""``type = "vonage"``: Vonage's SMS API, with signed requests and webhooks if configured."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, model_validator

from bridge.providers.base import ProviderSettings
from bridge.settings.section import LocalPath, SettingError

__all__ = ["VonageSettings"]


class VonageSettings(ProviderSettings):
    """Vonage's SMS API (``POST /sms/json``)."""

    type: Literal["vonage"] = "vonage"
    api_key: str = Field(min_length=1)
    api_secret: SecretStr | None = None
    api_secret_file: LocalPath | None = None
    signature_secret: SecretStr | None = None
    signature_secret_file: LocalPath | None = None
    signature_method: Literal["md5hash", "md5", "sha1", "sha256", "sha512"] = "md5hash"
    sign_requests: bool = Field(
        default=False, description="Sign sends with the signature secret instead of api_secret."
    )
    webhook_secret: SecretStr | None = Field(
        default=None, description="Without signed webhooks: ?token=SECRET in the webhook URLs."
    )
    webhook_secret_file: LocalPath | None = None
    base_url: str = "https://rest.nexmo.com"

    @model_validator(mode="after")
    def _complete(self) -> VonageSettings:
        if not self.needs_secret("api_secret"):
            return self  # a command: the service's secrets are not needed
        if self.api_secret is None and not (self.sign_requests and self.signature_secret):
            raise SettingError(
                "api_secret_file",
                "Vonage needs api_secret (or sign_requests with signature_secret): set it in the"
                " environment, SMSBRIDGE_PROVIDERS__<NAME>__API_SECRET, or api_secret_file",
            )
        if self.sign_requests and self.signature_secret is None:
            raise SettingError(
                "signature_secret_file",
                "sign_requests needs signature_secret: set"
                " SMSBRIDGE_PROVIDERS__<NAME>__SIGNATURE_SECRET or signature_secret_file",
            )
        return self
