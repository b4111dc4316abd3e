"""Rule ``segments``: a text costs what its author was allowed, and says so when it does not.

Typographic quotes, dashes and ellipses become plain ones first (if ``text.transliterate``),
so one curly apostrophe does not double the price. Then the text must fit the author's (or
sender's) segment limit, else ``text.max_segments``: a longer one is refused with its length,
the limit and the characters that forced Unicode, or cut to fit (``too_long = "truncate"``,
the author is told by a notice). The encoding and segment count are set here, once.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.chain.facts import Facts
from bridge.chain.request import OutboundRequest
from bridge.chain.rule import Fact, Stage
from bridge.chain.verdicts import Accept, Refuse, Rewrite, Verdict
from bridge.parsing.fitting import TooLong, fit_text
from bridge.settings.text import TextSettings

__all__ = ["Segments"]


@dataclass(frozen=True, slots=True)
class Segments:
    settings: TextSettings
    name: str = "segments"
    stage: Stage = Stage.CONTENT
    needs: frozenset[Fact] = frozenset()

    def check(self, request: OutboundRequest, facts: Facts) -> Verdict:
        text = request.text or ""
        limit = request.max_segments or self.settings.max_segments
        try:
            fitted = fit_text(
                text,
                limit=limit,
                too_long=self.settings.too_long,
                typographic=self.settings.transliterate,
            )
        except TooLong as exc:
            return Refuse(exc.reason, status="5.3.4")
        sized = request.revised(
            text=fitted.text,
            encoding=fitted.encoding,
            segments=fitted.segments,
            truncated_from=fitted.truncated_from,
        )
        noun = "segment" if fitted.segments == 1 else "segments"
        size = f"{fitted.segments} {noun} of {fitted.encoding} (limit {limit})"
        if fitted.truncated_from is not None:
            return Rewrite(
                sized, f"cut from {fitted.truncated_from} to {len(fitted.text)} characters: {size}"
            )
        if fitted.text != text:
            return Rewrite(sized, f"typographic characters made plain: {size}")
        return Accept(size, request=sized)
