"""A bulk file's rows as texts: the number column found, numbers read in the sender's region,
duplicates merged into their first line, a missing field a row error, never a literal."""

from __future__ import annotations

import io

import openpyxl
import pytest

from bridge.bulk.outcomes import Outcome, estimate
from bridge.bulk.rows import BulkPlan, number_column, plan_rows
from bridge.bulk.status import Status
from bridge.bulk.table import BulkFileError, read_table
from bridge.parsing.placeholders import Template

TEMPLATE = Template("Hi {first_name}, your order {order} is ready")


def plan(data: bytes, template: Template = TEMPLATE, region: str = "GB") -> BulkPlan:
    return plan_rows(read_table(data, max_rows=1000), template, default_region=region)


@pytest.mark.parametrize(
    "name", ["number", "Phone", "MOBILE", "to", "msisdn", "Cell", "Phone number", "mobile-number"]
)
def test_the_number_column_is_found_by_any_of_its_usual_names(name: str) -> None:
    assert number_column(["First name", name, "order"]) == 1


def test_a_file_without_a_number_column_lists_the_columns_it_has() -> None:
    with pytest.raises(BulkFileError) as caught:
        plan(b"Telefon;Vorname\n+447700900123;Ann\n")
    assert '"Telefon", "Vorname"' in caught.value.reason
    assert '"number"' in caught.value.reason


def test_a_file_with_bad_rows_keeps_the_good_ones_and_says_what_is_wrong_with_each() -> None:
    data = (
        b"Mobile,First name,Order\r\n"
        b"+447700900123,Ann,A-1\r\n"  # 2: sent
        b"07700 900124,Bob,A-2\r\n"  # 3: national, read in GB
        b"07700 9001,Cy,A-3\r\n"  # 4: too short
        b",Di,A-4\r\n"  # 5: no number
        b"+447700900125,,A-5\r\n"  # 6: no first name
        b"+44 7700 900123,Ed,A-6\r\n"  # 7: line 2's number again
        b"'+447700900126,Flo,A-7\r\n"  # 8: a number the bridge's own CSV escaped
        b"not a number,Gus,A-8\r\n"  # 9
    )
    read = plan(data)
    assert [(row.line, row.number, row.country) for row in read.rows] == [
        (2, "+447700900123", "GB"),
        (3, "+447700900124", "GB"),
        (8, "+447700900126", "GB"),
    ]
    assert read.rows[1].text == "Hi Bob, your order A-2 is ready"
    assert read.rows[0].fields == {}  # nothing asked to be kept: the text holds the values
    errors = {error.line: error.reason for error in read.errors}
    assert sorted(errors) == [4, 5, 6, 9]
    assert errors[4].startswith('"07700 9001" is not a number in use in GB')
    assert errors[5] == "the number cell is empty"
    assert errors[6] == "the message needs {first_name}, which is empty in this row"
    assert "not a phone number" in errors[9]
    assert [(d.line, d.first_line, d.number) for d in read.duplicates] == [(7, 2, "+447700900123")]
    assert read.rows_read == 8
    assert read.number_column == "Mobile"


def test_a_row_in_error_does_not_make_a_later_row_of_its_number_a_duplicate() -> None:
    read = plan(b"number,first_name,order\n+447700900123,,1\n+447700900123,Ann,2\n")
    assert [row.line for row in read.rows] == [3]
    assert [error.line for error in read.errors] == [2]
    assert not read.duplicates


def test_a_row_keeps_the_values_it_was_asked_to_keep() -> None:
    data = b"number,First name,order,email\n+447700900123,Ann,1,ann@example.com\n"
    read = plan_rows(
        read_table(data, max_rows=10), TEMPLATE, default_region="GB", keep=("email", "shoe_size")
    )
    assert read.rows[0].fields == {"email": "ann@example.com", "shoe_size": ""}


def test_national_numbers_are_read_in_the_senders_region() -> None:
    data = b"number,first_name,order\n(202) 555-0123,Ann,1\n"
    assert plan(data, region="US").rows[0].number == "+12025550123"
    assert "+12025550123" not in [row.number for row in plan(data, region="GB").rows]


def test_a_placeholder_no_column_fills_is_one_error_for_the_file_not_one_per_row() -> None:
    with pytest.raises(BulkFileError, match=r"uses \{order\}, but .* no column"):
        plan(b"number,first_name\n+447700900123,Ann\n")


def test_a_default_fills_a_column_the_file_lacks() -> None:
    read = plan(b"number\n+447700900123\n", Template("Hi {first_name|there}!"))
    assert read.rows[0].text == "Hi there!"


def test_two_columns_of_one_name_are_an_error_only_when_the_message_uses_it() -> None:
    with pytest.raises(BulkFileError, match='called "Order"'):
        plan(b"number,first_name,order,Order\n+447700900123,Ann,1,2\n")
    read = plan(b"number,first_name,order,note,Note\n+447700900123,Ann,1,a,b\n")
    assert read.rows[0].text == "Hi Ann, your order 1 is ready"


def test_a_header_with_no_rows_is_an_error() -> None:
    with pytest.raises(BulkFileError, match="no rows"):
        plan(b"number,first_name,order\r\n,,\r\n")


def test_an_xlsx_of_floats_and_rounded_numbers() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Phone", "First name", "Order"])
    sheet.append([447700900123.0, "Ann", 1017.0])  # Excel's float for a number typed bare
    sheet.append([7700900124.0, "Bob", 1018.0])  # the leading 0 Excel dropped
    sheet.append(["4.47701E+11", "Cy", 1019.0])  # pasted from a CSV Excel had rounded
    out = io.BytesIO()
    book.save(out)
    read = plan(out.getvalue())
    assert [(row.number, row.text) for row in read.rows] == [
        ("+447700900123", "Hi Ann, your order 1017 is ready"),
        ("+447700900124", "Hi Bob, your order 1018 is ready"),
    ]
    assert read.errors[0].line == 4
    assert "its last digits are lost" in read.errors[0].reason


def test_outcomes_are_attached_in_row_order_and_counted() -> None:
    read = plan(
        b"number,first_name,order\n+447700900123,Ann,1\n+447700900124,Bob,2\n+12025550123,Cy,3\n"
    )
    outcomes = [estimate(row) for row in read.rows]
    outcomes[1] = Outcome(Status.OPTED_OUT, reason="they replied STOP")
    checked = read.checked(outcomes)
    assert checked.count(Status.ACCEPTED) == 2
    assert checked.segments == 2
    cost = checked.cost({"GB": 0.04}, "GBP")
    assert cost.total == pytest.approx(0.04)
    assert cost.unpriced == {"US": 1}
    with pytest.raises(ValueError, match="2 outcomes for 3 rows"):
        read.checked(outcomes[:2])
    with pytest.raises(ValueError, match="does not answer"):
        Outcome(Status.SENT)
