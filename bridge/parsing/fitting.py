"""Make a text fit the segment limit: refuse (saying why) or truncate, as the admin chose."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bridge.parsing.sms_text import analyse, transliterate, truncate

__all__ = ["FittedText", "TooLong", "fit_text"]


class TooLong(ValueError):
    """The text needs more segments than allowed; ``reason`` tells the author how much and why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class FittedText:
    text: str
    encoding: str
    segments: int
    truncated_from: int | None = None


def fit_text(
    text: str, *, limit: int, too_long: Literal["refuse", "truncate"], typographic: bool
) -> FittedText:
    """Transliterate typographic characters if asked, then check the length against ``limit``."""
    if typographic:
        text = transliterate(text)
    analysis = analyse(text)
    if analysis.segments <= limit:
        return FittedText(text, analysis.encoding, analysis.segments)
    if too_long == "refuse":
        raise TooLong(too_long_reason(text, limit))
    kept = truncate(text, limit)
    short = analyse(kept)
    return FittedText(kept, short.encoding, short.segments, truncated_from=len(text))


def too_long_reason(text: str, limit: int) -> str:
    """Say how long the text is, the limit, and (for UCS-2) which characters made it so."""
    analysis = analyse(text)
    reason = (
        f"The text is too long: {len(text)} characters make {analysis.segments} SMS segments,"
        f" and the limit is {limit}."
    )
    if analysis.encoding == "UCS-2":
        shown = " ".join(analysis.non_gsm[:10])
        reason += (
            f" These characters need Unicode, which fits only 70 characters a segment: {shown}."
        )
    return reason + " Shorten it and send it again."
