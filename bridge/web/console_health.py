"""The console's provider health page: each provider's circuit breaker, its recent latency
and last error (``bridge.metrics.latest``, this process's own sends), the queues, and charts
of the texts made in the last two days by hour and of the delivery rate of the last week
by day (inline SVG, ``bridge.web.charts``). The page reloads itself every
``admin.refresh_seconds``.

The breakers live in memory (``bridge.providers.choice``), so with several bridges on one
database each page shows the bridge that served it; the charts read the store, shared by all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from html import escape

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bridge.metrics.latest import LATEST
from bridge.providers.base import Carrier
from bridge.providers.breaker import BreakerState
from bridge.store.base import QueueGauge
from bridge.web.charts import bars, stacked_bars
from bridge.web.console_common import Pages, header, when
from bridge.web.guarded import guarded

__all__ = ["GROUPS", "health_routes"]

HOURS = 48
DAYS = 7
CACHED = timedelta(minutes=1)
# How the chart groups the states, and their colours.
GROUPS = (
    ("delivered", "#2f855a", ("delivered",)),
    ("sent (no report yet)", "#63b3ed", ("sent",)),
    ("waiting", "#a0aec0", ("queued", "sending")),
    ("failed", "#c53030", ("failed", "undelivered")),
    ("cancelled", "#ecc94b", ("cancelled",)),
)


def health_routes(
    pages: Pages, *, carriers: Sequence[Carrier], refresh: Callable[[], int]
) -> list[Route]:
    """``GET /admin/health``."""

    kept: list[tuple[datetime, list[tuple[int, str, int]]]] = []

    async def volume(now: datetime) -> list[tuple[int, str, int]]:
        """The charts' counts, read at most once a ``CACHED`` (they read every text of the
        last week, and several admins' pages reload themselves)."""
        if kept and now - kept[0][0] < CACHED:
            return kept[0][1]
        since = (now - timedelta(days=DAYS)).replace(minute=0, second=0, microsecond=0)
        kept[:] = [(now, await pages.store.volume(since=since))]
        return kept[0][1]

    async def health(request: Request) -> Response:
        now = pages.clock()
        gauges = await pages.store.queue_gauges(now=now)
        seconds = refresh()
        body = (
            f"{header(request, 'smsbridge admin: providers')}<main>"
            f"{_providers(carriers, now)}{_queue(gauges)}{_charts(await volume(now), now)}"
            f"{_reloads(seconds)}</main>"
        )
        return pages.render("Providers: smsbridge admin", body, refresh=seconds)

    return [Route("/admin/health", guarded(pages.guard, health), methods=["GET"])]


def _providers(carriers: Sequence[Carrier], now: datetime) -> str:
    if not carriers:
        return "<section><h2>Providers</h2><p>No provider is configured.</p></section>"
    head = (
        "<tr><th>Provider</th><th>Breaker</th><th>Recent sends</th><th>Latency p50 / p95</th>"
        "<th>Failures</th><th>Last error</th></tr>"
    )
    rows = "".join(_provider(carrier, now.timestamp()) for carrier in carriers)
    note = "<p>Latency and errors are this bridge's own, since it started.</p>"
    return f'<section><h2>Providers</h2><table id="providers">{head}{rows}</table>{note}</section>'


def _provider(carrier: Carrier, now: float) -> str:
    state = carrier.breaker.state(now)
    breaker = state.value
    if state is BreakerState.OPEN:
        breaker += f" (tries again in {carrier.breaker.reopens_in(now):.0f} s)"
    answers = LATEST.of(carrier.name)
    p50, p95 = answers.percentile(0.5), answers.percentile(0.95)
    latency = f"{p50 * 1000:.0f} ms / {p95 * 1000:.0f} ms" if p50 is not None and p95 else "-"
    error = (
        f"{answers.last_error} ({when(answers.last_error_at)})" if answers.last_error_at else "-"
    )
    cells = (
        carrier.name,
        breaker,
        str(len(answers.seconds)),
        latency,
        str(answers.failures),
        error,
    )
    row = "".join(f"<td>{escape(cell)}</td>" for cell in cells)
    return f'<tr class="breaker-{state.value}">{row}</tr>'


def _queue(gauges: dict[str, QueueGauge]) -> str:
    """The queues as /metrics reads them: one statement on their partial indexes."""
    sms, mail = gauges["sms"], gauges["mail"]
    items = (
        ("texts due", str(sms.due)),
        ("texts waiting for later", str(sms.later)),
        ("texts being sent", str(sms.sending)),
        ("oldest due text waited", f"{sms.oldest_seconds:.0f} s"),
        ("emails to deliver", str(mail.due + mail.sending)),
    )
    stats = "".join(f'<div class="stat"><b>{n}</b>{escape(label)}</div>' for label, n in items)
    return f'<section id="queue"><h2>Queue</h2><div class="stats">{stats}</div></section>'


def _charts(volume: list[tuple[int, str, int]], now: datetime) -> str:
    hour_now = int(now.timestamp() // 3600)
    by_hour: dict[int, dict[str, int]] = defaultdict(dict)
    for hour, state, n in volume:
        by_hour[hour][state] = by_hour[hour].get(state, 0) + n
    hours = range(hour_now - HOURS + 1, hour_now + 1)
    labels = [f"{datetime.fromtimestamp(h * 3600, UTC):%d %H:00}" for h in hours]
    series = [
        (name, colour, [sum(by_hour[h].get(s, 0) for s in states) for h in hours])
        for name, colour, states in GROUPS
    ]
    volume_chart = stacked_bars("Texts made per hour (UTC)", labels, series, every=6)
    return (
        '<section id="volume"><h2>Texts in the last 48 hours</h2>'
        f"{volume_chart}</section>"
        '<section id="delivery"><h2>Delivery rate by day</h2>'
        f"{_delivery(by_hour, now)}</section>"
    )


def _delivery(by_hour: dict[int, dict[str, int]], now: datetime) -> str:
    """Delivered as a share of the texts whose fate is known (delivered, undelivered,
    failed), by the day they were made."""
    today = now.astimezone(UTC).date()
    days = [today - timedelta(days=n) for n in range(DAYS - 1, -1, -1)]
    totals: dict[object, list[int]] = {day: [0, 0] for day in days}
    for hour, states in by_hour.items():
        day = datetime.fromtimestamp(hour * 3600, UTC).date()
        if day in totals:
            totals[day][0] += states.get("delivered", 0)
            totals[day][1] += sum(states.get(s, 0) for s in ("delivered", "undelivered", "failed"))
    rates = [100 * done / known if known else None for done, known in totals.values()]
    labels = [f"{day:%d %b}" for day in days]
    chart = bars("Delivered, of the texts whose fate is known", labels, rates, unit="%")
    if all(rate is None for rate in rates):
        chart += '<p class="note">No delivery report, nor failure, in these days yet.</p>'
    return chart


def _reloads(seconds: int) -> str:
    if seconds <= 0:
        return ""
    return f'<p class="note">This page reloads every {seconds} s.</p>'
