"""pydantic's validation errors as ``(key path, message)`` pairs, each at the key it concerns.

A check of a whole section raises ``SettingError`` with the keys of its faults, which are put
below the section's path; pydantic's own errors are reworded (``wording``); the provider's
type that pydantic puts in the path is taken out, and a short ``[provider]`` form's keys are
written back as that form writes them. The routing table is checked on its own when another
section failed, since ``Settings`` then never checks it.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from bridge.providers.registry import KINDS
from bridge.settings.providers import SHORT_FORM_KEYS
from bridge.settings.root import ENV_PREFIX, Settings
from bridge.settings.routes import RouteTable
from bridge.settings.section import Section, SettingError, secret_fields
from bridge.settings.wording import plain_message

__all__ = ["as_written", "problems", "secrets_in_file", "short_name"]


def _all_sections(base: type[Section] = Section) -> list[type[Section]]:
    found = []
    for cls in base.__subclasses__():
        found += [cls, *_all_sections(cls)]
    return found


SECRET_KEYS = frozenset(name for cls in _all_sections() for name in secret_fields(cls))


def secrets_in_file(data: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    problems = []
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            problems += secrets_in_file(value, f"{path}.")
        elif key in SECRET_KEYS:
            env = ENV_PREFIX + path.replace(".", "__").upper()
            problems.append(
                (path, f"secrets are not read from the settings file: set {env} or {key}_file")
            )
    return problems


def short_name(data: dict[str, Any]) -> str | None:
    """The provider's name when the file uses the short ``[provider]`` form."""
    short = data.get("provider")
    if not isinstance(short, dict):
        return None
    name = short.get("name", "sandbox")
    return name if isinstance(name, str) else None


def problems(exc: ValidationError, data: dict[str, Any]) -> list[tuple[str, str]]:
    """Every fault in ``exc``, and the routing table's if another section hid them."""
    found = _problems(exc, data)
    return found + _table_problems(data, found)


def _problems(exc: ValidationError, data: dict[str, Any]) -> list[tuple[str, str]]:
    problems = []
    short = short_name(data)
    for err in exc.errors():
        err["loc"] = _untagged(err["loc"])
        path = ".".join(str(part) for part in err["loc"])
        cause = err.get("ctx", {}).get("error")
        if isinstance(cause, SettingError):
            problems += [(_below(path, key), message) for key, message in cause.faults]
        elif err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            problems.append(_provider_type(err["loc"], short))
        else:
            problems.append((path or "(top level)", plain_message(err, Settings, data)))
    return problems


def _table_problems(data: dict[str, Any], found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The routing table's own faults when another section failed (and so hid them)."""
    if any(key.split(".")[0] in ("routes", "calendars") for key, _ in found):
        return []  # reported already, or the table could not be read
    try:
        RouteTable(routes=data.get("routes", ()), calendars=data.get("calendars", ()))
    except ValidationError as exc:
        return _problems(exc, data)
    return []


def _untagged(loc: tuple[int | str, ...]) -> tuple[int | str, ...]:
    """pydantic puts the provider's type in the path (``providers.main.twilio.x``); the file
    does not (``providers.main.x``)."""
    if len(loc) > 2 and loc[0] == "providers" and loc[2] in {kind.name for kind in KINDS}:
        return (*loc[:2], *loc[3:])
    return loc


def _below(path: str, key: str) -> str:
    return ".".join(part for part in (path, key) if part) or "(top level)"


def _provider_type(loc: tuple[int | str, ...], short: str | None) -> tuple[str, str]:
    """A provider table whose ``type`` is missing or not one the registry knows."""
    known = ", ".join(kind.name for kind in KINDS)
    where = "provider.name" if short is not None else ".".join(map(str, (*loc, "type")))
    return where, f"not a provider type: write one of {known}"


def as_written(path: str, short: str | None) -> str:
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
