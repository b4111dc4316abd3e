"""``[[campaigns]]``: opt-in campaigns, started by a keyword texted to a reply number.

``keyword = "JOIN"`` on ``numbers`` (all of the bridge's when left out): with ``double = true``
the customer is asked ``confirm`` ("Reply YES to confirm …") and is opted in only if they
answer one of ``confirm_words`` within ``window_minutes``; without, at once. Either way they
get ``welcome``, which must say who is texting, what, how often and how to stop: the bridge
checks it mentions STOP (carriers and the ICO expect it).
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from bridge.parsing.keywords import normal_form
from bridge.parsing.numbers import is_e164, is_short_code
from bridge.settings.section import Section

__all__ = ["CampaignSettings"]


class CampaignSettings(Section):
    keyword: str = Field(description="The word that starts the opt-in (the whole text).")
    numbers: tuple[str, ...] = Field(
        default=(), description="The reply numbers it is run on; all of them when left out."
    )
    double: bool = Field(default=True, description="Ask for YES before opting in.")
    confirm: str = "Reply YES to confirm you want texts from us. Reply STOP to stop."
    confirm_words: tuple[str, ...] = Field(default=("YES",), validate_default=True)
    window_minutes: float = Field(default=24 * 60, gt=0, description="How long a YES counts.")
    welcome: str = Field(description="Who, what, how often and how to stop (mentions STOP).")

    @field_validator("keyword")
    @classmethod
    def _keyword(cls, value: str) -> str:
        word = normal_form(value)
        if not word or any(ch.isspace() for ch in word):
            raise ValueError(f"{value!r} is not one word: a keyword is texted alone, e.g. JOIN")
        return word

    @field_validator("confirm_words")
    @classmethod
    def _confirm_words(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(word for word in (normal_form(v) for v in values) if word) or ("yes",)

    @field_validator("numbers")
    @classmethod
    def _numbers(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        bad = [v for v in values if not (is_e164(v) or is_short_code(v))]
        if bad:
            raise ValueError(
                f"{bad[0]!r} is not one of the bridge's numbers (E.164 or a short code)"
            )
        return values

    @field_validator("welcome")
    @classmethod
    def _welcome(cls, value: str) -> str:
        if "stop" not in value.casefold():
            raise ValueError(
                'the welcome must say how to stop ("Reply STOP to stop"), as well as who is'
                " texting, what and how often"
            )
        return value

    @model_validator(mode="after")
    def _confirm_says_how(self) -> CampaignSettings:
        said = {normal_form(word) for word in self.confirm.split()}
        if self.double and self.confirm_words[0] not in said:
            word = self.confirm_words[0].upper()
            raise ValueError(f"the confirm text must say what to answer: {word}")
        return self

    def runs_on(self, number: str) -> bool:
        return not self.numbers or number in self.numbers
