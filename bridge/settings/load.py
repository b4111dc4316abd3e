"""Read a settings file once: TOML, the environment, validation, and every fault reported.

A fault is reported as its key path (``routes.2.start``) with the line it is on, all at once,
so an admin fixes a file in one pass. Secrets written into the file are refused with the
environment variable or ``*_file`` key to use instead: a settings file is copied, committed
and mailed around, and a secret in it leaks with it.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bridge.errors import ConfigError
from bridge.providers.registry import KINDS
from bridge.settings.lines import line_of
from bridge.settings.providers import SHORT_FORM_KEYS
from bridge.settings.root import ENV_PREFIX, Settings
from bridge.settings.section import Section, relative_to, secret_fields

__all__ = ["load_settings"]


def _all_sections(base: type[Section] = Section) -> list[type[Section]]:
    found = []
    for cls in base.__subclasses__():
        found += [cls, *_all_sections(cls)]
    return found


SECRET_KEYS = frozenset(name for cls in _all_sections() for name in secret_fields(cls))


def load_settings(path: Path) -> Settings:
    """Load, merge with the environment and validate; raise ``ConfigError`` listing every fault."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as exc:
        raise ConfigError(source, [("(file)", f"cannot read it: {exc.strerror}")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, [("(syntax)", str(exc))]) from None
    problems = _secrets_in_file(data)
    settings: Settings | None = None
    try:
        with relative_to(path.resolve().parent):
            settings = Settings(**data)
    except ValidationError as exc:
        problems += _problems(exc, short=_short_name(data))
    if problems or settings is None:
        found = {key: line_of(text, key) for key, _ in problems}
        raise ConfigError(source, problems, {k: n for k, n in found.items() if n is not None})
    return settings


def _secrets_in_file(data: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    problems = []
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            problems += _secrets_in_file(value, f"{path}.")
        elif key in SECRET_KEYS:
            env = ENV_PREFIX + path.replace(".", "__").upper()
            problems.append(
                (path, f"secrets are not read from the settings file: set {env} or {key}_file")
            )
    return problems


def _short_name(data: dict[str, Any]) -> str | None:
    """The provider's name when the file uses the short ``[provider]`` form."""
    short = data.get("provider")
    if not isinstance(short, dict):
        return None
    name = short.get("name", "sandbox")
    return name if isinstance(name, str) else None


def _problems(exc: ValidationError, *, short: str | None) -> list[tuple[str, str]]:
    problems = []
    for err in exc.errors():
        path = ".".join(str(part) for part in err["loc"]) or "(top level)"
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown setting (check the spelling against config.example.toml)"
        elif err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            path, message = _provider_type(err["loc"], short)
        elif err["type"] == "missing":
            message = "required setting is missing"
        problems.append((_as_written(path, short), message))
    return problems


def _provider_type(loc: tuple[int | str, ...], short: str | None) -> tuple[str, str]:
    """A provider table whose ``type`` is missing or not one the registry knows."""
    known = ", ".join(kind.name for kind in KINDS)
    where = "provider.name" if short is not None else ".".join(map(str, (*loc, "type")))
    return where, f"not a provider type: write one of {known}"


def _as_written(path: str, short: str | None) -> str:
    """A ``providers.NAME...`` path as the short form wrote it: ``provider.NAME...``, or
    ``provider.KEY`` for the keys of ``[provider]`` itself."""
    parts = path.split(".")
    if short is None or parts[:2] != ["providers", short]:
        return path
    rest = parts[2:]
    if rest and rest[0] in SHORT_FORM_KEYS:
        return ".".join(["provider", *rest])
    if rest and rest[0] == "type":  # pydantic's discriminator: the name chose no known type
        return "provider.name"
    return ".".join(["provider", short, *rest])
