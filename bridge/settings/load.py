"""Read a settings file once: TOML, the environment, validation, and every fault reported.

A fault is reported as its key path (``routes.2.start``) with the line it is on, all at once,
so an admin fixes a file in one pass. Secrets written into the file are refused with the
environment variable or ``*_file`` key to use instead: a settings file is copied, committed
and mailed around, and a secret in it leaks with it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bridge.errors import ConfigError, Finding
from bridge.settings.environment import stray_variables
from bridge.settings.lines import line_of
from bridge.settings.problems import as_written, problems, secrets_in_file, short_name
from bridge.settings.root import ENV_PREFIX, Settings
from bridge.settings.section import Purpose, loading_for, relative_to

__all__ = ["Purpose", "SettingsFile", "load_settings"]


def load_settings(path: Path, purpose: Purpose = Purpose.SERVE) -> Settings:
    """Load, merge with the environment and validate for ``purpose``; raise ``ConfigError``
    listing every fault."""
    return SettingsFile.read(path).validate(purpose)


@dataclass(frozen=True, slots=True)
class SettingsFile:
    """A settings file as read: its TOML, and its text for the lines of what is reported."""

    path: Path
    text: str
    data: dict[str, Any]

    @classmethod
    def read(cls, path: Path) -> SettingsFile:
        """The file's TOML; ``ConfigError`` if it cannot be read or is not TOML."""
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            finding = Finding("(file)", f"cannot read it: {exc.strerror}")
            raise ConfigError(str(path), [finding]) from None
        try:
            return cls(path, text, tomllib.loads(text))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(str(path), [_syntax(str(exc), text)]) from None

    def validate(self, purpose: Purpose = Purpose.SERVE) -> Settings:
        """The settings, merged with the environment; ``ConfigError`` with every fault."""
        found = secrets_in_file(self.data)
        settings: Settings | None = None
        with relative_to(self.path.resolve().parent), loading_for(purpose):
            try:
                settings = Settings(**self.data)
            except ValidationError as exc:
                found += problems(exc, self.data)
        if found or settings is None:
            raise ConfigError(str(self.path), self.place(found))
        return settings

    def place(self, found: list[tuple[str, str]], *, warning: bool = False) -> list[Finding]:
        """Each ``(key path, message)`` as the file writes the key, with the key's line."""
        short = short_name(self.data)
        placed = []
        for key, message in dict.fromkeys(found):  # once each, in order
            written = as_written(key, short)
            message = message.replace("SMSBRIDGE_PROVIDERS__<NAME>__", _env_table(written))
            placed.append(Finding(written, message, line_of(self.text, written), warning))
        return placed

    def ignored_variables(self, environ: Mapping[str, str]) -> list[Finding]:
        """A warning for each provider variable the file gives no table to (ignored)."""
        strays = stray_variables(environ, self.data)
        return [Finding(name, why, warning=True) for name, why in strays]


def _env_table(written: str) -> str:
    """The environment's prefix for a provider's table: ``SMSBRIDGE_PROVIDER__TWILIO__`` for
    ``provider.twilio.auth_token_file``, so the message names the variable to set."""
    return ENV_PREFIX + "__".join(written.split(".")[:2]).upper() + "__"


def _syntax(message: str, text: str) -> Finding:
    """tomllib's "Expected ']' ... (at line 3, column 6)" as a finding on line 3."""
    found = re.match(r"^(.*) \(at line (\d+), column (\d+)\)$", message)
    if found:
        what, line, column = found.groups()
        return Finding("(syntax)", f"not valid TOML: {what} (column {column})", int(line))
    what = message.removesuffix(" (at end of document)")
    return Finding("(syntax)", f"not valid TOML: {what}", len(text.splitlines()) or None)
