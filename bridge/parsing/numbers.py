"""Phone numbers as people write them in an address, to E.164, with a reason when that fails.

A local part such as ``07700 900123`` or ``+44 (0)7700-900123`` is what staff type; the
provider needs ``+447700900123``. phonenumbers knows every country's lengths and ranges. Its
``is_valid_number`` rejects the ranges Ofcom and the NANP reserve for drama, which are
exactly the numbers our documentation and tests use (they can never reach a person), so those
ranges are accepted explicitly.
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, ValidationResult

from bridge.errors import InvalidNumber

__all__ = ["mask", "parse_number"]

_SEPARATORS = re.compile(r"[\s.\-()/]")
_DIALABLE = re.compile(r"\+?[0-9]+")
# Ofcom's drama range (07700 900000-900999) and the NANP's fictional 555-0100..0199 numbers.
_FICTIONAL = re.compile(r"\+447700900\d{3}|\+1\d{3}5550(1\d\d)")
_LENGTH_REASONS = {
    ValidationResult.TOO_SHORT: "it is too short",
    ValidationResult.TOO_LONG: "it is too long",
    ValidationResult.INVALID_LENGTH: "it has the wrong number of digits",
    ValidationResult.INVALID_COUNTRY_CODE: "its country code does not exist",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "it is too short: the area code or digits are missing",
}


def parse_number(local: str, *, default_region: str) -> str:
    """The E.164 form of ``local``; ``InvalidNumber`` says in plain words what is wrong."""
    written = local.strip().strip('"')
    digits = _SEPARATORS.sub("", written)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not _DIALABLE.fullmatch(digits):
        raise InvalidNumber(
            f"{written!r} is not a phone number: use digits, such as +447700900123."
        )
    number = _parse(digits, written, default_region)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible != ValidationResult.IS_POSSIBLE:
        raise InvalidNumber(_impossible(written, e164, possible))
    if not (phonenumbers.is_valid_number(number) or _FICTIONAL.fullmatch(e164)):
        raise InvalidNumber(
            f"{written} is not a number in use in {_country(number)}: check the digits."
        )
    return e164


def _parse(digits: str, written: str, region: str) -> PhoneNumber:
    try:
        return phonenumbers.parse(digits, None if digits.startswith("+") else region)
    except NumberParseException as exc:
        if exc.error_type == NumberParseException.INVALID_COUNTRY_CODE:
            raise InvalidNumber(f"{written} has no country code that exists.") from None
        raise InvalidNumber(
            f"{written} is not a phone number: it is too short or too long to be one."
        ) from None


def _impossible(written: str, e164: str, result: int) -> str:
    why = _LENGTH_REASONS.get(result, "it cannot be a phone number")
    return f"{written} cannot be a phone number ({e164}): {why}."


def _country(number: PhoneNumber) -> str:
    region = phonenumbers.region_code_for_number(number)
    return region if region and region != "ZZ" else f"country code +{number.country_code}"


def mask(number: str) -> str:
    """Hide the middle of a number for logs and listings: ``+447700900123`` -> ``+44*****0123``."""
    if re.fullmatch(r"\+\d{8,15}", number):
        country = _country_prefix(number)
        hidden = len(number) - len(country) - 4
        return country + "*" * hidden + number[-4:]
    return "*" * max(len(number) - 2, 0) + number[-2:]


def _country_prefix(number: str) -> str:
    try:
        code = phonenumbers.parse(number, None).country_code
    except NumberParseException:
        return "+"
    return f"+{code}"
