"""``[[flows]]``: dialogues a customer starts with a keyword, answered by the bridge itself.

A flow is a list of ``[[flows.steps]]``: a ``menu`` (numbered choices), a ``faq`` (answers
found by keyword or by a fuzzy match of the question), an ``ask`` (a value checked as a date,
a UK postcode, a regular expression or any text, asked again after a wrong answer) and an
``end`` (its text is the last; the answers are emailed to ``notify`` and POSTed to
``webhook``). It is handed over to a person when the customer asks (``handover_words``), on
``escalate_words``, when a step fails ``max_failures`` times, or when a FAQ has no answer.
The engine is ``bridge.flows``; docs/flows.md explains it with a worked example.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from bridge.parsing.keywords import normal_form
from bridge.parsing.numbers import is_e164, is_short_code
from bridge.settings.section import Section, SettingError, check_addresses, check_regex

__all__ = ["FlowAnswer", "FlowChoice", "FlowSettings", "FlowStep", "flow_faults"]

_ID = re.compile(r"^[a-z][a-z0-9_-]*$")


def _phrases(values: tuple[str, ...]) -> tuple[str, ...]:
    """Normal forms, inner white space made single: "Opening  Hours!" -> "opening hours"."""
    return tuple(p for p in (" ".join(normal_form(v).split()) for v in values) if p)


class FlowChoice(Section):
    """One choice of a menu: any of ``words`` (the whole text, or a word in it) goes to
    ``goto``."""

    words: tuple[str, ...] = Field(min_length=1, description='e.g. ["1", "hours"]')
    goto: str = Field(description="The id of the step this choice leads to.")

    @field_validator("words")
    @classmethod
    def _words(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return _phrases(values)


class FlowAnswer(Section):
    """One answer of a FAQ: found when a keyword is in the text, or when the text is close
    enough to one of ``questions`` (``fuzzy_threshold``)."""

    keywords: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()
    answer: str = Field(min_length=1)

    @field_validator("keywords", "questions")
    @classmethod
    def _normal(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return _phrases(values)

    @model_validator(mode="after")
    def _findable(self) -> FlowAnswer:
        if not (self.keywords or self.questions):
            raise ValueError("an answer needs keywords or questions to be found by")
        return self


class FlowStep(Section):
    id: str = Field(description="The step's name, which choices and next refer to.")
    kind: Literal["menu", "faq", "ask", "end"]
    say: str = Field(default="", description="Texted when the flow reaches the step.")
    retry: str = Field(default="", description="Texted after an answer that does not fit.")
    choices: tuple[FlowChoice, ...] = ()
    answers: tuple[FlowAnswer, ...] = ()
    value: Literal["text", "date", "uk_postcode", "regex"] = "text"
    pattern: str = Field(default="", description="For value = regex: the whole answer matches.")
    field: str = Field(default="", description="The name the answer is kept and emailed under.")
    next: str = Field(default="", description="The step after an ask, or after a FAQ answer.")

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError(f"{value!r} is not a step id: lower-case letters, digits, - and _")
        return value

    @model_validator(mode="after")
    def _complete(self) -> FlowStep:
        faults = []
        if self.kind == "menu" and not self.choices:
            faults.append(("choices", "a menu needs [[flows.steps.choices]]"))
        if self.kind == "faq" and not self.answers:
            faults.append(("answers", "a faq needs [[flows.steps.answers]]"))
        if self.kind == "ask" and not self.field:
            faults.append(("field", 'an ask step names its answer: field = "date"'))
        if self.kind == "ask" and not self.next:
            faults.append(("next", 'an ask step says where to go next: next = "done"'))
        if self.kind in ("menu", "ask", "end") and not self.say:
            faults.append(("say", f"a {self.kind} step needs the text it says"))
        if self.value == "regex":
            if not self.pattern:
                faults.append(("pattern", "value = regex needs a pattern"))
            else:
                try:
                    check_regex(self.pattern)
                except ValueError as exc:
                    faults.append(("pattern", str(exc)))
        SettingError.raise_any(faults)
        return self

    def targets(self) -> list[tuple[str, str]]:
        """(key, step id) for each step this one can lead to."""
        found = [(f"choices.{i}.goto", c.goto) for i, c in enumerate(self.choices)]
        return found + ([("next", self.next)] if self.next else [])


class FlowSettings(Section):
    name: str = Field(min_length=1)
    keywords: tuple[str, ...] = Field(
        min_length=1, description="Texted alone, each starts the flow (MENU, BOOK)."
    )
    numbers: tuple[str, ...] = Field(
        default=(), description="The reply numbers it runs on; all of them when left out."
    )
    steps: tuple[FlowStep, ...] = Field(min_length=1, description="The first step starts.")
    timeout_minutes: float = Field(default=30, gt=0, description="Idle longer and it ends.")
    max_failures: int = Field(default=2, ge=1, description="Wrong answers before a hand-over.")
    fuzzy_threshold: float = Field(default=0.75, gt=0, le=1)
    handover_words: tuple[str, ...] = ("agent", "human", "person")
    escalate_words: tuple[str, ...] = Field(default=(), description='e.g. ["complaint"]')
    handover_say: str = "Thanks, a member of our team will text you back shortly."
    notify: tuple[str, ...] = Field(default=(), description="Emailed the answers at the end.")
    webhook: str | None = Field(default=None, description="POSTed the answers at the end.")
    resume: bool = Field(default=True, description="Carry on after a person closes it.")

    @field_validator("handover_words", "escalate_words")
    @classmethod
    def _normal(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return _phrases(values)

    @field_validator("notify")
    @classmethod
    def _notify(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return check_addresses(values)

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        words = tuple(normal_form(v) for v in values)
        bad = [v for v, w in zip(values, words, strict=True) if not w or " " in w]
        if bad:
            raise ValueError(f"{bad[0]!r} is not one word: a keyword is texted alone, e.g. MENU")
        return words

    @field_validator("numbers")
    @classmethod
    def _numbers(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        bad = [v for v in values if not (is_e164(v) or is_short_code(v))]
        if bad:
            raise ValueError(f"{bad[0]!r} is not one of the bridge's numbers (E.164)")
        return values

    @field_validator("webhook")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"{value!r} is not an http(s) URL, e.g. https://hooks.example.com/f")
        return value

    @model_validator(mode="after")
    def _steps_join_up(self) -> FlowSettings:
        """Every id once; every choice and next names a step; every step can be reached."""
        faults: list[tuple[str, str]] = []
        ids: dict[str, int] = {}
        for index, step in enumerate(self.steps):
            if step.id in ids:
                faults.append((f"steps.{index}.id", f"{step.id!r} is used twice"))
            ids.setdefault(step.id, index)
        reached = {self.steps[0].id}
        for index, step in enumerate(self.steps):
            for key, target in step.targets():
                reached.add(target)
                if target not in ids:
                    known = ", ".join(ids)
                    faults.append((f"steps.{index}.{key}", f"no step is {target!r}; {known}"))
        for index, step in enumerate(self.steps):
            if step.id not in reached:
                faults.append((f"steps.{index}.id", f"no choice or next leads to {step.id!r}"))
        SettingError.raise_any(faults)
        return self

    def runs_on(self, number: str) -> bool:
        return not self.numbers or number in self.numbers

    def step(self, step_id: str) -> FlowStep | None:
        return next((s for s in self.steps if s.id == step_id), None)


def flow_faults(
    flows: tuple[FlowSettings, ...], *, owned: set[str], taken: set[str]
) -> list[tuple[str, str]]:
    """What spans sections: each flow's numbers are ``[[numbers]]``, its name is its own, and
    its keywords are not STOP, START, HELP, a campaign's, or another flow's on a shared
    number."""
    faults: list[tuple[str, str]] = []
    names: set[str] = set()
    for index, flow in enumerate(flows):
        where = f"flows.{index}"
        strange = [n for n in flow.numbers if n not in owned]
        if strange:
            faults.append((f"{where}.numbers", f"{strange[0]} is not one of [[numbers]]"))
        if flow.name in names:
            faults.append((f"{where}.name", f"{flow.name!r} is the name of another flow"))
        names.add(flow.name)
        for word in flow.keywords:
            if word in taken:
                faults.append(
                    (
                        f"{where}.keywords",
                        f"{word.upper()} is already STOP, START, HELP or a campaign's keyword",
                    )
                )
            for other in flows[:index]:
                shared = (
                    not flow.numbers or not other.numbers or set(flow.numbers) & set(other.numbers)
                )
                if word in other.keywords and shared:
                    message = f"{word.upper()} also starts flow {other.name!r} on the same numbers"
                    faults.append((f"{where}.keywords", message))
    return faults
