"""How a customer's text is compared with a flow's words: one definition for menus, FAQs and
hand-over words.

Texts are compared in their normal form (``bridge.parsing.keywords``: case, width and
punctuation at the edges folded), word by word. A phrase *is in* a text when its words
appear there in order, side by side ("talk to a person" has "person"). The fuzzy score is
the best of three ``difflib.SequenceMatcher`` ratios (0 to 1, from the standard library): the
phrase against the whole text, against the best run of the text's words as long as the
phrase, and word by word (each of the phrase's words that carry meaning, "what", "are" and
"your" left out, against the text's closest word, averaged). So a typo ("opning hours"), a
longer question ("what are your opening hours please") or a shorter one ("opening hours?"
for "what are your opening hours") still scores high. difflib is enough for texts of a few
words; no dependency is added for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from bridge.parsing.keywords import normal_form

__all__ = ["Match", "best_match", "contains", "words_of"]


@dataclass(frozen=True, slots=True)
class Match:
    """Which candidate (by index) matched, on which phrase, how well, and how."""

    index: int
    phrase: str
    score: float
    how: str  # "exact", "word" or "fuzzy"


def words_of(text: str) -> tuple[str, ...]:
    """The text's words in normal form, punctuation at each word's edges dropped."""
    return tuple(w for w in (normal_form(part) for part in normal_form(text).split()) if w)


def contains(words: tuple[str, ...], phrase: str) -> bool:
    """Whether ``phrase`` (a normal form) appears in ``words`` as whole words, in order."""
    wanted = tuple(phrase.split())
    size = len(wanted)
    return any(words[i : i + size] == wanted for i in range(len(words) - size + 1))


_FILLER_WORDS = (
    "a am an and any are at be can could do does for have how i in is it me my of on or"
    " please the there to us we what when where which who why will with would you your"
)
_FILLER = frozenset(_FILLER_WORDS.split())


def _ratio(one: str, other: str) -> float:
    return SequenceMatcher(None, one, other).ratio()


def _fuzzy(words: tuple[str, ...], phrase: str) -> float:
    size = len(phrase.split())
    runs = {" ".join(words)} | {
        " ".join(words[i : i + size]) for i in range(max(len(words) - size + 1, 0))
    }
    best = max(_ratio(run, phrase) for run in runs)
    meaning = [w for w in phrase.split() if w not in _FILLER]
    if meaning and words:
        by_word = sum(max(_ratio(w, t) for t in words) for w in meaning) / len(meaning)
        best = max(best, by_word)
    return best


def best_match(
    text: str,
    candidates: Sequence[tuple[tuple[str, ...], tuple[str, ...]]],
    *,
    threshold: float,
) -> Match | None:
    """The first candidate whose exact phrases equal the whole text, else whose word phrases
    are in it, else the best fuzzy score at or above ``threshold``.

    Each candidate is (phrases matched exactly or as words, phrases matched fuzzily)."""
    words = words_of(text)
    whole = " ".join(words)
    if not whole:
        return None
    for index, (exact, _) in enumerate(candidates):
        for phrase in exact:
            if phrase == whole:
                return Match(index, phrase, 1.0, "exact")
    for index, (exact, _) in enumerate(candidates):
        for phrase in exact:
            if not phrase.isdigit() and contains(words, phrase):
                return Match(index, phrase, 1.0, "word")
    best: Match | None = None
    for index, (exact, fuzzy) in enumerate(candidates):
        for phrase in (*exact, *fuzzy):
            if phrase.isdigit():
                continue
            score = round(_fuzzy(words, phrase), 3)
            if score >= threshold and (best is None or score > best.score):
                best = Match(index, phrase, score, "fuzzy")
    return best
