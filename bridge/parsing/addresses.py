"""Email addresses against lists of addresses and domains: the one rule for matching them.

The allow-list (``smtp.allowed_senders``), sender rules and provider rules all name either a
whole address (``alice@example.com``) or a domain (``example.com``), and a domain covers its
subdomains (``sales.example.com``). A domain may be a single label: mail from cron and from
hosts without a dotted name comes from ``root@localhost`` or ``root@buildhost``. Comparison
ignores case.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["best_match", "domain_of", "matches"]


def domain_of(address: str) -> str:
    """The domain of an address, lower-cased; empty when there is none."""
    return address.rpartition("@")[2].lower() if "@" in address else ""


def _candidates(address: str) -> list[str]:
    """The address, then its domain, then each parent domain: most specific first."""
    address = address.strip().lower()
    labels = domain_of(address).split(".")
    parents = [".".join(labels[i:]) for i in range(len(labels)) if labels[i]]
    return [address, *parents] if "@" in address else parents


def best_match(address: str, patterns: Iterable[str]) -> str | None:
    """The most specific of ``patterns`` (lower-case addresses or domains) that covers
    ``address``, or None."""
    wanted = set(patterns)
    return next((c for c in _candidates(address) if c in wanted), None)


def matches(address: str, patterns: Iterable[str]) -> bool:
    """True if one of ``patterns`` names the address, its domain or a parent domain."""
    return bool(address) and best_match(address, patterns) is not None
