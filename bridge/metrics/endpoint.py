"""``GET /metrics``: the Prometheus text format, for the networks ``metrics.allowed_networks``
names (loopback unless set), 403 with a sentence for any other.

A scrape reads the store once (``Store.queue_gauges``: one statement on the queues' partial
indexes) and the providers' breakers from memory; the counters are the process's own
(``bridge.metrics.counters``). A store that does not answer leaves the queue gauges out of
that scrape, and the rest is still served: a scrape failing whole would hide the counters that
say why.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from bridge.clock import Clock
from bridge.metrics.counters import BREAKER_OPEN, QUEUE_JOBS, QUEUE_OLDEST, REGISTRY
from bridge.parsing.networks import Networks
from bridge.providers.base import Carrier
from bridge.providers.breaker import BreakerState
from bridge.store.base import Store

__all__ = ["metrics_routes"]

log = logging.getLogger(__name__)

_REFUSED = (
    "The bridge's metrics are not served to this address: add its network to"
    " metrics.allowed_networks to let a Prometheus server there read them.\n"
)


def metrics_routes(
    *,
    store: Store,
    carriers: Iterable[Carrier],
    allowed_networks: Iterable[str],
    clock: Clock = lambda: datetime.now(UTC),
) -> list[BaseRoute]:
    networks = Networks(tuple(allowed_networks))
    carriers = tuple(carriers)

    async def metrics(request: Request) -> Response:
        if (request.client.host if request.client else "") not in networks:
            return PlainTextResponse(_REFUSED, status_code=403)
        await _read_queues(store, clock())
        _read_breakers(carriers, clock().timestamp())
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return [Route("/metrics", metrics, methods=["GET"])]


async def _read_queues(store: Store, now: datetime) -> None:
    try:
        gauges = await store.queue_gauges(now=now)
    except Exception as exc:
        log.error("metrics: the store did not answer: %s", type(exc).__name__)
        QUEUE_JOBS.clear()
        QUEUE_OLDEST.clear()
        return
    for queue, gauge in gauges.items():
        QUEUE_JOBS.labels(queue, "due").set(gauge.due)
        QUEUE_JOBS.labels(queue, "later").set(gauge.later)
        QUEUE_JOBS.labels(queue, "sending").set(gauge.sending)
        QUEUE_OLDEST.labels(queue).set(gauge.oldest_seconds)


def _read_breakers(carriers: tuple[Carrier, ...], now: float) -> None:
    for carrier in carriers:
        opened = carrier.breaker.state(now) is BreakerState.OPEN
        BREAKER_OPEN.labels(carrier.name).set(1 if opened else 0)
