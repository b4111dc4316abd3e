"""Phone numbers as people write them in an address, to E.164, with a reason when that fails.

A local part such as ``07700 900123`` or ``+44 (0)7700-900123`` is what staff type; the
provider needs ``+447700900123``. Spaces, dots, hyphens, slashes and parentheses are dropped;
a leading ``+`` or ``00`` means the country code follows; other digits are read as a number of
the configured default region (phonenumbers still recognises a leading country code there,
so ``447700900123`` with region GB is ``+447700900123``).

phonenumbers knows every country's lengths and ranges, so it decides; the reason it gives
is translated once, here, into a sentence the author can act on (it ends up in an SMTP reply).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from threading import Lock
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumber, ValidationResult
from phonenumbers import timezone as pn_timezone
from phonenumbers.phonemetadata import PhoneMetadata

# the type of a national number under known metadata: ``number_type`` without its region
# lookup. Not exported by phonenumbers; tests/test_numbers.py checks that the regions, types
# and validity found with it agree with phonenumbers' own for every region's examples.
from phonenumbers.phonenumberutil import _number_type_helper

from bridge.errors import InvalidNumber

__all__ = [
    "E164",
    "LINE_TYPES",
    "PackedParsed",
    "Parsed",
    "country_of",
    "digits",
    "display_number",
    "is_e164",
    "is_region",
    "is_short_code",
    "line_type",
    "mask",
    "named",
    "number_type",
    "parse_number",
    "parse_owned",
    "parsed",
    "plus_digits",
    "remember",
    "time_zones_of",
]

# E.164: a plus, a country code that cannot start with 0, 7 to 15 digits in all. The one
# definition of the form every number takes inside the bridge (settings, store, providers).
E164 = re.compile(r"\+[1-9][0-9]{6,14}")
# A short code: 3 to 6 digits with no country code, which only means something in its country
# (60777 in the UK, 5 or 6 digits in the US); customers can text it, the bridge can send from
# it where its provider allows, and its country is declared with it (``[[numbers]]
# country``), never guessed. E.164 has at least 7 digits, so the two never overlap.
SHORT_CODE = re.compile(r"[0-9]{3,6}")
_SEPARATORS = re.compile(r"[\s.\-()/]")
_DIALABLE = re.compile(r"\+?[0-9]+")
_EXAMPLE = "+447700900123"
# Numbers reserved for drama, which can never reach a person: our docs and tests use them.
# phonenumbers 9.x calls Ofcom's mobile drama range 07700 900000-900999 possible but not valid;
# it accepts the NANP's 555-0100..0199 only under area codes in service (+1 202 555 0123 yes,
# +1 555 555 0123 no). Both are accepted explicitly, the NANP ones under any NANP area code.
_FICTIONAL = re.compile(r"\+447700900[0-9]{3}|\+1[2-9][0-9]{2}55501[0-9]{2}")
_LENGTH_REASONS = {
    ValidationResult.TOO_SHORT: "is too short for a phone number in {country}",
    ValidationResult.TOO_LONG: "is too long for a phone number in {country}",
    ValidationResult.INVALID_LENGTH: "has the wrong number of digits for {country}",
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: (
        "is too short for a phone number in {country} (is the area code missing?)"
    ),
}
_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: "does not start with a country code that exists",
    NumberParseException.TOO_SHORT_AFTER_IDD: "is too short after its country code",
    NumberParseException.TOO_SHORT_NSN: "is too short to be a phone number",
    NumberParseException.TOO_LONG: "is too long to be a phone number",
}


@lru_cache(maxsize=4096)  # the same numbers recur (RCPT, then DATA; regular customers)
def parse_number(local: str, *, default_region: str) -> str:
    """The E.164 form of ``local``; ``InvalidNumber`` says in plain words what is wrong.

    Pure, so it is cached: phonenumbers' parse and validation were a tenth of the SMTP
    listener's time under load (py-spy, docs/benchmarks.md). Refusals are not cached."""
    written = local.strip().strip('"')
    dialled = _SEPARATORS.sub("", written)
    if dialled.startswith("00"):
        dialled = "+" + dialled[2:]
    if not _DIALABLE.fullmatch(dialled):
        raise InvalidNumber(
            f"{_shown(written)} is not a phone number: write it in digits, such as {_EXAMPLE}."
        )
    number = _parse(dialled, written, default_region)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible != ValidationResult.IS_POSSIBLE:
        raise InvalidNumber(_impossible(written, number, possible))
    region, kind = _region_and_kind(number)  # is_valid_number: a region's type not UNKNOWN
    valid = region is not None and kind != phonenumbers.PhoneNumberType.UNKNOWN
    if not (valid or _FICTIONAL.fullmatch(e164)):
        raise InvalidNumber(
            f"{_shown(written)} is not a number in use in {_country(number)}: check the digits."
        )
    _keep(e164, Parsed(number, region, kind))  # its country, line type and zones are asked next
    return e164


