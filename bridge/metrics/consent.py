"""Consent events counted for /metrics once they are stored (opt-in and opt-out rates)."""

from __future__ import annotations

from collections.abc import Iterable

from bridge.metrics.counters import CONSENT_EVENTS
from bridge.models import ConsentEvent

__all__ = ["count_consent"]


def count_consent(events: Iterable[ConsentEvent]) -> None:
    """Count ``events``, which were just committed to the consent ledger."""
    for event in events:
        CONSENT_EVENTS.labels(event.action, event.how).inc()
