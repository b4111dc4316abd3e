"""Variables for providers the settings file does not define: ignored, and warned about.

``SMSBRIDGE_PROVIDERS__TWILIO__AUTH_TOKEN`` left in the environment after ``[providers.twilio]``
was removed (or renamed, or written in the short ``[provider]`` form) would otherwise make a
provider table of its own, with a secret and no ``type``, and the whole file would be refused
for a provider it does not have. Such a variable is ignored instead; ``stray_variables``
names each, so ``check-config`` and the start-up log can say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bridge.settings.providers import SHORT_FORM_KEYS

__all__ = ["stray_variables", "without_strays"]

_LONG, _SHORT = "SMSBRIDGE_PROVIDERS", "SMSBRIDGE_PROVIDER"


def _defined(file: Mapping[str, Any]) -> tuple[set[str], str | None]:
    """The file's ``[providers.NAME]`` names, and its ``[provider]`` name if it has one."""
    long = file.get("providers")
    names = {str(name).lower() for name in long} if isinstance(long, dict) else set()
    short = file.get("provider")
    name = short.get("name", "sandbox") if isinstance(short, dict) else None
    return names, str(name).lower() if name is not None else None


def without_strays(env: dict[str, Any], file: Mapping[str, Any]) -> dict[str, Any]:
    """The environment's values (as pydantic-settings nests them) less the strays."""
    long, short = _defined(file)
    kept = dict(env)
    providers = kept.pop("providers", None)
    if isinstance(providers, dict) and short is None:
        tables = {name: table for name, table in providers.items() if name.lower() in long}
        if tables:
            kept["providers"] = tables
    provider = kept.pop("provider", None)
    if isinstance(provider, dict) and not long:
        chosen = short or str(provider.get("name", "sandbox")).lower()
        table = {k: v for k, v in provider.items() if k in SHORT_FORM_KEYS or k.lower() == chosen}
        if table:
            kept["provider"] = table
    return kept


def stray_variables(environ: Mapping[str, str], file: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(variable, why it is ignored)`` for each variable ``without_strays`` leaves out."""
    long, short = _defined(file)
    found = []
    for variable in sorted(environ):
        parts = variable.upper().split("__")
        if len(parts) < 3 or parts[0] not in (_LONG, _SHORT):
            continue
        name = parts[1].lower()
        if parts[0] == _LONG and (short is not None or name not in long):
            found.append((variable, _why_long(name, short)))
        elif parts[0] == _SHORT and (long or name != (short or "sandbox")):
            found.append((variable, _why_short(name, short, long)))
    return found


def _why_long(name: str, short: str | None) -> str:
    if short == name:
        return (
            f"ignored: the file writes [provider], so name it SMSBRIDGE_PROVIDER__{name.upper()}__…"
        )
    return f"ignored: the file defines no [providers.{name}]; remove it, or add that table"


def _why_short(name: str, short: str | None, long: set[str]) -> str:
    if long:
        return (
            "ignored: the file writes [providers.NAME] tables, so name it"
            f" SMSBRIDGE_PROVIDERS__{name.upper()}__…"
        )
    return f"ignored: the file's provider is {short or 'sandbox'}, not {name}; remove it"
