"""Encodings and segment counts on a table of cases, and properties of splitting and truncation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.parsing.sms_text import analyse, split_segments, transliterate, truncate

EMOJI = "\U0001f600"  # outside the BMP: a surrogate pair, 2 UTF-16 code units
EXTENSION = "\f^{}\\[~]|€"
WELSH = "Diolch yn fawr, mae'r tŷ'n barod"
POLISH = "Zażółć gęślą jaźń"


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 1),  # an empty text is still one SMS, as phones show it
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("a" * 459, "GSM-7", 459, 3),
        ("a" * 460, "GSM-7", 460, 4),
        ("€" * 80, "GSM-7", 160, 1),
        ("€" * 81, "GSM-7", 162, 2),
        ("a" * 152 + "€" + "a" * 152, "GSM-7", 306, 3),  # € moves whole: 152 + 153 + 1
        ("Ω and {braces} [and] ~tilde~ |pipe| ^caret^ \\", "GSM-7", 56, 1),
        ("Café à Ñandù, über Ç", "GSM-7", 20, 1),
        ("Ñandú", "UCS-2", 5, 1),  # ú is not in GSM-7, though ù is
        ("ça", "UCS-2", 2, 1),  # only the capital Ç is in GSM-7
        ("ł" * 70, "UCS-2", 70, 1),
        ("ł" * 71, "UCS-2", 71, 2),
        ("a" * 70 + "ł", "UCS-2", 71, 2),
        ("ł" * 134, "UCS-2", 134, 2),
        ("ł" * 135, "UCS-2", 135, 3),
        (EMOJI * 35, "UCS-2", 70, 1),
        (EMOJI * 36, "UCS-2", 72, 2),
        ("a" * 66 + EMOJI + "a" * 66, "UCS-2", 134, 3),  # the pair moves whole: 66 + 67 + 1
        (WELSH, "UCS-2", 32, 1),
        (POLISH, "UCS-2", 17, 1),
        ((POLISH + " ") * 8, "UCS-2", 144, 3),
    ],
)
def test_encoding_units_and_segments(text: str, encoding: str, units: int, segments: int) -> None:
    result = analyse(text)
    assert (result.encoding, result.units, result.segments) == (encoding, units, segments)
    assert len(split_segments(text)) == segments


@pytest.mark.parametrize(
    ("text", "lengths"),
    [
        ("", [0]),
        ("a" * 161, [153, 8]),
        ("a" * 306, [153, 153]),
        ("a" * 307, [153, 153, 1]),
        ("a" * 152 + "€" + "a" * 10, [152, 11]),  # escape and € stay together
        ("a" * 151 + "€" + "a" * 10, [152, 10]),  # 151 + 2 = 153 septets fits exactly
        ("ł" * 135, [67, 67, 1]),
        ("a" * 66 + EMOJI + "b" * 10, [66, 11]),  # the surrogate pair is not split at 67
        ("a" * 65 + EMOJI + "b" * 10, [66, 10]),  # 65 + 2 = 67 units fits exactly
    ],
)
def test_segment_boundaries(text: str, lengths: list[int]) -> None:
    parts = split_segments(text)
    assert [len(part) for part in parts] == lengths
    assert "".join(parts) == text


def test_non_gsm_characters_are_listed_once_in_order() -> None:
    assert analyse(POLISH).non_gsm == ("ż", "ó", "ł", "ć", "ę", "ś", "ą", "ź", "ń")
    assert analyse(WELSH).non_gsm == ("ŷ",)
    assert analyse("ŵ ŷ ŵ" + EMOJI).non_gsm == ("ŵ", "ŷ", EMOJI)
    assert analyse("plain €").non_gsm == ()


@pytest.mark.parametrize(
    ("typed", "plain"),
    [
        ("“Quoted” ‘single’ „low‟ ‚low‛", "\"Quoted\" 'single' \"low\" 'low'"),
        ("«guillemets» ‹single›", "\"guillemets\" 'single'"),
        ("a – b — c ‒ d ― e", "a - b - c - d - e"),
        ("wait…", "wait..."),
        ("non\u00a0breaking\u2009thin\u202fnarrow\u3000wide", "non breaking thin narrow wide"),
        ("zero\u200bwidth\u200c\u200d\ufeffgone\u2060", "zerowidthgone"),
        ("• first\n• second", "* first\n* second"),
    ],
)
def test_transliteration_keeps_typographic_text_in_gsm7(typed: str, plain: str) -> None:
    assert analyse(typed).encoding == "UCS-2"
    assert transliterate(typed) == plain
    assert analyse(plain).encoding == "GSM-7"


TYPED = st.text(alphabet=st.sampled_from([*"aZ 1\t\n`'\"", *"“”‘’–—…•\u00a0\u200b\u2028é€"]))


@given(TYPED)
def test_transliteration_replaces_every_typographic_character_wherever_it_stands(
    text: str,
) -> None:
    """Each character on its own, and the text at once: texts without any are returned as they
    are (a shortcut), so the same answer is checked both ways."""
    assert transliterate(text) == "".join(transliterate(ch) for ch in text)
    assert not any(ch in transliterate(text) for ch in "“”‘’–—…•\u00a0\u200b\t`")


@pytest.mark.parametrize("text", [WELSH, POLISH, "ŵ ŷ ą ł", "Ñandú", EMOJI])
def test_transliteration_never_changes_letters(text: str) -> None:
    assert transliterate(text) == text
    assert analyse(transliterate(text)).encoding == "UCS-2"


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_truncate_cuts_at_a_word_and_says_so(limit: int) -> None:
    text = "word " * 200
    cut = truncate(text, limit)
    assert analyse(cut).segments <= limit
    assert cut.endswith("word...") and text.startswith(cut[:-3])
    room = 160 if limit == 1 else 153 * limit
    assert len(cut) > room - 8


def test_truncate_ends_ucs2_with_a_one_unit_ellipsis() -> None:
    cut = truncate("ł" * 300, 2)
    assert cut == "ł" * 133 + "…" and analyse(cut).units == 134


def test_truncate_keeps_gsm7_room_when_the_cut_drops_the_unicode() -> None:
    cut = truncate("a" * 200 + "ł", 1)
    assert cut == "a" * 157 + "..." and analyse(cut).encoding == "GSM-7"


def test_truncate_does_not_cut_a_long_word_far_back() -> None:
    text = "short " + "x" * 300
    assert truncate(text, 1) == text[:157] + "..."


def test_truncate_keeps_emoji_and_combining_marks_whole() -> None:
    assert truncate("a" * 66 + EMOJI * 10, 1) == "a" * 66 + EMOJI + "…"
    cut = truncate("e\u0301" * 100, 1)
    assert cut.endswith("e\u0301…") and analyse(cut).segments == 1


def test_truncate_leaves_a_fitting_text_alone() -> None:
    assert truncate("short", 1) == "short"
    assert truncate("a" * 306, 2) == "a" * 306


def test_truncate_needs_a_segment() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        truncate("anything", 0)


MIXED = st.text(alphabet=st.sampled_from([*"ab €ł\n", *EXTENSION, EMOJI, "\u0301"]), max_size=700)


def _units(part: str, encoding: str) -> int:
    if encoding == "UCS-2":
        return len(part.encode("utf-16-le")) // 2
    return sum(2 if ch in EXTENSION else 1 for ch in part)


@given(st.one_of(MIXED, st.text(max_size=500)))
def test_segments_rebuild_the_text_and_fit(text: str) -> None:
    parts = split_segments(text)
    result = analyse(text)
    assert "".join(parts) == text and len(parts) == result.segments
    assert result.units == _units(text, result.encoding)
    single, multi = (160, 153) if result.encoding == "GSM-7" else (70, 67)
    limit = single if len(parts) == 1 else multi
    assert all(_units(part, result.encoding) <= limit for part in parts)


@given(st.one_of(MIXED, st.text(max_size=900)), st.integers(min_value=1, max_value=4))
def test_truncate_always_fits_and_keeps_a_start_of_the_text(text: str, limit: int) -> None:
    cut = truncate(text, limit)
    assert analyse(cut).segments <= limit
    if cut != text:
        marker = "..." if analyse(cut).encoding == "GSM-7" else "…"
        assert cut.endswith(marker) and text.startswith(cut[: -len(marker)])


@given(st.text(alphabet=st.sampled_from(["a", "€", "ł", EMOJI]), max_size=900), st.integers(1, 4))
def test_truncate_keeps_as_much_as_fits_when_there_is_no_word_to_cut_at(
    text: str, limit: int
) -> None:
    cut = truncate(text, limit)
    if cut == text:
        return
    marker = "..." if analyse(cut).encoding == "GSM-7" else "…"
    kept = len(cut) - len(marker)
    longer = text[: kept + 1]
    longer += "..." if analyse(longer).encoding == "GSM-7" else "…"
    assert analyse(longer).segments > limit


# GSM 03.38's basic character set, as the standard's table lists it (row by row).
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


@given(st.one_of(MIXED, st.text(max_size=300), st.text(alphabet=GSM_BASIC + "łç", max_size=50)))
def test_the_characters_that_need_unicode_are_those_outside_gsm7_once_each_in_order(
    text: str,
) -> None:
    outside = [ch for ch in text if ch not in GSM_BASIC and ch not in EXTENSION]
    result = analyse(text)
    assert result.non_gsm == tuple(dict.fromkeys(outside))
    assert result.encoding == ("UCS-2" if outside else "GSM-7")
