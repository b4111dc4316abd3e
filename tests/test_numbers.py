"""Local parts of addresses to E.164, with reasons a person understands; masking for logs."""

from __future__ import annotations

import pytest

from bridge.errors import InvalidNumber
from bridge.parsing.numbers import mask, parse_number


@pytest.mark.parametrize(
    ("local", "region", "expected"),
    [
        ("+447700900123", "GB", "+447700900123"),
        ("07700 900123", "GB", "+447700900123"),
        ("07700-900-123", "GB", "+447700900123"),
        ("+44 (0)7700 900123", "GB", "+447700900123"),
        ("00447700900123", "US", "+447700900123"),
        ('"07700 900123"', "GB", "+447700900123"),
        ("(202) 555-0123", "US", "+12025550123"),
        ("+1 212 555 0199", "GB", "+12125550199"),
    ],
)
def test_numbers_people_write(local: str, region: str, expected: str) -> None:
    assert parse_number(local, default_region=region) == expected


@pytest.mark.parametrize(
    ("local", "words"),
    [
        ("bob", "is not a phone number"),
        ("+4477009", "too short"),
        ("+44770090012345678", "too long"),
        ("+999123456789", "no country code that exists"),
        ("12", "cannot be a phone number"),
        ("+441632960000", "not a number in use"),
    ],
)
def test_reasons_say_what_is_wrong(local: str, words: str) -> None:
    with pytest.raises(InvalidNumber) as raised:
        parse_number(local, default_region="GB")
    assert words in raised.value.reason


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+447700900123", "+44******0123"),
        ("+12025550123", "+1******0123"),
        ("ExampleCo", "*******Co"),
    ],
)
def test_mask_keeps_the_country_and_last_four_digits(number: str, masked: str) -> None:
    assert mask(number) == masked
