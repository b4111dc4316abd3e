"""The rows of a report (``bridge.reports``), read once for both backends.

Each statement of ``bridge/store/queries/reports.sql`` groups in the database, so a report
over a month of a million texts reads a few thousand rows: one pass over the period's texts
(counts, delivery times and failure reasons by group and country), the customers texted
with how many of them opted in, opted out and replied, and the staff's response times. For a
team the counting statements give the author, made a team here (``domain_of``), the one
definition the SQL's own (for distinct customers) is tested against.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from bridge.parsing.addresses import domain_of
from bridge.reports.data import Counts, Customers, Failure, Key, ReportData, Tally
from bridge.store.queries import Q
from bridge.store.statements import Op, all_rows, one_row

__all__ = ["report_data"]

_TOOK = frozenset({"sent", "delivered", "undelivered"})  # a provider took the text
_FAILED = frozenset({"failed", "undelivered"})
_PENDING = frozenset({"queued", "sending", "held"})  # held: a bulk send waiting for SEND


def report_data(key: Key, start: float, end: float) -> Op[ReportData]:
    """What a report by ``key`` over the texts accepted in [start, end) is computed from."""
    texts = yield all_rows(Q.report_texts, key, start, end)
    failures = yield all_rows(Q.report_failures, key, start, end)
    customers = yield all_rows(Q.report_customers, key, start, end)
    everyone = yield one_row(Q.report_customers_total, start, end)
    events = yield all_rows(Q.report_customer_events, key, start, end, start, end, start, end)
    ledger = yield all_rows(Q.report_consent_events, start, end)
    responses = yield all_rows(Q.report_responses, key, start, end)
    group = domain_of if key == "team" else str
    flags = _flags(events, group)
    answered, unanswered = _first_answers(responses, group)
    return ReportData(
        key=key,
        start=start,
        end=end,
        counts=_counts(texts, group),
        delivery=_tallies([row for row in texts if row["state"] == "delivered"], group),
        failures=_failures(failures, group),
        customers=tuple(
            _customers(row["grp"] or "", int(row["customers"]), flags.get(row["grp"] or ""))
            for row in customers
        ),
        all_customers=_customers(
            "", int(everyone["customers"] or 0) if everyone else 0, flags.get(None)
        ),
        ledger={row["action"]: int(row["events"]) for row in ledger},
        responses=answered,
        unanswered=unanswered,
    )


def _first_answers(rows: list[Any], group: Any) -> tuple[tuple[Tally, ...], int]:
    """Each inbound text's first answer by a person: (group, seconds) tallies, and how many
    inbound texts have none."""
    first: dict[str, tuple[float, str, float, str]] = {}
    unanswered = set()
    for row in rows:
        if row["answered_at"] is None:
            unanswered.add(row["id"])
            continue
        answer = (float(row["answered_at"]), row["answer"], float(row["received_at"]), row["grp"])
        if row["id"] not in first or answer < first[row["id"]]:
            first[row["id"]] = answer
    merged: defaultdict[tuple[str, int], int] = defaultdict(int)
    for answered_at, _, received_at, grp in first.values():
        merged[(group(grp or ""), math.floor(answered_at - received_at + 0.5))] += 1
    tallies = tuple(Tally(grp, seconds, texts) for (grp, seconds), texts in merged.items())
    return tallies, len(unanswered)


def _counts(rows: list[Any], group: Any) -> tuple[Counts, ...]:
    """The pass's rows summed by group and country."""
    sums: defaultdict[tuple[str, str], list[Any]] = defaultdict(lambda: [0] * 8 + [0.0])
    for row in rows:
        state, texts = row["state"], int(row["texts"])
        took = state in _TOOK
        add = (
            texts,
            texts if took else 0,
            texts if state == "delivered" else 0,
            texts if state in _FAILED else 0,
            texts if state in _PENDING else 0,
            texts if state == "cancelled" else 0,
            int(row["segments"]) if took else 0,
            int(row["unpriced_segments"]) if took else 0,
            float(row["reported_cost"] or 0.0) if took else 0.0,
        )
        total = sums[(group(row["grp"] or ""), row["country"] or "")]
        for index, value in enumerate(add):
            total[index] += value
    return tuple(
        Counts(
            grp,
            country,
            accepted=values[0],
            sent=values[1],
            delivered=values[2],
            failed=values[3],
            pending=values[4],
            cancelled=values[5],
            segments=values[6],
            unpriced_segments=values[7],
            reported_cost=float(values[8]),
        )
        for (grp, country), values in sums.items()
    )


def _tallies(rows: list[Any], group: Any) -> tuple[Tally, ...]:
    merged: defaultdict[tuple[str, int], int] = defaultdict(int)
    for row in rows:
        merged[(group(row["grp"] or ""), int(row["seconds"]))] += int(row["texts"])
    return tuple(Tally(grp, seconds, texts) for (grp, seconds), texts in merged.items())


def _failures(rows: list[Any], group: Any) -> tuple[Failure, ...]:
    merged: defaultdict[tuple[str, str, str], int] = defaultdict(int)
    for row in rows:
        merged[(group(row["grp"] or ""), row["code"], row["error"])] += int(row["texts"])
    return tuple(Failure(*where, texts) for where, texts in merged.items())


def _flags(rows: list[Any], group: Any) -> dict[str | None, tuple[int, int, int]]:
    """(opted in, opted out, replied) by group, each customer once in a group, and across
    every group under None: a reply counts when it is at or after the group's first text."""
    first: dict[tuple[str | None, str], float] = {}
    facts: dict[str, tuple[int, int, float | None]] = {}
    for row in rows:
        number, at = row["number"], float(row["first_at"])
        last = row["last_reply_at"]
        facts[number] = (int(row["opted_in"]), int(row["opted_out"]), last and float(last))
        for key in ((group(row["grp"] or ""), number), (None, number)):
            first[key] = min(first.get(key, at), at)
    flags: defaultdict[str | None, list[int]] = defaultdict(lambda: [0, 0, 0])
    for (grp, number), at in first.items():
        opted_in, opted_out, last = facts[number]
        total = flags[grp]
        total[0] += opted_in
        total[1] += opted_out
        total[2] += int(last is not None and last >= at)
    return {grp: (a, b, c) for grp, (a, b, c) in flags.items()}


def _customers(group: str, customers: int, flags: tuple[int, int, int] | None) -> Customers:
    opted_in, opted_out, replied = flags or (0, 0, 0)
    return Customers(group, customers, opted_in, opted_out, replied)
