"""What the author reads: the preview (counts, reasons by line, cost, the first texts with
masked numbers), its CSV of rows not sent, the result CSV's formula escaping, the summary."""

from __future__ import annotations

import csv
import io

import pytest

from bridge.bulk.outcomes import CheckedPlan, Outcome, estimate
from bridge.bulk.preview import NOT_SENT_NAME, not_sent_csv, preview_text
from bridge.bulk.results import COLUMNS, ResultRow, result_lines, write_results
from bridge.bulk.rows import BulkPlan, plan_rows
from bridge.bulk.status import Status
from bridge.bulk.summary import RESULTS_NAME, Totals, summary_text
from bridge.bulk.table import read_table
from bridge.parsing.placeholders import Template

TEMPLATE = Template("Hi {first_name}, your order {order} is ready.")


def planned(lines: list[str]) -> BulkPlan:
    data = ("number;first_name;order\r\n" + "".join(f"{line}\r\n" for line in lines)).encode()
    return plan_rows(read_table(data, max_rows=100_000), TEMPLATE, default_region="GB")


def customers(count: int, start: int = 0) -> list[str]:
    return [f"+4477009{i:05d};Customer {i};{1000 + i}" for i in range(start, start + count)]


def opted_out_every(plan: BulkPlan, step: int) -> CheckedPlan:
    outcomes = [
        Outcome(Status.OPTED_OUT, reason="they replied STOP") if i % step == 0 else estimate(row)
        for i, row in enumerate(plan.rows)
    ]
    return plan.checked(outcomes)


def preview(checked: CheckedPlan, **prices: float) -> str:
    return preview_text(checked, filename="october.csv", prices=prices, currency="EUR")


def test_the_preview_counts_every_kind_of_row_exactly() -> None:
    read = planned([*customers(10), "0770;Bad;1", "+447700900000;Again;2", "+447700900011;;3"])
    checked = opted_out_every(read, 5)  # rows 0 and 5 of the 10 good ones
    text = preview(checked, GB=0.05)
    assert "Rows read: 13\n" in text
    assert "Texts to send: 8\n" in text
    assert "Duplicates merged: 1 " in text
    assert "Opted out: 2\n" in text
    assert "Rows with errors: 2\n" in text
    assert "Segments: 8\nEstimated cost: 0.40 EUR\n" in text
    assert "line 12: " in text and "line 14: the message needs {first_name}" in text
    assert "line 2 (+44******0000), opted out: they replied STOP" in text
    assert text.rstrip().endswith("Reply SEND to send them, or CANCEL.")


def test_the_first_twenty_problems_are_listed_and_the_rest_counted() -> None:
    checked = opted_out_every(planned(customers(400)), 1)  # every row opted out: 400
    checked = CheckedPlan(checked.plan, (estimate(checked.plan.rows[0]), *checked.outcomes[1:]))
    text = preview(checked, GB=0.04)
    assert "(the first 20 of 399; they are in the attached not-sent.csv)" in text
    assert text.count("opted out: they replied STOP") == 20
    assert "  and 379 more\n" in text
    assert "line 22 (" in text and "line 23 (" not in text


def test_the_first_three_texts_are_shown_as_sent_with_their_numbers_masked() -> None:
    text = preview(opted_out_every(planned(customers(5)), 2), GB=0.04)
    assert "The first 2 texts, as they will be sent:" in text
    assert (
        "line 3, to +44******0001 (1 segment):\n    Hi Customer 1, your order 1001 is ready."
        in text
    )
    assert "line 5, to +44******0003" in text
    assert "+447700900001" not in text and "+447700900003" not in text
    everyone = planned(customers(5))
    text = preview(everyone.checked([estimate(row) for row in everyone.rows]))
    assert "The first 3 texts" in text
    assert "line 4, to +44******0002" in text and "line 5, to" not in text