def parsed(number: str) -> Parsed | None:
    """What parsing ``number`` (E.164) found, to be handed back with ``remember`` by a caller
    that asks about it much later: a bulk send reads its whole file before the outbound
    chain asks each number's line type, and by then the last 4,096 numbers are all that is
    kept."""
    return _parsed(number)


def remember(number: str, found: Parsed | None) -> None:
    """Keep ``parsed(number)`` again, so that the next questions about it do not parse it."""
    if found is not None:
        _keep(number, found)


def parse_owned(local: str, *, default_region: str) -> str:
    """One of the bridge's own numbers as written: a short code (``60777``) as it is, else
    ``parse_number``'s E.164."""
    written = local.strip()
    return written if is_short_code(written) else parse_number(local, default_region=default_region)


def mask(number: str) -> str:
    """Hide a number for logs and listings, keeping its length.

    E.164 keeps the country code and the last 4 digits: ``+447700900123`` -> ``+44******0123``;
    anything else keeps only its last 2 characters: ``ExampleCo`` -> ``*******Co``.
    """
    if E164.fullmatch(number):
        country = f"+{_country_code(number) or ''}"
        return country + "*" * (len(number) - len(country) - 4) + number[-4:]
    return "*" * max(len(number) - 2, 0) + number[-2:]


def is_e164(value: str) -> bool:
    """True for a number in E.164 form (``+447700900123``); false for a short code or an
    alphanumeric sender ID, which nobody can text back."""
    return E164.fullmatch(value) is not None


def is_short_code(value: str) -> bool:
    """True for a short code such as ``60777``: digits only, too short to be E.164."""
    return SHORT_CODE.fullmatch(value) is not None


def digits(number: str) -> str:
    """A number as most provider APIs want it: E.164 without the plus. Anything else (a
    sender ID) is returned unchanged."""
    return number[1:] if is_e164(number) else number


def plus_digits(value: str) -> str:
    """A number as providers report it (``447700900123``) in E.164; a sender ID or a short
    code (``60777``) is returned as it is, without surrounding spaces."""
    value = value.strip()
    return "+" + value if value.isdigit() and not is_short_code(value) else value


@dataclass(frozen=True, slots=True)
class Parsed:
    """A number as phonenumbers parsed it, the region its digits belong to (None: no
    region's ranges hold it) and its type there (a ``PhoneNumberType``), found once:
    validity, country and line type all ask."""

    number: PhoneNumber
    region: str | None
    kind: int

    def packed(self) -> PackedParsed:
        """The same as plain values, to cross to another process: a bulk send's file is
        planned in one, and unpickling 100,000 ``PhoneNumber`` objects would cost more than
        parsing them again. Only what ``parse`` fills without ``keep_raw_input`` is kept."""
        number = self.number
        return (
            number.country_code,
            number.national_number,
            number.extension,
            number.italian_leading_zero,
            number.number_of_leading_zeros,
            self.region,
            self.kind,
        )

    @classmethod
    def unpacked(cls, values: PackedParsed) -> Parsed:
        """``packed`` undone: equal to the ``Parsed`` it was made from."""
        code, national, extension, leading_zero, zeros, region, kind = values
        number = PhoneNumber(
            country_code=code,
            national_number=national,
            extension=extension,
            italian_leading_zero=leading_zero,
            number_of_leading_zeros=zeros,
        )
        return cls(number, region, kind)


# country code, national number, extension, Italian leading zero, leading zeros, region, kind
PackedParsed = tuple[int | None, int | None, str | None, bool | None, int | None, str | None, int]
_PARSED: OrderedDict[str, Parsed | None] = OrderedDict()
_PARSED_KEPT = 4096
_PARSED_LOCK = Lock()  # a bulk send's file is read in a thread while the loop asks too


