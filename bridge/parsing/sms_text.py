"""How a text is encoded and split into SMS segments, as the handset and the provider see it.

GSM 03.38 (GSM-7) fits 160 septets in one SMS; characters of its extension table take two
(an escape and the character). A single character outside GSM-7 makes the whole text UCS-2,
which fits 70 UTF-16 code units. A split text loses room to the concatenation header: 153
septets or 67 code units a segment. An escape pair and a surrogate pair (an emoji outside the
BMP) are never split across segments, so a segment may hold one unit less than its maximum.

An empty text is one (empty) SMS of 0 units: that is what handsets show and what providers bill.

Pure functions; ``analyse`` and ``split_segments`` share one splitting rule (``_split``), so
the count the author is told always matches what is sent. A Python ``str`` holds an astral
character as one code point, so cutting between code points never splits a surrogate pair.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["SmsAnalysis", "analyse", "split_segments", "transliterate", "truncate"]

GSM7 = "GSM-7"
UCS2 = "UCS-2"
_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_EXTENSION = frozenset("\f^{}\\[~]|€")
_NOT_GSM = re.compile("[^" + re.escape("".join(sorted(_BASIC | _EXTENSION))) + "]")
_TWO_SEPTETS = re.compile("[" + re.escape("".join(sorted(_EXTENSION))) + "]")
_LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}  # (single SMS, each part of a split one)
_MARKERS = {GSM7: "...", UCS2: "…"}  # how a truncated text ends: 3 septets, or 1 code unit
_ZWJ = "\u200d"
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")  # two UTF-16 code units each
_TYPOGRAPHIC = str.maketrans(
    {
        **dict.fromkeys("‘’‚‛‹›′`´", "'"),
        **dict.fromkeys("“”„‟«»″", '"'),
        **dict.fromkeys("‐‑‒–—―−", "-"),
        **dict.fromkeys(
            "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
            "\u200a\u202f\u205f\u3000\t",
            " ",
        ),
        **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e", ""),
        **dict.fromkeys("\u2028\u2029", "\n"),
        "…": "...",
        "•": "*",
    }
)
_ANY_TYPOGRAPHIC = re.compile("[" + re.escape("".join(map(chr, _TYPOGRAPHIC))) + "]")


@dataclass(frozen=True, slots=True)
class SmsAnalysis:
    """What a text costs to send.

    ``units`` are septets for GSM-7 (an extension character counts 2) or UTF-16 code units for
    UCS-2; ``non_gsm`` lists, once each and in order, the characters that forced UCS-2.
    """

    encoding: str
    units: int
    segments: int
    non_gsm: tuple[str, ...]


def analyse(text: str) -> SmsAnalysis:
    """Encoding, length and segment count of ``text``. An empty text is one SMS of 0 units."""
    non_gsm = _non_gsm(text)
    encoding = UCS2 if non_gsm else GSM7
    units = _units(text, encoding)
    return SmsAnalysis(encoding, units, _count(text, encoding, units), non_gsm)


def split_segments(text: str) -> list[str]:
    """The segments as sent; joined together they give ``text`` back."""
    return _split(text, UCS2 if _non_gsm(text) else GSM7)


def transliterate(text: str) -> str:
    """Typographic quotes, dashes, spaces, bullets and ellipses as plain ones, so GSM-7 fits.

    Letters are never changed: ``ŵ`` or ``ł`` still make the text UCS-2, as they should.
    """
    if _ANY_TYPOGRAPHIC.search(text) is None:  # most texts: one scan in C, not a lookup a character
        return text
    return text.translate(_TYPOGRAPHIC)


def truncate(text: str, max_segments: int) -> str:
    """The longest start of ``text`` that fits ``max_segments``, ending in a marker when cut.

    The marker is "..." for GSM-7 and "…" for UCS-2 (one code unit instead of three). The cut
    moves back to the last space when that loses at most an eighth of what is kept, and never
    leaves a combining mark or an emoji joiner without its partner.
    """
    if max_segments < 1:
        raise ValueError("max_segments must be at least 1")
    if analyse(text).segments <= max_segments:
        return text
    end = _longest_fit(text, max_segments)
    end = _word_boundary(text, end)
    end = _cluster_boundary(text, end)
    return _marked(text[:end])


def _count(text: str, encoding: str, units: int) -> int:
    """How many segments ``_split`` makes, without splitting when no character takes two units
    (then every part but the last is full): a bulk send's texts are analysed by the 100,000."""
    single, multi = _LIMITS[encoding]
    if units <= single:
        return 1
    if units == len(text):
        return -(-units // multi)
    return len(_split(text, encoding, units))


def _split(text: str, encoding: str, units: int | None = None) -> list[str]:
    single, multi = _LIMITS[encoding]
    if (_units(text, encoding) if units is None else units) <= single:
        return [text]
    segments: list[str] = []
    start = used = 0
    for index, ch in enumerate(text):
        cost = _cost(ch, encoding)
        if used + cost > multi:  # a 2-unit character moves whole to the next segment
            segments.append(text[start:index])
            start, used = index, 0
        used += cost
    segments.append(text[start:])
    return segments


def _units(text: str, encoding: str) -> int:
    """What ``text`` costs: one unit a character, and one more for each character that takes
    two (found by one regex scan in C: this runs for every text, and once per truncation
    step, so a Python loop over the characters was most of an email's cost)."""
    if encoding == GSM7:
        return len(text) + len(_TWO_SEPTETS.findall(text))
    return len(text) + len(_ASTRAL.findall(text))


def _cost(ch: str, encoding: str) -> int:
    if encoding == GSM7:
        return 2 if ch in _EXTENSION else 1
    return 2 if ord(ch) > 0xFFFF else 1


def _non_gsm(text: str) -> tuple[str, ...]:
    """The characters outside GSM-7, once each in order (found by one regex scan in C)."""
    return tuple(dict.fromkeys(_NOT_GSM.findall(text)))


def _marked(kept: str) -> str:
    kept = kept.rstrip()
    return kept + _MARKERS[UCS2 if _non_gsm(kept) else GSM7]


def _longest_fit(text: str, max_segments: int) -> int:
    """The largest ``end`` such that ``text[:end]`` with its marker fits.

    Fitting is monotone in ``end`` (a longer start never needs fewer segments, and GSM-7 always
    packs more characters a segment than UCS-2), so a binary search finds it. Every character
    costs at least one unit, which bounds the search.
    """
    low, high = 0, min(len(text), _LIMITS[GSM7][0] * max_segments)
    while low < high:
        middle = (low + high + 1) // 2
        if analyse(_marked(text[:middle])).segments <= max_segments:
            low = middle
        else:
            high = middle - 1
    return low


def _word_boundary(text: str, end: int) -> int:
    if end >= len(text) or text[end].isspace():
        return end
    for space in range(end - 1, end - end // 8 - 1, -1):
        if space > 0 and text[space].isspace():
            return space
    return end


def _cluster_boundary(text: str, end: int) -> int:
    """Move ``end`` back so a combining mark, variation selector or joiner stays with its base."""
    while 0 < end < len(text) and (_attaches(text[end]) or text[end - 1] == _ZWJ):
        end -= 1
    return end


def _attaches(ch: str) -> bool:
    return (
        unicodedata.category(ch) in {"Mn", "Mc", "Me"}
        or ch == _ZWJ
        or "\ufe00" <= ch <= "\ufe0f"
        or "\U0001f3fb" <= ch <= "\U0001f3ff"  # skin tone modifiers
    )
