"""Email addresses against lists of addresses and domains: the one rule for matching them.

The allow-list (``smtp.allowed_senders``), sender rules and provider rules all name either a
whole address (``alice@example.com``) or a domain (``example.com``), and a domain covers its
subdomains (``sales.example.com``). A domain may be a single label: mail from cron and from
hosts without a dotted name comes from ``root@localhost`` or ``root@buildhost``. Comparison
ignores case.
"""

from __future__ import annotations

import re
from collections.abc import Collection

__all__ = ["best_match", "domain_of", "malformed", "matches", "widest_match"]

# A control character, or a byte that was not UTF-8 (a lone surrogate, as aiosmtpd decodes
# a command's argument): in no address (RFC 5321, RFC 6531), and in no store either.
_MALFORMED = re.compile("[\x00-\x1f\x7f-\x9f\udc80-\udcff]")


def domain_of(address: str) -> str:
    """The domain of an address, lower-cased; empty when there is none."""
    return address.rpartition("@")[2].lower() if "@" in address else ""


def _candidates(address: str) -> list[str]:
    """The address, then its domain, then each parent domain: most specific first."""
    address = address.strip().lower()
    at = address.rfind("@")
    found = [address] if at >= 0 else []
    domain = address[at + 1 :] if at >= 0 else ""
    while domain:
        found.append(domain)
        dot = domain.find(".")
        domain = domain[dot + 1 :] if dot >= 0 else ""
    return [c for c in found if c and not c.startswith(".")]


def best_match(address: str, patterns: Collection[str]) -> str | None:
    """The most specific of ``patterns`` (lower-case addresses or domains) that covers
    ``address``, or None."""
    return next((c for c in _candidates(address) if c in patterns), None)


def widest_match(address: str, patterns: Collection[str]) -> str | None:
    """The least specific of ``patterns`` that covers ``address`` (a team's whole domain
    before one of its addresses), or None."""
    return next((c for c in reversed(_candidates(address)) if c in patterns), None)


def matches(address: str, patterns: Collection[str]) -> bool:
    """True if one of ``patterns`` names the address, its domain or a parent domain."""
    return bool(address) and best_match(address, patterns) is not None


def malformed(address: str) -> bool:
    """True if ``address`` holds a character no address may hold."""
    return _MALFORMED.search(address) is not None
