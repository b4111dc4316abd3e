"""Settings that are valid but risky, or that will not do what an admin expects.

Nothing here refuses a file: ``smsbridge check-config`` prints each as a warning with its
line, and ``run`` logs them at start. Each is ``(key path, message)``, the key as ``Settings``
names it (``SettingsFile.place`` writes it as the file does, with its line).
"""

from __future__ import annotations

import ipaddress

from bridge.parsing.numbers import is_e164
from bridge.providers.registry import provider_warnings
from bridge.routing.checks import warnings_for
from bridge.settings.root import Settings

__all__ = ["advice"]

# Top-level domains common enough that an allow-list entry naming one is surely a mistake.
_PUBLIC_SUFFIXES = frozenset({"com", "net", "org", "edu", "gov", "io", "info", "biz", "co.uk"})


def advice(settings: Settings) -> list[tuple[str, str]]:
    """Every warning about ``settings``, in no particular order (the report sorts by line)."""
    providers = provider_warnings(
        settings.providers,
        public_url=settings.bridge.public_url,
        has_numbers=bool(settings.numbers),
    )
    return [
        *providers,
        *warnings_for(settings.routes, settings.inbound),
        *_open_senders(settings.smtp.allowed_senders),
        *_open_networks(settings),
        *_numbers_not_owned(settings),
    ]


def _open_senders(patterns: tuple[str, ...]) -> list[tuple[str, str]]:
    found = []
    for pattern in patterns:
        if "*" in pattern or not pattern.strip("@."):
            found.append(
                (
                    "smtp.allowed_senders",
                    f"{pattern!r} is not a wildcard: a pattern is an address or a domain, so it"
                    " matches nobody; list your own domains (letting every sender text would"
                    " make the bridge an open relay to phones, at your cost)",
                )
            )
        elif len(pattern) == 2 or pattern in _PUBLIC_SUFFIXES:
            found.append(
                (
                    "smtp.allowed_senders",
                    f"{pattern!r} lets every address under .{pattern} send texts: anyone who"
                    " reaches the bridge and writes such an address can text at your cost;"
                    " list your own domains",
                )
            )
    return found


def _open_networks(settings: Settings) -> list[tuple[str, str]]:
    found = []
    for network in settings.smtp.trusted_networks:
        if ipaddress.ip_network(network, strict=False).prefixlen == 0:
            found.append(
                (
                    "smtp.trusted_networks",
                    f"{network} is every address: anyone on the internet who reaches port"
                    f" {settings.smtp.port} and writes an allowed sender in MAIL FROM can text;"
                    " list your mail servers' networks",
                )
            )
    for network in settings.admin.allowed_networks if settings.admin.enabled else ():
        if ipaddress.ip_network(network, strict=False).prefixlen == 0:
            found.append(
                (
                    "admin.allowed_networks",
                    f"{network} offers the admin page to every address; list the networks"
                    " your admins use",
                )
            )
    return found


def _numbers_not_owned(settings: Settings) -> list[tuple[str, str]]:
    owned = {number.number for number in settings.numbers}
    found = []
    for index, route in enumerate(settings.routes):
        found += [
            (
                f"routes.{index}.numbers",
                f"{number} is not in [[numbers]], so no customer's text arrives on it and"
                f" route {route.name!r} never matches for it: correct it, or add it to [[numbers]]",
            )
            for number in route.numbers
            if number not in owned
        ]
    senders = [("senders.default", settings.senders.default)]
    senders += [
        (f"senders.rules.{i}.sender", r.sender) for i, r in enumerate(settings.senders.rules)
    ]
    found += [
        (
            key,
            f"{sender} is not in [[numbers]]: customers' replies to it never come back as"
            " email; add it to [[numbers]] (with an inbox)",
        )
        for key, sender in senders
        if is_e164(sender) and sender not in owned
    ]
    return found
