"""The preview email's text: what a bulk send would do, so its author can say SEND or CANCEL.

Plain text, exact figures and friendly words: the rows read, the texts that would go (and
how many of them wait, for quiet hours or a cap), duplicates merged, opted-out, refused and
unreadable rows with their lines and reasons (the first ``LISTED``; every row that gets no
text is in the attached CSV, ``not_sent_csv``), segments and their estimated cost, and the
first texts as their customers would read them. Numbers are masked as the bridge masks them
elsewhere (``+44******0123``): an email is forwarded and kept longer than a log.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Mapping

from bridge.bulk.outcomes import CheckedPlan, Cost
from bridge.bulk.results import ResultRow, not_sent, result_lines
from bridge.bulk.status import Status
from bridge.bulk.words import counted, figure
from bridge.parsing.numbers import mask

__all__ = ["LISTED", "NOT_SENT_NAME", "SAMPLES", "not_sent_csv", "preview_text"]

LISTED = 20
SAMPLES = 3
NOT_SENT_NAME = "not-sent.csv"
_INDENT = "    "


def preview_text(
    checked: CheckedPlan,
    *,
    filename: str,
    prices: Mapping[str, float],
    currency: str,
    listed: int = LISTED,
    samples: int = SAMPLES,
) -> str:
    """The preview's body. ``prices`` and ``currency`` are ``compliance.prices`` and
    ``compliance.currency``, as the spend cap uses them."""
    going = checked.count(Status.ACCEPTED) + checked.count(Status.DEFERRED)
    parts = [
        _opening(checked, filename, going),
        _counts(checked, going),
        _money(checked, prices, currency) if going else "",
        _problems(checked, listed),
        _samples(checked, samples),
        _ending(going),
    ]
    return "\n\n".join(part for part in parts if part) + "\n"


def not_sent_csv(checked: CheckedPlan) -> bytes:
    """The preview's attachment (``NOT_SENT_NAME``): every row that will get no text, with
    its line and reason, in the result CSV's columns."""
    return b"".join(result_lines(not_sent(checked)))


def _opening(checked: CheckedPlan, filename: str, going: int) -> str:
    plan = checked.plan
    first = (
        f"Your bulk send from {filename} is ready to check. Nothing has been sent yet."
        if going
        else f"None of the rows of {filename} can be sent, so nothing will be."
    )
    source = f'Read as {plan.kind}; the numbers are in the column "{plan.number_column}".'
    return f"{first}\n\n{source}"


def _counts(checked: CheckedPlan, going: int) -> str:
    plan = checked.plan
    deferred = checked.count(Status.DEFERRED)
    later = f" ({figure(deferred)} of them later, when a rule allows)" if deferred else ""
    lines = [
        f"Rows read: {figure(plan.rows_read)}",
        f"Texts to send: {figure(going)}{later}",
        f"Duplicates merged: {figure(len(plan.duplicates))}"
        + (
            " (a number on several lines gets one text, from its first line)"
            if plan.duplicates
            else ""
        ),
        f"Opted out: {figure(checked.count(Status.OPTED_OUT))}",
        f"Refused: {figure(checked.count(Status.REFUSED))}",
        f"Rows with errors: {figure(len(plan.errors))}",
    ]
    return "\n".join(lines)


def _money(checked: CheckedPlan, prices: Mapping[str, float], currency: str) -> str:
    segments = f"Segments: {figure(checked.segments)}"
    if not prices:
        return f"{segments}\nEstimated cost: not known (no prices are set in compliance.prices)"
    cost = checked.cost(prices, currency)
    return f"{segments}\nEstimated cost: {cost.total:,.2f} {cost.currency}{_unpriced(cost)}"


def _unpriced(cost: Cost) -> str:
    if not cost.unpriced:
        return ""
    each = ", ".join(
        f"{counted(segments, 'segment')} to {country}"
        for country, segments in sorted(cost.unpriced.items())
    )
    return f" (not counted, having no price in compliance.prices: {each})"


def _problems(checked: CheckedPlan, listed: int) -> str:
    rows = [row for row in not_sent(checked) if row.status is not Status.DUPLICATE]
    if not rows:
        return ""
    shown = rows[:listed]
    duplicates = len(checked.plan.duplicates)
    also = f"; these and the {counted(duplicates, 'merged duplicate')}" if duplicates else "; they"
    some = f"the first {figure(listed)} of " if len(rows) > listed else ""
    head = (
        f"Rows that will not get a text ({some}{figure(len(rows))}{also} are in the attached"
        f" {NOT_SENT_NAME}):"
    )
    lines = [head, *(_problem(row) for row in shown)]
    if len(rows) > listed:
        lines.append(f"  and {figure(len(rows) - listed)} more")
    return "\n".join(lines)


def _problem(row: ResultRow) -> str:
    if row.status is Status.INVALID:
        return f"  line {row.line}: {row.reason}"
    return f"  line {row.line} ({mask(row.number)}), {row.status.value}: {row.reason}"


def _samples(checked: CheckedPlan, samples: int) -> str:
    chosen = list(_first(checked, samples))
    if not chosen:
        return ""
    noun = "text" if len(chosen) == 1 else f"{len(chosen)} texts"
    blocks = [f"The first {noun}, as {'it' if len(chosen) == 1 else 'they'} will be sent:"]
    blocks += chosen
    return "\n\n".join(blocks)


def _first(checked: CheckedPlan, samples: int) -> Iterator[str]:
    for count, (row, outcome) in enumerate(checked.going()):
        if count == samples:
            return
        head = f"  line {row.line}, to {mask(row.number)} ({counted(outcome.segments, 'segment')}):"
        yield head + "\n" + textwrap.indent(row.text, _INDENT, lambda line: True)


def _ending(going: int) -> str:
    if not going:
        return "Correct the file and send it again; this one will not be sent."
    return f"Reply SEND to send {'it' if going == 1 else 'them'}, or CANCEL."
