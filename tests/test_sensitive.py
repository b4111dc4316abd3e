"""Payment data found in a text (``bridge.parsing.sensitive``): a table of cases."""

from __future__ import annotations

import re

import pytest

from bridge.parsing.sensitive import (
    CARD,
    IBAN,
    SORT_CODE,
    find_sensitive,
    iban_valid,
    luhn_valid,
    mask_findings,
)


def _found(text: str, **kw: object) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in find_sensitive(text, **kw)]  # type: ignore[arg-type]


def _masked(text: str) -> str:
    return mask_findings(text, find_sensitive(text))


def test_luhn_and_iban_checks() -> None:
    assert luhn_valid("4111111111111111") and luhn_valid("79927398713")
    assert not luhn_valid("4111111111111112") and not luhn_valid("4111 1111")
    assert iban_valid("GB82 WEST 1234 5698 7654 32") and iban_valid("DE89370400440532013000")
    assert not iban_valid("GB82 WEST 1234 5698 7654 33")  # one digit wrong
    assert not iban_valid("GB82")


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Card 4111 1111 1111 1111 ok", "Card **** **** **** 1111 ok"),
        ("Card 4111-1111-1111-1111.", "Card ****-****-****-1111."),
        ("card 4111111111111111", "card ************1111"),
        ("card 4111 1111\n1111 1111 thanks", "card **** ****\n**** 1111 thanks"),
        ("card 4111 1111 \r\n 1111 1111", "card **** **** \r\n **** 1111"),
        ("Amex 3782 822463 10005", "Amex **** ****** *0005"),
    ],
)
def test_a_card_number_is_masked_however_it_is_split(text: str, masked: str) -> None:
    assert [kind for kind, _ in _found(text)] == [CARD]
    assert _masked(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "Order 4111111111111112 has shipped",  # fails Luhn: an order number
        "Invoice 1234 5678 9012 3456 is paid",
        "Call +44 7700 900123 or +1 202 555 0123",
        "Ref 123456789012",  # 12 digits: too short for a card
        "Tracking 41111111111111111111111",  # 23 digits: too long
    ],
)
def test_numbers_that_are_not_cards_pass(text: str) -> None:
    assert _found(text) == []
    assert _masked(text) == text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Pay GB82 WEST 1234 5698 7654 32 TODAY", "Pay **** **** **** **** **54 32 TODAY"),
        ("IBAN GB82WEST12345698765432.", "IBAN ******************5432."),
        ("DE89 3704 0044 0532 0130 00", "**** **** **** **** **30 00"),
    ],
)
def test_an_iban_with_valid_check_digits_is_masked(text: str, masked: str) -> None:
    assert [kind for kind, _ in _found(text)] == [IBAN]
    assert _masked(text) == masked


def test_an_iban_with_wrong_check_digits_passes() -> None:
    assert _found("GB82 WEST 1234 5698 7654 33") == []


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Sort 12-34-56 12345678", "Sort **-**-** ****5678"),
        ("12 34 56, 12345678", "** ** **, ****5678"),
        ("123456 12345678", "****** ****5678"),
        ("12-34-56/12345678", "**-**-**/****5678"),
        ("12-34-56 a/c 12345678", "**-**-** a/c ****5678"),
        ("sort code 12-34-56 account no. 87654321", "sort code **-**-** account no. ****4321"),
    ],
)
def test_a_sort_code_with_an_account_number_is_masked(text: str, masked: str) -> None:
    assert [kind for kind, _ in _found(text)] == [SORT_CODE]
    assert _masked(text) == masked


def test_a_sort_code_alone_or_a_date_passes() -> None:
    assert _found("Sort code 12-34-56, see you on 12-03-26") == []


def test_an_administrators_pattern_is_found_where_nothing_else_is() -> None:
    patterns = [("customer code", re.compile(r"CUST-\d{6}"))]
    text = "Code CUST-123456, card 4111 1111 1111 1111"
    assert _found(text, patterns=patterns) == [
        ("customer code", "CUST-123456"),
        (CARD, "4111 1111 1111 1111"),
    ]
