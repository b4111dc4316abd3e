"""The rows of a report (``bridge.reports``), read once for both backends.

Each statement of ``bridge/store/queries/reports.sql`` groups in the database, so a report
over a month of a million texts reads a few thousand rows: counts by group and country,
delivery and response times as (group, seconds, texts) histograms, failure reasons, and the
customers texted with how many of them opted in, opted out and replied.
"""

from __future__ import annotations

from typing import Any

from bridge.reports.data import Counts, Customers, Failure, Key, ReportData, Tally
from bridge.store.queries import Q
from bridge.store.statements import Op, all_rows, one_row

__all__ = ["report_data"]


def report_data(key: Key, start: float, end: float) -> Op[ReportData]:
    """What a report by ``key`` over the texts accepted in [start, end) is computed from."""
    counts = yield all_rows(Q.report_totals, key, start, end)
    delivery = yield all_rows(Q.report_delivery_times, key, start, end)
    failures = yield all_rows(Q.report_failures, key, start, end)
    window = (start, end, start, end, end)
    customers = yield all_rows(Q.report_customers, *window, key, start, end)
    everyone = yield one_row(Q.report_customers_total, *window, start, end)
    ledger = yield all_rows(Q.report_consent_events, start, end)
    responses = yield all_rows(Q.report_responses, key, start, end)
    answered = [row for row in responses if row["grp"] is not None]
    return ReportData(
        key=key,
        start=start,
        end=end,
        counts=tuple(_counts(row) for row in counts),
        delivery=tuple(_tally(row) for row in delivery),
        failures=tuple(
            Failure(row["grp"] or "", row["code"], row["error"], int(row["texts"]))
            for row in failures
        ),
        customers=tuple(_customers(row, row["grp"] or "") for row in customers),
        all_customers=_customers(everyone, "") if everyone else Customers("", 0, 0, 0, 0),
        ledger={row["action"]: int(row["events"]) for row in ledger},
        responses=tuple(_tally(row) for row in answered),
        unanswered=sum(int(row["texts"]) for row in responses if row["grp"] is None),
    )


def _counts(row: Any) -> Counts:
    return Counts(
        group=row["grp"] or "",
        country=row["country"] or "",
        accepted=int(row["accepted"]),
        sent=int(row["sent"]),
        delivered=int(row["delivered"]),
        failed=int(row["failed"]),
        pending=int(row["pending"]),
        cancelled=int(row["cancelled"]),
        segments=int(row["segments"]),
        unpriced_segments=int(row["unpriced_segments"]),
        reported_cost=float(row["reported_cost"] or 0.0),
    )


def _tally(row: Any) -> Tally:
    return Tally(row["grp"] or "", int(row["seconds"]), int(row["texts"]))


def _customers(row: Any, group: str) -> Customers:
    return Customers(
        group=group,
        customers=int(row["customers"] or 0),
        opted_in=int(row["opted_in"] or 0),
        opted_out=int(row["opted_out"] or 0),
        replied=int(row["replied"] or 0),
    )