def test_cost_names_countries_without_a_price_and_no_prices_at_all() -> None:
    read = planned(["+12025550123;Ann;1", "+447700900123;Bob;2"])
    checked = read.checked([estimate(row) for row in read.rows])
    assert "Estimated cost: 0.04 EUR (not counted, having no price" in preview(checked, GB=0.04)
    assert "1 segment to US" in preview(checked, GB=0.04)
    assert "Estimated cost: not known (no prices are set" in preview(checked)


def test_a_file_where_nothing_can_be_sent_asks_for_no_send() -> None:
    read = planned(["+447700900123;Ann;1"])
    text = preview(read.checked([Outcome(Status.REFUSED, reason="outside allowed countries")]))
    assert "nothing will be" in text and "Reply SEND" not in text
    assert "Refused: 1\n" in text


def test_deferred_texts_count_as_going_and_say_so() -> None:
    read = planned(customers(3))
    outcomes = [estimate(row) for row in read.rows]
    outcomes[2] = Outcome(Status.DEFERRED, segments=2, reason="until 08:00 (Europe/London)")
    text = preview(read.checked(outcomes), GB=1.0)
    assert "Texts to send: 3 (1 of them later, when a rule allows)" in text
    assert "Segments: 4\nEstimated cost: 4.00 EUR" in text


def test_the_not_sent_attachment_has_every_row_without_a_text_in_line_order() -> None:
    read = planned([*customers(3), "0770;Bad;1", "+447700900000;Again;2"])
    checked = opted_out_every(read, 2)
    rows = list(csv.DictReader(io.StringIO(not_sent_csv(checked).decode("utf-8-sig"))))
    assert [(r["line"], r["status"]) for r in rows] == [
        ("2", "opted out"),
        ("4", "opted out"),
        ("5", "invalid"),
        ("6", "duplicate"),
    ]
    assert rows[0]["number"] == "'+447700900000"
    assert rows[3]["reason"] == "the same number as line 2"
    assert NOT_SENT_NAME.endswith(".csv")


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+447700900123", "'+447700900123"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("plain reason", "plain reason"),
        ("'already quoted", "'already quoted"),
    ],
)
def test_result_cells_that_a_spreadsheet_would_run_are_escaped(value: str, written: str) -> None:
    row = ResultRow(2, value, Status.REFUSED, value, segments=1, reference="s1")
    data = b"".join(result_lines([row]))
    assert data.startswith(b"\xef\xbb\xbf")
    header, cells = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert tuple(header) == COLUMNS
    assert cells == ["2", written, "refused", written, "", "1", "s1"]


def test_a_result_csv_can_be_sent_again_as_a_bulk_file() -> None:
    out = io.BytesIO()
    rows = [ResultRow(2, "+447700900123", Status.FAILED, "network busy", "GB", 1, "s1")]
    assert write_results(rows, out) == 1
    again = plan_rows(
        read_table(out.getvalue(), max_rows=10), Template("Sorry: {reason}"), default_region="GB"
    )
    assert [(row.number, row.text) for row in again.rows] == [
        ("+447700900123", "Sorry: network busy")
    ]


def test_the_summary_counts_what_became_of_every_row() -> None:
    statuses = [Status.SENT] * 7 + [Status.FAILED, Status.OPTED_OUT, Status.CANCELLED]
    totals = Totals.of([*statuses, Status.INVALID, Status.DUPLICATE])
    text = summary_text(totals, filename="october.csv")
    assert text.startswith("Your bulk send from october.csv was cancelled")
    for line in ("Sent: 7", "Failed: 1 (", "Opted out: 1", "Cancelled: 1"):
        assert f"\n{line}" in text
    assert "1 row with errors and 1 duplicate merged" in text
    assert (
        f"Each of the 12 rows of your file, with what became of it, is in the attached {RESULTS_NAME}."
        in text
    )
    assert summary_text(Totals(sent=2), filename="a.csv").startswith(
        "Your bulk send from a.csv has finished."
    )
    with pytest.raises(ValueError, match="not finished"):
        Totals.of([Status.SENT, Status.DEFERRED])
