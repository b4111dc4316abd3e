"""Local parts of addresses to E.164, with reasons a person understands; masking for logs."""

from __future__ import annotations

import phonenumbers
import pytest
from phonenumbers import ValidationResult

from bridge.errors import InvalidNumber
from bridge.parsing.numbers import (
    _FICTIONAL,
    _NAMES,
    LINE_TYPES,
    country_of,
    line_type,
    mask,
    parse_number,
)


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


def _every_kind_of_number() -> list[str]:
    """phonenumbers' own example of each kind of line in every region and non-geographic code,
    as E.164, each also with its last digit changed and with its first (often an unassigned
    range, or another kind of line)."""
    found = []
    types = [getattr(phonenumbers.PhoneNumberType, name) for name in LINE_TYPES]
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        found += [phonenumbers.example_number_for_type(region, kind) for kind in types]
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        found.append(phonenumbers.example_number_for_non_geo_entity(code))
    numbers = set()
    for example in filter(None, found):
        national = str(example.national_number)
        for digits in (
            national,
            national[:-1] + _other(national[-1]),
            _other(national[0]) + national[1:],
        ):
            numbers.add(f"+{example.country_code}{digits}")
    return sorted(numbers)


def _other(digit: str) -> str:
    return str((int(digit) + 5) % 10)


def test_region_type_and_validity_agree_with_phonenumbers_for_every_kind_of_number() -> None:
    """A number's region and type are found together when it is parsed (not by phonenumbers'
    public calls, which each match the number against the region's ranges again): they, and
    so whether it is refused as not in use, must be what phonenumbers' own calls say."""
    numbers = _every_kind_of_number()
    assert len(numbers) > 1000
    for number in numbers:
        if _FICTIONAL.fullmatch(number):
            continue  # our own answer for the drama ranges, on purpose
        theirs = phonenumbers.parse(number, None)
        assert country_of(number) == _their_country(theirs), number
        expected = phonenumbers.number_type(theirs)
        assert line_type(number) == _NAMES.get(expected, "UNKNOWN"), number
        if phonenumbers.is_possible_number_with_reason(theirs) != ValidationResult.IS_POSSIBLE:
            continue  # refused for its length first, whatever its ranges say
        try:
            accepted = bool(parse_number(number, default_region="GB"))
        except InvalidNumber:
            accepted = False
        assert accepted == phonenumbers.is_valid_number(theirs), number


def _their_country(number: phonenumbers.PhoneNumber) -> str | None:
    region = phonenumbers.region_code_for_number(number) or (
        phonenumbers.region_code_for_country_code(number.country_code or 0)
    )
    return None if region in ("ZZ", "001") else region
