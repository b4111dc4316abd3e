"""How a text is encoded and split into SMS segments, as the handset and the provider see it.

GSM 03.38 (GSM-7) fits 160 septets in one SMS; characters of its extension table take two
(an escape and the character). A single character outside GSM-7 makes the whole text UCS-2,
which fits 70 UTF-16 code units. A split text loses room to the concatenation header: 153
septets or 67 code units a segment. An escape pair and a surrogate pair (an emoji) are never
split across segments, so a segment may hold one unit less than its maximum.

Pure functions; ``analyse`` and ``split_segments`` share one splitting rule so the count the
author is told always matches what is sent.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SmsAnalysis", "analyse", "split_segments", "transliterate", "truncate"]

GSM7 = "GSM-7"
UCS2 = "UCS-2"
_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_EXTENSION = frozenset("\f^{}\\[~]|€")
_LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}
_TYPOGRAPHIC = str.maketrans(
    {
        **dict.fromkeys("‘’‚‛′`´", "'"),
        **dict.fromkeys("“”„‟″«»", '"'),
        **dict.fromkeys("‐‑‒–—―−", "-"),
        **dict.fromkeys(
            "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
            "\u200a\u202f\u205f\u3000",
            " ",
        ),
        **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad", ""),
        "…": "...",
        "•": "*",
        "\t": " ",
    }
)


@dataclass(frozen=True, slots=True)
class SmsAnalysis:
    """``units`` are septets (GSM-7) or UTF-16 code units (UCS-2)."""

    encoding: str
    units: int
    segments: int
    non_gsm: tuple[str, ...]


def analyse(text: str) -> SmsAnalysis:
    """Encoding, length and segment count of ``text``. An empty text is one (empty) SMS."""
    non_gsm = _non_gsm(text)
    encoding = UCS2 if non_gsm else GSM7
    units = sum(_cost(ch, encoding) for ch in text)
    return SmsAnalysis(encoding, units, len(split_segments(text)), non_gsm)


def split_segments(text: str) -> list[str]:
    """The segments as sent; joined together they give ``text`` back."""
    encoding = UCS2 if _non_gsm(text) else GSM7
    single, multi = _LIMITS[encoding]
    if sum(_cost(ch, encoding) for ch in text) <= single:
        return [text]
    segments: list[str] = []
    current: list[str] = []
    used = 0
    for ch in text:
        cost = _cost(ch, encoding)
        if used + cost > multi:
            segments.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += cost
    segments.append("".join(current))
    return segments


def transliterate(text: str) -> str:
    """Typographic quotes, dashes, spaces and ellipses as plain ones, so GSM-7 still fits."""
    return text.translate(_TYPOGRAPHIC)


def truncate(text: str, max_segments: int) -> str:
    """The longest start of ``text`` that fits ``max_segments``, ending in "..." when cut.

    It prefers to cut at a space when that loses at most a fifth of a segment's room.
    """
    if analyse(text).segments <= max_segments:
        return text
    encoding = UCS2 if _non_gsm(text) else GSM7
    room = (_LIMITS[encoding][0] if max_segments == 1 else _LIMITS[encoding][1] * max_segments) - 3
    kept: list[str] = []
    used = 0
    for ch in text:
        used += _cost(ch, encoding)
        if used > room:
            break
        kept.append(ch)
    cut = "".join(kept)
    space = cut.rfind(" ")
    if space > 0 and len(cut) - space <= _LIMITS[encoding][1] // 5:
        cut = cut[:space]
    result = cut.rstrip() + "..."
    while analyse(result).segments > max_segments:  # an escape pair at a boundary
        result = result[:-4].rstrip() + "..."
    return result


def _cost(ch: str, encoding: str) -> int:
    if encoding == GSM7:
        return 2 if ch in _EXTENSION else 1
    return 2 if ord(ch) > 0xFFFF else 1


def _non_gsm(text: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for ch in text:
        if ch not in _BASIC and ch not in _EXTENSION:
            seen[ch] = None
    return tuple(seen)