def _parsed(number: str) -> Parsed | None:
    """``number`` (E.164) parsed once for all that is asked of it in turn, a number's country,
    line type, zones and written form (a bulk send's 100,000 distinct numbers each ask all
    four); None when it is not a number. ``parse_number`` leaves what it parsed here, so a
    number read from an address or a file is not parsed again. Callers never change it."""
    with _PARSED_LOCK:
        if number in _PARSED:
            _PARSED.move_to_end(number)
            return _PARSED[number]
    try:
        found = phonenumbers.parse(number, None)
    except NumberParseException:
        _keep(number, None)
        return None
    known = Parsed(found, *_region_and_kind(found))
    _keep(number, known)
    return known


def _keep(number: str, parsed: Parsed | None) -> None:
    with _PARSED_LOCK:
        _PARSED[number] = parsed
        if len(_PARSED) > _PARSED_KEPT:
            _PARSED.popitem(last=False)


@lru_cache(maxsize=4096)
def country_of(number: str, declared: str = "") -> str | None:
    """The two-letter region of an E.164 number: ``GB`` for ``+447700900123``.

    A number that no region claims (an unassigned or reserved range such as Ofcom's drama
    numbers) belongs to the main region of its country code, so every +44 number is GB.
    A short code has no country in its digits: it is the ``declared`` one (its
    ``[[numbers]] country``). None for what is not a number, or a non-geographic code (+800)."""
    if is_short_code(number):
        return declared.upper() or None
    known = _parsed(number)
    if known is None:
        return None
    region = known.region or phonenumbers.region_code_for_country_code(
        known.number.country_code or 0
    )
    return None if region in ("ZZ", "001") else region


@lru_cache(maxsize=4096)
def time_zones_of(number: str) -> tuple[str, ...]:
    """The IANA zones an E.164 number may ring in, as phonenumbers knows them: one for most
    (``+12125551234``: America/New_York), several for a country or area code that spans
    zones (a US toll-free number, most Australian and Russian mobiles); a number no range
    claims takes its country's zones. Zones that keep one clock (Europe/London and
    Europe/Jersey) count once, by the last name. Empty when nothing is known."""
    known = _parsed(number)
    if known is None:
        return ()
    zones = tuple(z for z in pn_timezone.time_zones_for_number(known.number) if z != _UNKNOWN_ZONE)
    if not zones:  # the country's zones (the module's own fallback, not exported)
        country = pn_timezone._country_level_time_zones_for_number(known.number)
        zones = tuple(z for z in country if z != _UNKNOWN_ZONE)
    return _distinct_clocks(zones)


_UNKNOWN_ZONE = "Etc/Unknown"
# an instant in each month of three years: zones that agree at all of them keep one clock
_SAMPLES = tuple(
    datetime(year, month, 1, 12, tzinfo=UTC)
    for year in (2025, 2026, 2027)
    for month in range(1, 13)
)


@lru_cache(maxsize=1024)  # few distinct sets of zones; comparing their clocks is not cheap
def _distinct_clocks(zones: tuple[str, ...]) -> tuple[str, ...]:
    clocks: dict[tuple[timedelta | None, ...], str] = {}
    for name in sorted(zones):
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        clocks[tuple(at.astimezone(zone).utcoffset() for at in _SAMPLES)] = name
    return tuple(sorted(clocks.values()))


_WORDS = {
    "MOBILE": "mobile",
    "FIXED_LINE": "landline",
    "FIXED_LINE_OR_MOBILE": "landline or mobile",
    "TOLL_FREE": "toll-free",
    "PREMIUM_RATE": "premium-rate",
    "SHARED_COST": "shared-cost",
    "VOIP": "VoIP",
    "PERSONAL_NUMBER": "personal",
    "PAGER": "pager",
    "UAN": "corporate",
    "VOICEMAIL": "voicemail",
    "UNKNOWN": "unknown",
}
# phonenumbers' PhoneNumberType names, as settings write them (``PREMIUM_RATE``).
LINE_TYPES = tuple(_WORDS)
_NAMES = {getattr(phonenumbers.PhoneNumberType, name): name for name in LINE_TYPES}


