"""The ``[templates]`` and ``[groups]`` sections: named texts with placeholders, and sending
to every contact with a tag.

``[templates] folder`` holds one ``NAME.txt`` a template; ``[templates.entries]`` gives more
in the file itself (``reminder = "Hi {first_name|there}, ..."``); an entry wins over a file
of the same name. Every template is read and checked when the settings are, so ``run`` and
``check-config`` refuse one a customer would see with a stray brace in it.
"""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from bridge.settings.section import LocalPath, Section, SettingError
from bridge.templates.loader import load_library

__all__ = ["GroupsSettings", "TemplatesSettings"]


class TemplatesSettings(Section):
    folder: LocalPath | None = Field(
        default=None,
        description="A folder of templates, one NAME.txt each (UTF-8), relative to this file.",
    )
    entries: dict[str, str] = Field(
        default={}, description='Templates written here: name = "text with {placeholders}".'
    )

    @model_validator(mode="after")
    def _readable(self) -> Self:
        _, problems = load_library(self.folder, self.entries)
        SettingError.raise_any([_placed(problem) for problem in problems])
        return self


def _placed(problem: str) -> tuple[str, str]:
    """A loader's problem at its settings key: the entry it names, else the folder."""
    if problem.startswith("templates.entries."):
        key, _, message = problem.partition(": ")
        return key.removeprefix("templates."), message
    return "folder", problem


class GroupsSettings(Section):
    max_size: int = Field(
        default=500,
        ge=1,
        le=100_000,
        description="The most contacts one email may text through group addresses (drivers@…).",
    )
