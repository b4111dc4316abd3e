"""Which providers may carry a text, in failover order.

``[[provider_rules]]`` are tried in order; the first whose every given criterion matches the
job (author or author's domain, sending identity, destination country, inbound route)
gives the list. A job no rule matches may use every provider, in the order the settings
file lists them. Each provider keeps its circuit breaker here, shared by all jobs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bridge.models import NewSmsJob, SmsJob
from bridge.parsing.addresses import matches
from bridge.parsing.numbers import country_of
from bridge.providers.base import Carrier, Provider
from bridge.providers.breaker import Breaker
from bridge.settings.providers import ProviderRule

__all__ = ["Carrier", "ProviderChoice"]


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

    def carriers_for(self, job: SmsJob | NewSmsJob) -> list[Carrier]:
        """The providers this job may use, first choice first."""
        for rule in self._rules:
            if _matches(rule, job):
                return [self._carriers[name] for name in rule.providers]
        return self.carriers

    def mms_for(self, job: NewSmsJob) -> tuple[str, frozenset[str]]:
        """The job's first provider and where it sends pictures (``bridge.media.outbound``)."""
        carriers = self.carriers_for(job)
        if not carriers:
            return "no provider", frozenset()
        return carriers[0].name, carriers[0].mms_countries


def _matches(rule: ProviderRule, job: SmsJob | NewSmsJob) -> bool:
    if rule.authors and not matches(job.author, rule.authors):
        return False
    if rule.senders and job.sender not in rule.senders:
        return False
    if rule.routes and job.route not in rule.routes:
        return False
    return not rule.countries or country_of(job.to_number) in rule.countries