def is_region(code: str) -> bool:
    """Whether ``code`` is a two-letter region phonenumbers knows (``GB``, ``US``)."""
    return code in phonenumbers.SUPPORTED_REGIONS


@lru_cache(maxsize=4096)
def line_type(number: str) -> str:
    """The kind of line an E.164 number is, as phonenumbers' ``PhoneNumberType`` name
    (``MOBILE``, ``PREMIUM_RATE``); ``UNKNOWN`` when phonenumbers cannot tell (reserved
    ranges, unassigned blocks). The drama ranges our docs use are ``MOBILE`` (+44 7700 900…)
    and, as phonenumbers reads NANP area codes, ``FIXED_LINE_OR_MOBILE``."""
    if _FICTIONAL.fullmatch(number):
        return "MOBILE" if number.startswith("+44") else "FIXED_LINE_OR_MOBILE"
    known = _parsed(number)
    if known is None:
        return "UNKNOWN"
    return _NAMES.get(known.kind, "UNKNOWN")


def _region_and_kind(number: PhoneNumber) -> tuple[str | None, int]:
    """The region whose ranges hold ``number`` (``region_code_for_number``) and the number's
    type there (``number_type``), found together. phonenumbers matches the number against a
    region's ranges to choose the region (+44: GB, GG, IM or JE), again to validate it and
    again for its type; a bulk send asks this of 100,000 numbers, so once is enough."""
    unknown = phonenumbers.PhoneNumberType.UNKNOWN
    code = number.country_code or 0
    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code, ())
    national = phonenumbers.national_significant_number(number)
    for region in regions:
        if len(regions) > 1:  # several regions share the code: the first whose ranges hold it
            metadata = PhoneMetadata.metadata_for_region(region, None)
            if metadata is None:
                continue
            if metadata.leading_digits is None:
                kind = _number_type_helper(national, metadata)
                if kind == unknown:
                    continue
                return region, kind
            if not re.match(metadata.leading_digits, national):
                continue
        found = PhoneMetadata.metadata_for_region_or_calling_code(code, region)
        return region, unknown if found is None else _number_type_helper(national, found)
    return None, unknown


def number_type(number: str) -> str:
    """What kind of line an E.164 number is, in words ("mobile", "landline", "premium-rate");
    "unknown" when phonenumbers cannot tell."""
    return _WORDS[line_type(number)]


@lru_cache(maxsize=4096)
def display_number(number: str) -> str:
    """``+447700900123`` as people write it: ``+44 7700 900123``."""
    known = _parsed(number)
    if known is None:
        return number
    return phonenumbers.format_number(known.number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _parse(dialled: str, written: str, region: str) -> PhoneNumber:
    try:
        return phonenumbers.parse(dialled, None if dialled.startswith("+") else region)
    except NumberParseException as exc:
        why = _PARSE_REASONS.get(exc.error_type, "is not a phone number")
        raise InvalidNumber(f"{_shown(written)} {why}.") from None


def _impossible(written: str, number: PhoneNumber, result: int) -> str:
    why = _LENGTH_REASONS.get(result, "cannot be a phone number in {country}")
    return f"{_shown(written)} {why.format(country=_country(number))}."


def _country(number: PhoneNumber) -> str:
    code = number.country_code or 0
    region = phonenumbers.region_code_for_country_code(code)
    if region in {"ZZ", "001"}:  # unknown, or a non-geographic code such as +800
        return f"country code +{code}"
    return f"{region} (+{code})"


def _country_code(number: str) -> int | None:
    """The country code of an E.164 number: codes are prefix-free, so at most one of its first
    three digit prefixes is one (a dictionary look-up; ``mask`` runs for every log line)."""
    for length in (2, 3, 4):
        code = int(number[1:length])
        if code in phonenumbers.COUNTRY_CODE_TO_REGION_CODE:
            return code
    return None


def _shown(written: str) -> str:
    """The number as typed, safe to put in an SMTP reply: printable ASCII, 40 characters."""
    safe = "".join(ch if " " <= ch <= "~" else "?" for ch in written)
    return f'"{safe[:40]}..."' if len(safe) > 40 else f'"{safe}"'


def named(number: str, name: str = "") -> str:
    """How a customer is shown to staff: ``Jane Doe (+44 7700 900123)``, or just the number
    when the address book has no name for them."""
    shown = display_number(number)
    return f"{name} ({shown})" if name else shown
