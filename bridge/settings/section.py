"""What every settings section shares: immutable, unknown keys refused, secrets from files,
paths relative to the settings file, and the validators several sections use.

A secret is any field typed ``SecretStr | None``. It is never read from the TOML file (the
loader refuses it there); it comes from the environment or, when a sibling ``<name>_file``
field names a file, from that file, read once here for every section alike. A path is any
field typed ``LocalPath``: written relative, it is relative to the settings file's folder,
wherever the bridge is started from.
"""

from __future__ import annotations

import enum
import ipaddress
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, ClassVar, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

__all__ = [
    "LocalPath",
    "Purpose",
    "Section",
    "SettingError",
    "check_addresses",
    "check_networks",
    "check_regex",
    "check_zone",
    "for_service",
    "loading_for",
    "read_secret_file",
    "relative_to",
    "secret_fields",
    "service_file",
]

_BASE: ContextVar[Path | None] = ContextVar("settings_base", default=None)


class Purpose(enum.Enum):
    """What the settings are loaded for, which decides what must be there.

    ``SERVE``: the running bridge (``run``, its reload, and ``check-config``, which finds
    what ``run`` would refuse): every secret and file it will use. ``COMMAND``: a command
    that reads the store, explains, or queues work for the bridge (``outbox``, ``send``,
    ``routes explain``...): the service's secrets (admin password, provider tokens, mailbox
    passwords) and the files only its listeners read (TLS, users) are not needed, so an
    admin's shell without them can run it. The store's password is needed by both.
    """

    SERVE = "serve"
    COMMAND = "command"


_PURPOSE: ContextVar[Purpose] = ContextVar("settings_purpose", default=Purpose.SERVE)


@contextmanager
def loading_for(purpose: Purpose) -> Iterator[None]:
    """Validate for ``purpose`` meanwhile."""
    token = _PURPOSE.set(purpose)
    try:
        yield
    finally:
        _PURPOSE.reset(token)


def for_service() -> bool:
    """True while validating for the running bridge, which needs everything it will use."""
    return _PURPOSE.get() is Purpose.SERVE


@contextmanager
def relative_to(folder: Path) -> Iterator[None]:
    """Resolve every ``LocalPath`` validated meanwhile against ``folder``."""
    token = _BASE.set(folder)
    try:
        yield
    finally:
        _BASE.reset(token)


def _resolved(path: Path) -> Path:
    base = _BASE.get()
    return base / path if base is not None and not path.is_absolute() else path


LocalPath = Annotated[Path, AfterValidator(_resolved)]


class SettingError(ValueError):
    """Faults found by a check of a whole section (or of the whole file), each at the key it
    concerns, so that the report gives that key's line rather than the section's.

    ``faults`` holds ``(key, message)`` pairs; a key is a dotted path below the section that
    raised the error (``start``, ``routes.2.during``), or ``""`` for the section itself.
    pydantic keeps the exception in its error's context, where the loader finds it.
    """

    def __init__(self, key: str, message: str, *more: tuple[str, str]) -> None:
        self.faults = ((key, message), *more)
        super().__init__("; ".join(message for _, message in self.faults))

    @classmethod
    def raise_any(cls, faults: list[tuple[str, str]]) -> None:
        """Raise every fault in one error, if there are any."""
        if faults:
            raise cls(*faults[0], *faults[1:])


def read_secret_file(path: Path) -> SecretStr:
    """The secret in ``path``, without surrounding white space."""
    try:
        return SecretStr(path.read_text(encoding="utf-8").strip())
    except OSError as exc:
        raise ValueError(
            f"cannot read the secret file {path}: {exc.strerror}; give a file holding only"
            " the secret"
        ) from None


def service_file(path: Path, what: str) -> Path:
    """``path`` if this process can open it; a settings error saying why not otherwise.
    For a file only the running service reads: a command does not look (``Purpose``)."""
    if not for_service():
        return path
    try:
        with path.open("rb"):
            return path
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}; give {what}") from None


class Section(BaseModel):
    """Base of every settings section: immutable, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # Secrets that commands use as well as the service (the store's password); the others
    # are only checked and read when loading for the service (``Purpose``).
    command_secrets: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def needs_secret(cls, name: str) -> bool:
        """Whether secret ``name`` must be there (and its file read) for this loading."""
        return for_service() or name in cls.command_secrets

    @model_validator(mode="after")
    def _secrets_from_files(self) -> Self:
        """Fill each secret left unset from its ``<name>_file`` (runs before subclasses'
        checks, so they see the secret either way)."""
        for name in secret_fields(type(self)):
            path = getattr(self, f"{name}_file", None)
            if getattr(self, name) is None and isinstance(path, Path) and self.needs_secret(name):
                object.__setattr__(self, name, read_secret_file(path))
        return self

    @field_validator("*")
    @classmethod
    def _secret_file_readable(cls, value: Any, info: ValidationInfo) -> Any:
        """A secret's file that cannot be read is reported at its own key, even when another
        key of the section is wrong too (the check above then never runs)."""
        name = (info.field_name or "").removesuffix("_file")
        secret_file = name != info.field_name and name in secret_fields(cls)
        if isinstance(value, Path) and secret_file and cls.needs_secret(name):
            read_secret_file(value)
        return value


def secret_fields(model: type[BaseModel]) -> list[str]:
    """The names of ``model``'s secrets: its fields typed ``SecretStr | None``."""
    return [
        name for name, info in model.model_fields.items() if info.annotation == SecretStr | None
    ]


def check_addresses(values: tuple[str, ...]) -> tuple[str, ...]:
    """Email addresses as email-validator reads them (no DNS lookups), normalised."""
    # email-validator compiles its grammar when imported: at the first address, not at start
    from email_validator import EmailNotValidError, validate_email

    checked = []
    for value in values:
        try:
            checked.append(validate_email(value, check_deliverability=False).normalized)
        except EmailNotValidError as exc:
            raise ValueError(f"{value!r} is not an email address: {exc}") from None
    return tuple(checked)


def check_networks(values: tuple[str, ...]) -> tuple[str, ...]:
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValueError(
                f"{value!r} is not a network, e.g. 127.0.0.0/8 or 10.0.0.0/8"
            ) from None
    return values


def check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone, e.g. Europe/London") from None
    return value


def check_regex(value: str) -> str:
    """``value`` if it compiles; a settings error naming it otherwise."""
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"{value!r} is not a valid regular expression: {exc}") from None
    return value
