"""Request templates and response paths for the generic HTTP provider: data, never code.

A template is any TOML value; every ``{name}`` inside a string is replaced by that field of the
text being sent, and nothing else is interpreted (no attribute access, no expressions, no
format specs), so a settings file cannot make the bridge run anything. A string that is
exactly one placeholder keeps the field's value whole. Paths into a JSON answer are dotted
names, with list positions as numbers: ``messages.0.id``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["dig", "render"]

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def render(template: Any, values: Mapping[str, str]) -> Any:
    """``template`` with each ``{name}`` replaced by ``values[name]``, at any depth."""
    if isinstance(template, str):
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)
    if isinstance(template, dict):
        return {key: render(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [render(value, values) for value in template]
    return template


def dig(data: Any, path: str | None) -> Any:
    """The value at a dotted ``path`` in decoded JSON, or None when any step is missing."""
    if not path:
        return None
    for step in path.split("."):
        if isinstance(data, dict):
            data = data.get(step)
        elif isinstance(data, list) and step.isdigit() and int(step) < len(data):
            data = data[int(step)]
        else:
            return None
    return data
