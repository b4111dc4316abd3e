"""A report as a table for people, as JSON, or as CSV for a spreadsheet.

Every figure of every group, then the total. In the CSV a cell that a spreadsheet would run
as a formula (starting ``= + - @``, as a provider's error text or a sender may) is written
with a leading ``'`` (``bridge.contacts.csv_format.guarded``). Rates are fractions (0.97) in
JSON and CSV and percentages in the table; durations are seconds in JSON and CSV.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

from bridge.contacts.csv_format import guarded
from bridge.reports.figures import Figures, Report

__all__ = [
    "COLUMNS",
    "as_csv",
    "as_json",
    "as_table",
    "duration",
    "label",
    "period_words",
    "table_cells",
]

COLUMNS = (
    "group",
    "accepted",
    "sent",
    "delivered",
    "failed",
    "pending",
    "cancelled",
    "delivery_rate",
    "delivery_p50_seconds",
    "delivery_p95_seconds",
    "top_failure",
    "customers",
    "opted_in",
    "opt_in_rate",
    "opted_out",
    "opt_out_rate",
    "replied",
    "reply_rate",
    "responses",
    "response_p50_seconds",
    "response_p95_seconds",
    "segments",
    "cost",
    "unpriced_segments",
)
_NONE = {
    "team": "(no author)",
    "sender": "(none)",
    "provider": "(not sent)",
    "country": "(unknown)",
}
TOTAL = "(all)"


def label(report: Report, figures: Figures) -> str:
    """The group's name as shown: the total, or a name for the empty value of its key."""
    if figures is report.total:
        return TOTAL
    return figures.group or _NONE[report.key]


def period_words(report: Report) -> str:
    start = datetime.fromtimestamp(report.start, UTC)
    end = datetime.fromtimestamp(report.end, UTC)
    return f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"


def _record(report: Report, figures: Figures) -> dict[str, Any]:
    top = figures.reasons[0] if figures.reasons else None
    return {
        "group": label(report, figures),
        "accepted": figures.accepted,
        "sent": figures.sent,
        "delivered": figures.delivered,
        "failed": figures.failed,
        "pending": figures.pending,
        "cancelled": figures.cancelled,
        "delivery_rate": figures.delivery_rate,
        "delivery_p50_seconds": figures.delivery_p50,
        "delivery_p95_seconds": figures.delivery_p95,
        "top_failure": _reason_words(top.code, top.error) if top else "",
        "customers": figures.customers,
        "opted_in": figures.opted_in,
        "opt_in_rate": figures.opt_in_rate,
        "opted_out": figures.opted_out,
        "opt_out_rate": figures.opt_out_rate,
        "replied": figures.replied,
        "reply_rate": figures.reply_rate,
        "responses": figures.responses,
        "response_p50_seconds": figures.response_p50,
        "response_p95_seconds": figures.response_p95,
        "segments": figures.segments,
        "cost": figures.cost,
        "unpriced_segments": figures.unpriced_segments,
    }


def as_json(report: Report) -> str:
    """One JSON object: the period, each group (with its failure reasons) and the total."""

    def group(figures: Figures) -> dict[str, Any]:
        record = _record(report, figures)
        del record["top_failure"]
        record["failure_reasons"] = [
            {"code": r.code, "error": r.error, "texts": r.texts} for r in figures.reasons
        ]
        return record

    return json.dumps(
        {
            "by": report.key,
            "since": datetime.fromtimestamp(report.start, UTC).isoformat(),
            "until": datetime.fromtimestamp(report.end, UTC).isoformat(),
            "currency": report.currency,
            "groups": [group(figures) for figures in report.groups],
            "total": group(report.total),
            "consent_ledger": {
                "opt_ins": report.ledger.get("opt-in", 0),
                "opt_outs": report.ledger.get("opt-out", 0),
            },
            "inbound_unanswered": report.unanswered,
        },
        ensure_ascii=False,
        indent=2,
    )


def as_csv(report: Report) -> str:
    """A header line, one line per group, and the total (group ``(all)``) last."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for figures in (*report.groups, report.total):
        record = _record(report, figures)
        writer.writerow([guarded(_cell(record[column])) for column in COLUMNS])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value else "0"
    return str(value)


def as_table(report: Report) -> str:
    """The period, a table of the main figures, then each group's failure reasons."""
    head = f"Texts accepted {period_words(report)}, by {report.key} (cost in {report.currency}):"
    if not report.total.accepted and not report.total.responses:
        return head + "\nNo texts in this period."
    rows = [
        [
            "",
            "texts",
            "sent",
            "deliv.",
            "failed",
            "rate",
            "to deliver",
            "opt-out",
            "replies",
            "response",
            "cost",
        ],
    ]
    for figures in (*report.groups, report.total):
        rows.append(table_cells(report, figures))
    lines = [head, *_aligned(rows), ""]
    lines += _reasons(report)
    lines.append(
        f"Consent ledger in the period: {report.ledger.get('opt-in', 0)} opt-in(s),"
        f" {report.ledger.get('opt-out', 0)} opt-out(s). Inbound texts not yet answered by a"
        f" person: {report.unanswered}."
    )
    lines.append(
        "Rates: delivered of sent; opt-outs and replies of the customers texted. Times: p50 / p95."
    )
    return "\n".join(lines)


def table_cells(report: Report, f: Figures) -> list[str]:
    """One group's figures as the table shows them, in the email and in the terminal; a cost
    with unpriced segments is marked ``*``."""
    return [
        label(report, f),
        str(f.accepted),
        str(f.sent),
        str(f.delivered),
        str(f.failed),
        _percent(f.delivery_rate),
        f"{duration(f.delivery_p50)} / {duration(f.delivery_p95)}",
        _percent(f.opt_out_rate),
        _percent(f.reply_rate),
        f"{duration(f.response_p50)} / {duration(f.response_p95)}",
        f"{f.cost:.2f}" + ("*" if f.unpriced_segments else ""),
    ]


def _aligned(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]


def _reasons(report: Report) -> list[str]:
    lines = []
    for figures in report.groups:
        for reason in figures.reasons:
            lines.append(
                f"  {label(report, figures)}: {reason.texts} x {_reason_words(reason.code, reason.error)}"
            )
    if lines:
        lines = ["Failure reasons (most frequent first):", *lines, ""]
    if report.total.unpriced_segments:
        lines.append(
            f"* {report.total.unpriced_segments} segment(s) had no reported price and no price"
            " for their country in compliance.prices: counted as 0."
        )
    return lines


def _reason_words(code: str, error: str) -> str:
    return f"{code}: {error}" if code and error else code or error or "(no reason given)"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def duration(seconds: int | None) -> str:
    """``42s``, ``3m05s``, ``2h04m``, ``3d02h``; ``-`` for none."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    if seconds < 86400:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d{seconds % 86400 // 3600:02d}h"
