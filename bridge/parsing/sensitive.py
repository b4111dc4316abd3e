"""Payment data in a text: card numbers, IBANs, UK sort codes with account numbers.

Pure: the content guard (``bridge.chain.content_guard``) decides what to do with what is found
here. This module holds the one definition of the Luhn check and of the IBAN check (mod 97,
ISO 13616), and one way of masking: every digit or letter but the last four becomes ``*``.
The mask character is an asterisk, not a bullet: ``*`` is in GSM-7's basic set, while one
``•`` would force the whole text into UCS-2, at twice the price.

- A card number (PAN) is 13 to 19 digits, written together or in groups separated by one
  space or dash, or split across a line break; it counts only if it passes the Luhn check,
  so an order or invoice number of the same length almost always passes untouched. A run
  that begins with ``+`` is a phone number, not a card.
- An IBAN is a country code, two check digits and up to 30 letters and digits, together or in
  groups separated by spaces, in capitals; it counts only if its check digits are right.
- A UK sort code with its account number: ``12-34-56 12345678``, and close variants
  (``12 34 56``, ``123456``, separated by a comma, slash or colon, or by "a/c" or "account").

Findings never overlap: a sort code is looked for first, then IBANs, then cards, then the
administrator's own patterns, each in the text left over.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "CARD",
    "IBAN",
    "SORT_CODE",
    "Finding",
    "find_cards",
    "find_ibans",
    "find_sensitive",
    "find_sort_codes",
    "iban_valid",
    "luhn_valid",
    "mask_findings",
]

CARD, IBAN, SORT_CODE = "card number", "IBAN", "sort code and account number"
MASK = "*"

# Groups of digits joined by one space or dash, or by a line break (with spaces around it).
_DIGIT_RUN = re.compile(r"(?<![\d+])\d+(?:(?:[ \-]|[ \t]*\r?\n[ \t]*)\d+)*(?!\d)")
_GROUP = re.compile(r"\d+")
_DIGIT = re.compile(r"\d")  # what the searches count as a digit (Unicode's decimal digits)
# A card has 13 digits or more; a sort code and its account number 6 and 7 or 8.
_FEWEST_DIGITS = 13
# A capitalised group starting with a country code and two check digits, then more groups.
# The first letter comes before the look-behind (which checks the character before it), so
# the regex engine skips ahead to a capital letter instead of looking behind every character.
_IBAN_RUN = re.compile(r"[A-Z](?<![A-Z0-9][A-Z])[A-Z][0-9]{2}[A-Z0-9]*(?: [A-Z0-9]+)*(?![A-Z0-9])")
_SORT_CODE = re.compile(
    r"(?<![\w*])(\d{2})([- ]?)(\d{2})\2(\d{2})"
    r"[ \t]*(?:[,/:;][ \t]*)?(?:(?:a/c|acc(?:oun)?t?)(?:[ \t]*(?:no\.?|number))?[ \t]*:?[ \t]*)?"
    r"(\d{7,8})(?![\w*])",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Finding:
    """``kind`` (``CARD``, ``IBAN``, ``SORT_CODE`` or a pattern's name) at ``text[start:end]``."""

    kind: str
    start: int
    end: int


def luhn_valid(number: str) -> bool:
    """Whether a string of digits passes the Luhn (mod 10) check card numbers carry."""
    if not number.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    """Whether ``iban`` (spaces allowed) has a country code, the right length for an IBAN,
    and check digits that make it 1 modulo 97 (ISO 13616)."""
    compact = iban.replace(" ", "").upper()
    if not (15 <= len(compact) <= 34 and compact.isalnum() and compact.isascii()):
        return False
    if not (compact[:2].isalpha() and compact[2:4].isdigit()):
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


def find_cards(text: str) -> list[Finding]:
    """Card numbers: 13-19 digits in groups that pass the Luhn check."""
    found: list[Finding] = []
    for run in _DIGIT_RUN.finditer(text):
        groups = list(_GROUP.finditer(text, run.start(), run.end()))
        found.extend(_cards_in(groups))
    return found


def _cards_in(groups: Sequence[re.Match[str]]) -> Iterable[Finding]:
    """The longest Luhn-valid window of whole groups at each start, left to right."""
    first = 0
    while first < len(groups):
        for last in range(len(groups) - 1, first - 1, -1):
            digits = "".join(g.group() for g in groups[first : last + 1])
            if 13 <= len(digits) <= 19 and luhn_valid(digits):
                yield Finding(CARD, groups[first].start(), groups[last].end())
                first = last
                break
        first += 1


def find_ibans(text: str) -> list[Finding]:
    """IBANs with valid check digits: the longest run of groups from a country code that is one."""
    found = []
    for run in _IBAN_RUN.finditer(text):
        groups = list(re.finditer(r"[A-Z0-9]+", run.group()))
        for last in range(len(groups) - 1, -1, -1):
            if iban_valid(run.group()[: groups[last].end()]):
                found.append(Finding(IBAN, run.start(), run.start() + groups[last].end()))
                break
    return found


def find_sort_codes(text: str) -> list[Finding]:
    """A UK sort code followed by an account number."""
    return [Finding(SORT_CODE, m.start(), m.end()) for m in _SORT_CODE.finditer(text)]


def find_sensitive(
    text: str, *, patterns: Sequence[tuple[str, re.Pattern[str]]] = ()
) -> list[Finding]:
    """Everything sensitive in ``text``, in text order, none overlapping another: sort codes,
    IBANs, cards, then each ``(name, pattern)`` of the administrator's."""
    found: list[Finding] = []
    searches = [find_sort_codes, find_ibans, find_cards]
    if len(_DIGIT.findall(text)) < _FEWEST_DIGITS:  # most texts: no card, no account
        searches = [find_ibans]
    for search in searches:
        found.extend(f for f in search(text) if not _overlaps(f, found))
    for name, pattern in patterns:
        for match in pattern.finditer(text):
            finding = Finding(name, match.start(), match.end())
            if match.end() > match.start() and not _overlaps(finding, found):
                found.append(finding)
    return sorted(found, key=lambda f: f.start)


def _overlaps(finding: Finding, found: Iterable[Finding]) -> bool:
    return any(finding.start < f.end and f.start < finding.end for f in found)


def mask_findings(text: str, findings: Iterable[Finding]) -> str:
    """``text`` with every digit of each finding but its last four masked (``*``), and every
    letter too in an IBAN or a pattern's match; spaces, dashes, line breaks and words such as
    "a/c" stay where they were."""
    chars = list(text)
    for finding in findings:
        digits_only = finding.kind in (CARD, SORT_CODE)
        span = range(finding.start, finding.end)
        places = [i for i in span if (chars[i].isdigit() if digits_only else chars[i].isalnum())]
        for i in places[:-4]:
            chars[i] = MASK
    return "".join(chars)
