"""Encodings and segment counts on a table of cases, and properties of the splitting rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.parsing.sms_text import analyse, split_segments, transliterate, truncate

EMOJI = "\U0001f600"


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 1),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("a" * 459, "GSM-7", 459, 3),
        ("a" * 460, "GSM-7", 460, 4),
        ("€" * 80, "GSM-7", 160, 1),
        ("€" * 81, "GSM-7", 162, 2),
        ("a" * 152 + "€" + "a" * 153, "GSM-7", 307, 3),  # the escape pair moves to segment 2
        ("Café à Ñandù, über", "GSM-7", 18, 1),
        ("Ñandú", "UCS-2", 5, 1),
        ("Ω and {braces} [and] ~tilde~ |pipe| ^caret^ \\", "GSM-7", 56, 1),
        ("a" * 70 + "ł", "UCS-2", 71, 2),
        ("ł" * 70, "UCS-2", 70, 1),
        (EMOJI * 35, "UCS-2", 70, 1),
        (EMOJI * 36, "UCS-2", 72, 2),
        ("a" * 66 + EMOJI + "a" * 10, "UCS-2", 78, 2),  # the pair is not split at unit 67
        ("Diolch yn fawr, mae'r tŷ'n barod", "UCS-2", 32, 1),
        ("Zażółć gęślą jaźń", "UCS-2", 17, 1),
        ("Zażółć gęślą jaźń " * 8, "UCS-2", 144, 3),
    ],
)
def test_encoding_units_and_segments(text: str, encoding: str, units: int, segments: int) -> None:
    result = analyse(text)
    assert (result.encoding, result.units, result.segments) == (encoding, units, segments)


def test_extension_pair_is_never_split_at_the_153_boundary() -> None:
    parts = split_segments("a" * 152 + "€" + "a" * 10)
    assert parts[0] == "a" * 152 and parts[1].startswith("€")


def test_surrogate_pair_is_never_split_at_the_67_boundary() -> None:
    parts = split_segments("a" * 66 + EMOJI + "b" * 10)
    assert parts[0] == "a" * 66 and parts[1].startswith(EMOJI)


def test_non_gsm_characters_are_listed_once_in_order() -> None:
    assert analyse("Zażółć gęślą jaźń").non_gsm == ("ż", "ó", "ł", "ć", "ę", "ś", "ą", "ź", "ń")
    assert analyse("mae'r tŷ").non_gsm == ("ŷ",)


def test_transliteration_keeps_typographic_text_in_gsm7() -> None:
    text = "“Quoted” ‘single’ – dash — em … and\u00a0nbsp\u200b • bullet"
    plain = transliterate(text)
    assert plain == "\"Quoted\" 'single' - dash - em ... and nbsp * bullet"
    assert analyse(plain).encoding == "GSM-7"
    assert transliterate("Zażółć tŷ") == "Zażółć tŷ"  # letters are never changed


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_truncate_fits_and_says_it_was_cut(limit: int) -> None:
    text = "word " * 200
    cut = truncate(text, limit)
    assert analyse(cut).segments <= limit and cut.endswith("...")
    assert len(cut) > (150 if limit == 1 else 150 * limit - 40)


def test_truncate_leaves_a_fitting_text_alone() -> None:
    assert truncate("short", 1) == "short"


def _units(part: str, encoding: str) -> int:
    if encoding == "UCS-2":
        return len(part.encode("utf-16-le")) // 2
    return sum(2 if ch in "\f^{}\\[~]|€" else 1 for ch in part)


@given(st.text(alphabet=st.sampled_from([*"ab€ł \n", EMOJI]), max_size=600))
def test_segments_rebuild_the_text_and_fit(text: str) -> None:
    parts = split_segments(text)
    result = analyse(text)
    assert "".join(parts) == text and len(parts) == result.segments
    single, multi = (160, 153) if result.encoding == "GSM-7" else (70, 67)
    limit = single if len(parts) == 1 else multi
    assert all(_units(part, result.encoding) <= limit for part in parts)


@given(st.text(max_size=800), st.integers(min_value=1, max_value=4))
def test_truncate_always_fits(text: str, limit: int) -> None:
    assert analyse(truncate(text, limit)).segments <= limit
