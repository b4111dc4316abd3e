"""Who may send texts, and under which sender identity: pure functions of the settings.

Kept apart from the SMTP code so the IMAP edge (a later issue) applies exactly the same rules.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from bridge.settings.text import SendersSettings

__all__ = ["SenderIdentity", "domain_of", "may_send", "peer_trusted", "sender_for"]


@dataclass(frozen=True, slots=True)
class SenderIdentity:
    """What the phone shows as the sender, and how long this author's texts may be."""

    sender: str
    max_segments: int | None


def domain_of(address: str) -> str:
    """The domain of an address, lower-cased; empty when there is none."""
    return address.rpartition("@")[2].lower() if "@" in address else ""


def _candidates(address: str) -> list[str]:
    """The address, then its domain, then each parent domain: most specific first."""
    address = address.lower()
    labels = domain_of(address).split(".")
    return [address] + [".".join(labels[i:]) for i in range(len(labels) - 1)]


def may_send(address: str, *, allowed: tuple[str, ...]) -> bool:
    """True if the address or one of its (parent) domains is on the allow-list."""
    wanted = set(allowed)
    return any(candidate in wanted for candidate in _candidates(address))


def peer_trusted(host: str, *, networks: tuple[str, ...]) -> bool:
    """True if the client's IP address lies in one of the trusted networks."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in networks)


def sender_for(author: str, *, settings: SendersSettings) -> SenderIdentity:
    """The first rule naming the author's address, else its domain, else the default."""
    rules = {rule.match: rule for rule in settings.rules}
    for candidate in _candidates(author):
        rule = rules.get(candidate)
        if rule is not None:
            return SenderIdentity(sender=rule.sender, max_segments=rule.max_segments)
    return SenderIdentity(sender=settings.default, max_segments=None)
