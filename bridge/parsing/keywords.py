"""The normal form of a keyword, the one rule STOP, START, HELP and routing keywords share.

Customers type keywords on phones: "Stop", "STOP!", “Stop” with typographic quotes, "STOP…",
full-width "ＳＴＯＰ" from a CJK keyboard, "Stop 🙏". All of those mean STOP. The normal form
folds compatibility characters (NFKC: full-width letters, the ellipsis as three dots), case
(casefold), and drops punctuation, symbols (emoji among them), marks and spaces at both ends.
Inside a word nothing changes: "St.op" is not STOP.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

__all__ = ["first_word", "normal_form", "whole_text_keyword"]

# Unicode categories that never make up a keyword: punctuation, symbols (emoji are So, skin
# tones Sk), separators, controls and format characters (ZWJ), and marks left alone at an edge
# (the emoji variation selector U+FE0F is Mn).
_EDGE = ("P", "S", "Z", "C", "M")


@lru_cache(maxsize=4096)
def normal_form(text: str) -> str:
    """``text`` folded as a keyword is compared: "“Stop…”" -> "stop"."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    start, end = 0, len(folded)
    while start < end and (folded[start].isspace() or _at_edge(folded[start])):
        start += 1
    while end > start and (folded[end - 1].isspace() or _at_edge(folded[end - 1])):
        end -= 1
    return folded[start:end]


def whole_text_keyword(text: str) -> str:
    """The normal form of ``text`` if the whole text is one word, else "" (carriers count a
    keyword only as the whole text: "please stop texting at 9" is a reply, not STOP)."""
    word = normal_form(text)
    return "" if any(ch.isspace() for ch in word) else word


def first_word(text: str) -> str:
    """The normal form of the text's first word ("Renew! please" -> "renew"); "" if none.

    Leading symbols and punctuation are passed over first, so "🙏 renew" starts with "renew".
    """
    words = normal_form(text).split()
    return normal_form(words[0]) if words else ""


def _at_edge(ch: str) -> bool:
    return unicodedata.category(ch)[0] in _EDGE
