"""The scheduled report as an email: a plain-text part (the command's table), an HTML part
with the chart inline (``cid:``), and the CSV attached. Pure: built here, queued by the store
with the record that it was sent (``schedule``). Sent like the bridge's alerts: a null
envelope sender and ``Auto-Submitted: auto-generated``. No customer's number, no text."""

from __future__ import annotations

import html
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from bridge.mail.notices import DISPLAY_NAME
from bridge.models import NewMailJob
from bridge.reports.chart import bar_chart
from bridge.reports.figures import Figures, Report
from bridge.reports.render import as_csv, as_table, period_words, table_cells

__all__ = ["report_email"]

_HEAD = (
    "",
    "texts",
    "sent",
    "delivered",
    "failed",
    "delivery rate",
    "to deliver p50 / p95",
    "opt-outs",
    "replies",
    "response p50 / p95",
    "cost",
)


def report_email(
    report: Report,
    *,
    to: tuple[str, ...],
    title: str,
    filename: str,
    from_address: str,
    hostname: str,
    now: datetime,
) -> NewMailJob:
    """``title`` is the subject ("SMS report: week of 2026-11-30, by team"); ``filename``
    the CSV's name."""
    msg = EmailMessage(policy=policy.default)
    msg["From"] = Address(display_name=DISPLAY_NAME, addr_spec=from_address)
    msg["To"] = ", ".join(to)
    msg["Subject"] = title
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain=hostname)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(as_table(report) + "\n\nThe figures are attached as CSV.\n")
    cid = make_msgid(domain=hostname)
    msg.add_alternative(_html(report, title, cid[1:-1]), subtype="html")
    html_part = msg.get_body(preferencelist=("html",))
    assert html_part is not None  # just added
    html_part.add_related(bar_chart(report), "image", "png", cid=cid, filename="chart.png")
    # UTF-8 with a BOM, as the contacts' export: Excel then shows accents right
    msg.add_attachment("\ufeff" + as_csv(report), subtype="csv", filename=filename)
    return NewMailJob(envelope_from="", recipients=to, content=msg.as_bytes(), kind="report")


def _html(report: Report, title: str, cid: str) -> str:
    rows = "".join(_row(report, f) for f in (*report.groups, report.total))
    head = "".join(f"<th>{html.escape(h)}</th>" for h in _HEAD)
    return (
        '<!DOCTYPE html><html><body style="font-family: sans-serif">'
        f"<h2>{html.escape(title)}</h2>"
        f"<p>Texts accepted {html.escape(period_words(report))}; cost in"
        f" {html.escape(report.currency)}.</p>"
        f'<p><img src="cid:{cid}" alt="Texts by {html.escape(report.key)}: delivered, failed,'
        ' other"></p>'
        f'<table border="1" cellpadding="4" style="border-collapse: collapse">'
        f"<tr>{head}</tr>{rows}</table>"
        "<p>Delivery rate: delivered of sent. Opt-outs and replies: of the customers texted."
        " The CSV attached has every figure.</p></body></html>"
    )


def _row(report: Report, f: Figures) -> str:
    cells = table_cells(report, f)
    return "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>"
