"""Rule ``content``: a text must have something to say, and nothing a phone cannot show.

Control characters (a NUL from a script, a stray escape) are dropped: a handset shows them as
boxes or not at all, one of them forces the whole text into UCS-2 at twice the price, and a
database may refuse them. Line breaks and tabs stay. An empty text is refused, with the
reason an author can act on.

A text with a replacement character (U+FFFD) is refused: it stands for bytes that could not
be read in the charset the email declared (``parsing/charsets.py``), so the recipient would
get a box where a word was, in UCS-2. The author is told what went wrong; nothing is sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.chain.facts import Facts
from bridge.chain.request import OutboundRequest, Source
from bridge.chain.rule import Fact, Stage
from bridge.chain.verdicts import Accept, Refuse, Rewrite, Verdict
from bridge.parsing.charsets import CONTROL

__all__ = ["Content"]

_EMPTY_EMAIL = "The email has no text to send: above the quoted reply and signature it is empty."
_EMPTY = "The text is empty: there is nothing to send."
_UNREADABLE = (
    "The text has characters that could not be read (replacement characters, U+FFFD): the"
    " email's bytes do not fit the character set it declares. Set the mail program to send"
    " UTF-8, or remove those characters, and send the email again."
)
_REPLACEMENT = (
    "The text has a replacement character (U+FFFD), which stands for characters that could"
    " not be read: remove it."
)


@dataclass(frozen=True, slots=True)
class Content:
    name: str = "content"
    stage: Stage = Stage.CONTENT
    needs: frozenset[Fact] = frozenset()

    def check(self, request: OutboundRequest, facts: Facts) -> Verdict:
        text = request.text or ""
        clean = CONTROL.sub("", text)
        email = request.source in (Source.EMAIL, Source.MAILBOX)
        if not clean.strip():
            return Refuse(_EMPTY_EMAIL if email else _EMPTY, status="5.6.0")
        if "\ufffd" in clean:
            return Refuse(_UNREADABLE if email else _REPLACEMENT, status="5.6.0")
        if clean == text:
            return Accept()
        dropped = len(text) - len(clean)
        return Rewrite(request.revised(text=clean), f"dropped {dropped} control character(s)")
