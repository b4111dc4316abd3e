"""The named templates the bridge knows, and what a name must look like.

Pure: the loader (``bridge.templates.loader``) reads the files; this module only checks and
holds what it was given. A name is compared in lower case (``[template Reminder]`` is
``reminder``); the text is a ``bridge.parsing.placeholders.Template``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from bridge.errors import Refused
from bridge.parsing.placeholders import Template

__all__ = ["NAME", "NamedTemplate", "TemplateLibrary", "check_name"]

# A template's name: what a file may be called and a subject tag can hold.
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def check_name(written: str) -> str:
    """``written`` in its normal form (lower case), or ``ValueError`` saying what a name is."""
    name = written.strip().lower()
    if not NAME.fullmatch(name):
        raise ValueError(
            f"{written!r} is not a template name: use letters, digits, - and _ (at most 64),"
            " starting with a letter or digit, e.g. reminder"
        )
    return name


@dataclass(frozen=True, slots=True)
class NamedTemplate:
    """A template, its name, and where it was written (a file, or ``templates.entries``)."""

    name: str
    template: Template
    where: str

    @property
    def text(self) -> str:
        return self.template.text


@dataclass(frozen=True, slots=True)
class TemplateLibrary:
    """Every template by name; a file and an entry of the same name: the entry wins (the
    loader says so)."""

    entries: Mapping[str, NamedTemplate]

    def __iter__(self) -> Iterator[NamedTemplate]:
        return iter(self.entries[name] for name in sorted(self.entries))

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, name: str) -> NamedTemplate | None:
        return self.entries.get(name.strip().lower())

    def named(self, name: str) -> NamedTemplate:
        """The template called ``name``; ``Refused`` (550 5.6.0) naming it and the known
        ones otherwise."""
        found = self.get(name)
        if found is not None:
            return found
        known = ", ".join(sorted(self.entries)) or "none are set up"
        raise Refused(
            550,
            "5.6.0",
            f"There is no template called {name.strip()!r}; the templates are: {known}.",
        )
