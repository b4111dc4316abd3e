"""Where in the TOML file a key path is, so a problem report can say "config.toml:42".

tomllib keeps no positions, so the file is read once more, line by line, tracking the table
each line belongs to (``[smtp.auth]``, the third ``[[routes]]``); a key path such as
``routes.2.start`` is then the line of ``start = ...`` in that table, or the table's header
when the key itself is absent (a missing key, or a fault of the whole table).
"""

from __future__ import annotations

import re

__all__ = ["line_of"]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\- ]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+)\s*=")


def line_of(text: str, path: str) -> int | None:
    """The 1-based line of ``path`` (pydantic's dotted location) in ``text``, if it is there."""
    parts = tuple(path.split("."))
    tables, keys = _index(text)
    for cut in range(len(parts), -1, -1):
        table, rest = parts[:cut], parts[cut:]
        if table in tables or not table:
            if rest and (table, rest[0]) in keys:
                return keys[(table, rest[0])]
            return tables.get(table)
    return None


def _index(text: str) -> tuple[dict[tuple[str, ...], int], dict[tuple[tuple[str, ...], str], int]]:
    tables: dict[tuple[str, ...], int] = {}
    keys: dict[tuple[tuple[str, ...], str], int] = {}
    counts: dict[tuple[str, ...], int] = {}
    current: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            current = _table(header.group(1), header.group(2), counts, current)
            tables.setdefault(current, number)
            continue
        key = _KEY.match(line)
        if key:
            keys.setdefault((current, key.group(1)), number)
    return tables, keys


def _table(
    brackets: str, name: str, counts: dict[tuple[str, ...], int], current: tuple[str, ...]
) -> tuple[str, ...]:
    parts = tuple(part.strip() for part in name.split("."))
    resolved = (*_resolve(parts[:-1], counts), parts[-1])
    if brackets == "[[":
        index = counts.get(resolved, -1) + 1
        counts[resolved] = index
        return (*resolved, str(index))
    return resolved


def _resolve(parts: tuple[str, ...], counts: dict[tuple[str, ...], int]) -> tuple[str, ...]:
    """Put array indices in: ``senders.rules`` under the latest ``[[senders]]``, if any."""
    resolved: tuple[str, ...] = ()
    for part in parts:
        resolved = (*resolved, part)
        if resolved in counts:
            resolved = (*resolved, str(counts[resolved]))
    return resolved
