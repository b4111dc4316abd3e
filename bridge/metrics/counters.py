"""The bridge's metrics, defined once, in a registry of their own.

Each is counted where its event happens, by the one module that makes it happen: the chain's
decisions in ``bridge.chain.gate``, provider calls and their outcomes in
``bridge.workers.sms``, delivery reports in ``bridge.inbound.reports``, consent in the store's
``record_consent``, inbound texts in ``bridge.workers.inbound``, the bridge's own emails in
``bridge.workers.mail``. Labels are bounded sets (providers, the bridge's own senders,
categories, rule names, error codes, route names), never a customer's number or a text.

Counters live in the process, as Prometheus expects (it reads a restart as a reset); what is
stored (the queue) is read at scrape time by ``bridge.metrics.endpoint`` with one query.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.process_collector import ProcessCollector

__all__ = [
    "BREAKER_OPEN",
    "CONSENT_EVENTS",
    "DECISIONS",
    "DELIVERY_REPORTS",
    "INBOUND_TEXTS",
    "MAIL",
    "PROVIDER_SECONDS",
    "QUEUE_JOBS",
    "QUEUE_OLDEST",
    "REGISTRY",
    "TEXTS_FAILED",
    "TEXTS_SENT",
]

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)  # memory, CPU, open files: the process's own health

DECISIONS = Counter(
    "smsbridge_chain_decisions",
    "Outbound texts decided by the chain: accepted, refused or deferred, and by which rule",
    ["stage", "outcome", "rule", "category"],
    registry=REGISTRY,
)
TEXTS_SENT = Counter(
    "smsbridge_texts_sent",
    "Texts a provider accepted",
    ["provider", "sender", "category"],
    registry=REGISTRY,
)
TEXTS_FAILED = Counter(
    "smsbridge_texts_failed",
    "Texts that failed for good (their authors are told), by the provider's error code",
    ["provider", "reason"],
    registry=REGISTRY,
)
PROVIDER_SECONDS = Histogram(
    "smsbridge_provider_send_seconds",
    "How long a provider took to answer a send",
    ["provider", "outcome"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
DELIVERY_REPORTS = Counter(
    "smsbridge_delivery_reports",
    "Providers' delivery reports applied to texts, by the state they report",
    ["provider", "state"],
    registry=REGISTRY,
)
CONSENT_EVENTS = Counter(
    "smsbridge_consent_events",
    "Opt-ins and opt-outs recorded in the consent ledger, and how they came",
    ["event", "how"],
    registry=REGISTRY,
)
INBOUND_TEXTS = Counter(
    "smsbridge_inbound_texts",
    "Customers' texts routed, by the route that took them",
    ["route"],
    registry=REGISTRY,
)
MAIL = Counter(
    "smsbridge_mail",
    "The bridge's own emails (customers' texts, notices): delivered, retried or failed",
    ["kind", "outcome"],
    registry=REGISTRY,
)
BREAKER_OPEN = Gauge(
    "smsbridge_provider_breaker_open",
    "1 while a provider's circuit breaker is open (texts go to the next provider)",
    ["provider"],
    registry=REGISTRY,
)
QUEUE_JOBS = Gauge(
    "smsbridge_queue_jobs",
    "Jobs in the store's queues, read at scrape time",
    ["queue", "state"],
    registry=REGISTRY,
)
QUEUE_OLDEST = Gauge(
    "smsbridge_queue_oldest_seconds",
    "Age of the oldest job that is due and not yet taken (0: none), read at scrape time",
    ["queue"],
    registry=REGISTRY,
)
