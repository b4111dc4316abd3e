"""Local parts of addresses to E.164, with reasons a person understands; masking for logs."""

from __future__ import annotations

import pytest

from bridge.errors import InvalidNumber
from bridge.parsing.numbers import mask, parse_number


@pytest.mark.parametrize(
    ("local", "region", "expected"),
    [
        ("+447700900123", "GB", "+447700900123"),
        ("+447700900123", "US", "+447700900123"),  # a + ignores the default region
        ("07700 900123", "GB", "+447700900123"),
        ("07700-900-123", "GB", "+447700900123"),
        ("07700.900.123", "GB", "+447700900123"),
        ("(07700) 900123", "GB", "+447700900123"),
        ("+44 (0)7700 900123", "GB", "+447700900123"),
        ("447700900123", "GB", "+447700900123"),  # phonenumbers sees the leading 44
        ("00447700900123", "US", "+447700900123"),
        ("0044 7700 900123", "US", "+447700900123"),
        ('"07700 900123"', "GB", "+447700900123"),
        ("+447700900000", "GB", "+447700900000"),  # both ends of the drama range
        ("+447700900999", "GB", "+447700900999"),
        ("(555) 555-0123", "US", "+15555550123"),  # fictional, though 555 is no area code
        ("(202) 555-0123", "US", "+12025550123"),
        ("+1 212 555 0199", "GB", "+12125550199"),
        ("+1 555 555 0100", "GB", "+15555550100"),
        ("+44 20 7946 0123", "GB", "+442079460123"),  # a real-format London number
        ("+49 30 901820", "GB", "+4930901820"),
    ],
)
def test_numbers_people_write(local: str, region: str, expected: str) -> None:
    assert parse_number(local, default_region=region) == expected


@pytest.mark.parametrize(
    ("local", "region", "words"),
    [
        ("alice", "GB", '"alice" is not a phone number: write it in digits'),
        ("+44alice", "GB", "is not a phone number"),
        ("", "GB", "is not a phone number"),
        ("+", "GB", "is not a phone number"),
        ("12", "GB", "is too short for a phone number in GB (+44)"),
        ("+4477009", "GB", "is too short for a phone number in GB (+44)"),
        ("5550123", "US", "in US (+1) (is the area code missing?)"),
        ("+44770090012345678", "GB", "is too long for a phone number in GB (+44)"),
        ("077009001234", "GB", "is too long for a phone number in GB (+44)"),
        ("1" * 30, "GB", "is too long to be a phone number"),
        ("+999123456789", "GB", "does not start with a country code that exists"),
        ("00999123456789", "GB", "does not start with a country code that exists"),
        ("+441632960000", "GB", "is not a number in use in GB (+44)"),
        ("+447700901000", "GB", "is not a number in use in GB (+44)"),  # just past the range
        ("+15555550200", "GB", "is not a number in use in US (+1)"),  # 555-0200 is not fictional
        ("+10005550123", "GB", "is not a number in use in US (+1)"),  # no NANP area code
    ],
)
def test_reasons_say_what_is_wrong(local: str, region: str, words: str) -> None:
    with pytest.raises(InvalidNumber) as raised:
        parse_number(local, default_region=region)
    assert words in raised.value.reason


def test_a_reason_is_safe_in_an_smtp_reply() -> None:
    with pytest.raises(InvalidNumber) as raised:
        parse_number("é" + "x" * 80, default_region="GB")
    reason = raised.value.reason
    assert reason.isascii() and reason.startswith('"?' + "x" * 39 + '..."')


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+447700900123", "+44******0123"),
        ("+12025550123", "+1******0123"),
        ("+8613800138000", "+86*******8000"),
        ("+99912345678", "+*******5678"),  # no country code that exists: only the +
        ("ExampleCo", "*******Co"),
        ("07700900123", "*********23"),  # not E.164
        ("12", "12"),
        ("", ""),
    ],
)
def test_mask_keeps_the_country_and_last_four_digits(number: str, masked: str) -> None:
    assert mask(number) == masked
    assert len(mask(number)) == len(number)
