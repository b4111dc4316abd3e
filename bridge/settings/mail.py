"""``[mail]`` and ``[[mailboxes]]``: how the bridge sends its own email, and the IMAP
mailboxes whose mail becomes texts."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from bridge.settings.section import LocalPath, Section, SettingError, service_file

__all__ = [
    "DkimSettings",
    "ImapFolderSettings",
    "MailSettings",
    "MailboxSettings",
    "MaildirSettings",
    "SmarthostSettings",
]


class MaildirSettings(Section):
    path: LocalPath | None = Field(default=None, description="Defaults to <data_dir>/mail.")


class SmarthostSettings(Section):
    host: str = "localhost"
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    username: str | None = None
    password: SecretStr | None = None
    password_file: LocalPath | None = None
    timeout_seconds: float = Field(default=30.0, gt=0)


class ImapFolderSettings(Section):
    """A mailbox folder that the bridge's emails are appended to (a shared inbox over IMAP)."""

    host: str = "localhost"
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["imaps", "none"] = "imaps"
    username: str = ""
    password: SecretStr | None = None
    password_file: LocalPath | None = None
    folder: str = "INBOX"
    ca_file: LocalPath | None = None
    timeout_seconds: float = Field(default=30.0, gt=0)

    @property
    def server_port(self) -> int:
        return self.port or (993 if self.security == "imaps" else 143)


class DkimSettings(Section):
    """``[mail.dkim]``: sign the bridge's own email with DKIM when it sends it by SMTP."""

    selector: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    domain: str = Field(min_length=1, description="d=: the domain of mail.from_address")
    private_key: SecretStr | None = None
    private_key_file: LocalPath | None = Field(
        default=None, description="The RSA private key, PEM (openssl genrsa)."
    )
    headers: tuple[str, ...] = (
        "From",
        "To",
        "Cc",
        "Subject",
        "Date",
        "Message-ID",
        "In-Reply-To",
        "References",
        "MIME-Version",
        "Content-Type",
        "Auto-Submitted",
    )

    @model_validator(mode="after")
    def _key(self) -> DkimSettings:
        if self.private_key is None:
            if self.needs_secret("private_key"):
                raise SettingError("private_key_file", "give the DKIM private key's file")
            return self
        import dkim  # dkimpy and dnspython: loaded only when a key is given (start-up time)

        try:  # a key dkimpy cannot sign with is found now, not at the first email
            dkim.sign(
                b"From: a@b.example\r\n\r\n.\r\n",
                self.selector.encode(),
                self.domain.encode(),
                self.private_key.get_secret_value().encode(),
            )
        except (dkim.DKIMException, ValueError) as exc:
            raise SettingError(
                "private_key_file", f"the DKIM key cannot sign ({exc}): give an RSA key in PEM"
            ) from None
        return self


class MailSettings(Section):
    transport: Literal["maildir", "smtp", "imap"] = "maildir"
    from_address: str = "sms-bridge@localhost"
    maildir: MaildirSettings = MaildirSettings()
    smtp: SmarthostSettings = SmarthostSettings()
    imap: ImapFolderSettings = ImapFolderSettings()
    max_attempts: int = Field(default=10, ge=1)
    dkim: DkimSettings | None = None

    @model_validator(mode="after")
    def _ca_file(self) -> MailSettings:
        """Checked only for the transport in use: the other tables' keys are not read."""
        if self.transport == "imap" and self.imap.ca_file is not None:
            try:
                service_file(self.imap.ca_file, "a PEM file of the CA certificates to trust")
            except ValueError as exc:
                raise SettingError("imap.ca_file", str(exc)) from None
        return self


class MailboxSettings(Section):
    """An IMAP mailbox whose mail becomes texts: sms@company.example on hosted mail."""

    host: str
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["imaps", "starttls", "none"] = "imaps"
    username: str
    auth: Literal["password", "plain", "xoauth2"] = Field(
        default="password", description="LOGIN, AUTHENTICATE PLAIN or XOAUTH2."
    )
    password: SecretStr | None = None
    password_file: LocalPath | None = None
    token_file: LocalPath | None = Field(
        default=None, description="xoauth2: an access token, read at each login."
    )
    token_command: tuple[str, ...] = Field(
        default=(), description="xoauth2: a command printing a fresh access token, e.g. a CLI."
    )
    address: str = Field(description="The mailbox's address: sms+NUMBER@ is read from it.")
    folder: str = "INBOX"
    sent_folder: str = "SMS/Sent"
    failed_folder: str = "SMS/Failed"
    recipients_header: str | None = Field(default=None, description="e.g. X-SMS-To")
    ca_file: LocalPath | None = Field(
        default=None, description="Trust this CA instead of the system's."
    )
    idle: bool = True
    poll_seconds: float = Field(default=30.0, gt=0)

    @field_validator("ca_file")
    @classmethod
    def _ca(cls, value: Path | None) -> Path | None:
        return None if value is None else service_file(value, "a PEM file of CA certificates")

    @model_validator(mode="after")
    def _login(self) -> MailboxSettings:
        needed = self.needs_secret("password")
        if self.auth in ("password", "plain") and self.password is None and needed:
            raise SettingError(
                "password_file",
                f"mailbox {self.username}: give password_file (a secret never goes here)",
            )
        if self.auth == "xoauth2" and not (self.token_file or self.token_command) and needed:
            raise SettingError(
                "token_file", f"mailbox {self.username}: xoauth2 needs token_file or token_command"
            )
        return self

    @property
    def server_port(self) -> int:
        return self.port or (993 if self.security == "imaps" else 143)
