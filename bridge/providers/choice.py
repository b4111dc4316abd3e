"""Which providers may carry a text, in failover order.

``[[provider_rules]]`` are tried in order; the first whose every given criterion matches the
job (author or author's domain, sending identity, destination country, inbound route)
gives the list. A job no rule matches may use every provider, in the order the settings
file lists them. Each provider keeps its circuit breaker here, shared by all jobs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import phonenumbers

from bridge.config_providers import ProviderRule
from bridge.models import SmsJob
from bridge.providers.base import Provider
from bridge.providers.breaker import Breaker

__all__ = ["Carrier", "ProviderChoice"]


@dataclass(frozen=True, slots=True)
class Carrier:
    """A configured provider and its circuit breaker."""

    name: str
    provider: Provider
    breaker: Breaker


class ProviderChoice:
    def __init__(self, carriers: Iterable[Carrier], rules: Sequence[ProviderRule] = ()) -> None:
        self._carriers = {carrier.name: carrier for carrier in carriers}
        self._rules = tuple(rules)

    @classmethod
    def single(cls, provider: Provider) -> ProviderChoice:
        """One provider and a breaker that never opens: the plain case, and most tests."""
        return cls([Carrier(provider.name, provider, Breaker(failures=10**9, cooldown=1.0))])

    @property
    def carriers(self) -> list[Carrier]:
        return list(self._carriers.values())

    def get(self, name: str) -> Carrier | None:
        return self._carriers.get(name)

    def chain(self, job: SmsJob) -> list[Carrier]:
        """The providers this job may use, first choice first."""
        for rule in self._rules:
            if _matches(rule, job):
                return [self._carriers[name] for name in rule.providers]
        return self.carriers


def _matches(rule: ProviderRule, job: SmsJob) -> bool:
    if rule.authors and not _author_matches(rule.authors, job.author.lower()):
        return False
    if rule.senders and job.sender not in rule.senders:
        return False
    if rule.routes and job.route not in rule.routes:
        return False
    return not rule.countries or _region(job.to_number) in rule.countries


def _author_matches(patterns: tuple[str, ...], author: str) -> bool:
    domain = author.rpartition("@")[2]
    return bool(author) and any(p in (author, domain) for p in patterns)


def _region(number: str) -> str | None:
    """The number's country; for a number no region claims (a reserved range, say), the
    main country of its calling code, so +44 7700 900123 is GB."""
    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        return None
    region = phonenumbers.region_code_for_number(parsed)
    return region or phonenumbers.region_code_for_country_code(parsed.country_code or 0)
