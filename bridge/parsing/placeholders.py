"""Placeholders in a text: ``Hi {first_name}, your order {order} is ready``, filled per customer.

One definition for every place a text is filled in (a bulk send's rows, a named template, a
canned answer, a group's contacts), so that a field is named, found and refused the same way
everywhere. A placeholder is a field name in braces; names are compared in their normal form
(case folded, spaces and hyphens as underscores), so a CSV column "First name" fills
``{first_name}``. ``{first_name|there}`` gives a default for a missing or empty field. A field
with no value and no default is an error naming it: a customer must never see a literal
``{first_name}``, nor "Hi , your order". ``{{`` and ``}}`` are literal braces.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from bridge.errors import BridgeError

__all__ = ["MissingFields", "Template", "field_name", "syntax_problems"]

_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}|]*)(?:\|([^{}]*))?\}")


def field_name(name: str) -> str:
    """A field's normal form: "First name", "first-name" and "FIRST_NAME" are ``first_name``."""
    return "_".join(name.replace("-", " ").replace("_", " ").casefold().split())


def syntax_problems(text: str) -> tuple[str, ...]:
    """What in ``text`` a customer would see as written rather than filled: a brace that
    opens or closes no placeholder, or an empty ``{}``; one sentence each, with its line."""
    problems = []
    for number, line in enumerate(text.split("\n"), start=1):
        rest = _PLACEHOLDER.sub(_named_or_escape, line)
        if re.search(r"\{[^{}]*\}", rest):
            problems.append(f"line {number}: a placeholder names no field; write {{field_name}}")
        elif "{" in rest or "}" in rest:
            problems.append(
                f"line {number}: a brace that opens or closes no placeholder; write"
                " {field_name}, or {{ and }} for a brace itself"
            )
    return tuple(problems)


def _named_or_escape(match: re.Match[str]) -> str:
    """ "" for ``{{``, ``}}`` and a placeholder naming a field; the match itself otherwise."""
    name = match.group(1)
    return "" if name is None or field_name(name) else match.group(0)


class MissingFields(BridgeError):
    """Fields a template needs that a customer's values lack; ``names`` as the template
    writes them."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        listed = ", ".join(f"{{{name}}}" for name in names)
        super().__init__(f"no value for {listed}")


@dataclass(frozen=True, slots=True)
class _Part:
    literal: str
    field: str = ""  # normal form; "" for a literal part
    written: str = ""  # the name as the template writes it
    default: str | None = None


class Template:
    """A text with placeholders, parsed once and filled many times (a 100,000-row send)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._parts = tuple(_parse(text))
        self.fields = tuple(dict.fromkeys(p.field for p in self._parts if p.field))

    @property
    def has_fields(self) -> bool:
        return bool(self.fields)

    def fill(self, values: Mapping[str, str]) -> str:
        """The text with each placeholder filled from ``values`` (keyed by ``field_name``);
        ``MissingFields`` names every field left without a value."""
        out: list[str] = []
        missing: list[str] = []
        for part in self._parts:
            if not part.field:
                out.append(part.literal)
                continue
            value = (values.get(part.field) or "").strip()
            if not value and part.default is not None:
                value = part.default
            if not value:
                missing.append(part.written)
            out.append(value)
        if missing:
            raise MissingFields(tuple(dict.fromkeys(missing)))
        return "".join(out)


def _parse(text: str) -> list[_Part]:
    parts: list[_Part] = []
    end = 0
    for match in _PLACEHOLDER.finditer(text):
        parts.append(_Part(text[end : match.start()]))
        end = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            parts.append(_Part(token[0]))
            continue
        written = match.group(1).strip()
        name = field_name(written)
        if not name:  # "{}" or "{ }": not a placeholder, kept as written
            parts.append(_Part(token))
            continue
        default = match.group(2)
        parts.append(_Part("", name, written, default.strip() if default is not None else None))
    parts.append(_Part(text[end:]))
    return [part for part in parts if part.field or part.literal]
