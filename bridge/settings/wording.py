"""pydantic's errors in words that say what to write instead.

pydantic describes what it expected of a Python value ("Input should be a valid tuple"); an
admin editing TOML needs to know what to type ("write a list, e.g. ["sms.example.com"]").
Each error type it can raise for our settings gets a sentence here; a validator's own
``ValueError`` already says what to write and is passed through. A misspelt key gets the
nearest known key of its table ("did you mean 'port'?").
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable
from typing import Any, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from bridge.providers.registry import KINDS
from bridge.settings.section import Section

__all__ = ["model_at", "plain_message"]

Loc = tuple[int | str, ...]


def plain_message(err: ErrorDetails, root: type[BaseModel], data: dict[str, Any]) -> str:
    """The sentence for one of pydantic's errors at its location in ``root``'s data."""
    kind, ctx, given = err["type"], err.get("ctx", {}), err.get("input")
    example = _example(given, _default(err["loc"], root, data))
    words: dict[str, Callable[[], str]] = {
        "extra_forbidden": lambda: _unknown(err["loc"], root, data),
        "missing": lambda: _missing(err["loc"], root, data),
        "tuple_type": lambda: f"write a list, e.g. [{example}]",
        "list_type": lambda: f"write a list, e.g. [{example}]",
        "int_type": lambda: f"write a whole number without quotes, e.g. {example}",
        "int_parsing": lambda: f"write a whole number without quotes, e.g. {example}",
        "int_from_float": lambda: f"write a whole number, e.g. {example}",
        "float_type": lambda: f"write a number without quotes, e.g. {example}",
        "float_parsing": lambda: f"write a number without quotes, e.g. {example}",
        "bool_type": lambda: "write true or false, without quotes",
        "bool_parsing": lambda: "write true or false, without quotes",
        "string_type": lambda: f"write text in quotes, e.g. {json.dumps(str(given))}",
        "literal_error": lambda: "write one of " + str(ctx.get("expected", "")).replace("'", '"'),
        "greater_than_equal": lambda: f"write a number of at least {ctx.get('ge')}",
        "greater_than": lambda: f"write a number greater than {ctx.get('gt')}",
        "less_than_equal": lambda: f"write a number of at most {ctx.get('le')}",
        "less_than": lambda: f"write a number less than {ctx.get('lt')}",
        "too_short": lambda: f"give at least {ctx.get('min_length')}, e.g. [{example}]",
        "string_too_short": lambda: "must not be empty: write a value in quotes",
        "string_pattern_mismatch": lambda: _pattern(str(ctx.get("pattern", ""))),
        "model_type": lambda: "write a table (a [section] of key = value lines), not a value",
        "dict_type": lambda: "write a table (a [section] of key = value lines), not a value",
        "model_attributes_type": lambda: "write a table (a [section] of key = value lines)",
    }
    found = words.get(kind)
    return found() if found else err["msg"].removeprefix("Value error, ")


def model_at(loc: Loc, root: type[BaseModel], data: dict[str, Any]) -> type[BaseModel] | None:
    """The settings class of the table at ``loc`` (``routes.2``, ``providers.main.auth``)."""
    model: type[BaseModel] | None = root
    rest = list(loc)
    while rest and model is not None:
        part = str(rest.pop(0))
        if model is root and part == "providers" and rest:
            model = _provider_class(str(rest.pop(0)), data)
            continue
        info = _field(model, part)
        model = None if info is None else _section_of(info.annotation)
        if model is not None and _is_tuple(info.annotation if info else None) and rest:
            rest.pop(0)  # the index into an array of tables
    return model


def _field(model: type[BaseModel], key: str) -> Any:
    return next(
        (info for name, info in model.model_fields.items() if key in (name, info.alias)), None
    )


def _section_of(annotation: Any) -> type[BaseModel] | None:
    """The section class a field holds: itself, optional, or an array of them."""
    if isinstance(annotation, type) and issubclass(annotation, Section):
        return annotation
    for arg in get_args(annotation):
        if isinstance(arg, type) and issubclass(arg, Section):
            return arg
    return None


def _is_tuple(annotation: Any) -> bool:
    return get_origin(annotation) is tuple or any(
        get_origin(a) is tuple for a in get_args(annotation)
    )


def _provider_class(name: str, data: dict[str, Any]) -> type[BaseModel] | None:
    """A provider table's class, by its ``type`` (the short form's name is its type)."""
    table = (data.get("providers") or {}).get(name)
    kind = table.get("type") if isinstance(table, dict) else name
    return next((k.settings for k in KINDS if k.name == kind), None)


def _keys(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def _unknown(loc: Loc, root: type[BaseModel], data: dict[str, Any]) -> str:
    model = model_at(loc[:-1], root, data)
    known = _keys(model) if model is not None else []
    near = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
    if near:
        return f"unknown setting: did you mean {near[0]!r}?"
    return "unknown setting: remove it (config.example.toml shows every key)"


def _missing(loc: Loc, root: type[BaseModel], data: dict[str, Any]) -> str:
    key = str(loc[-1])
    parent = model_at(loc[:-1], root, data)
    info = _field(parent, key) if parent is not None else None
    table = ".".join(str(part) for part in loc)
    if info is not None and _section_of(info.annotation) is not None:
        return f"required: add a [{table}] table"
    return f"required: add {key} = ..."


def _default(loc: Loc, root: type[BaseModel], data: dict[str, Any]) -> Any:
    parent = model_at(loc[:-1], root, data)
    info = _field(parent, str(loc[-1])) if parent is not None and loc else None
    return None if info is None else info.default


def _example(given: Any, default: Any) -> str:
    """A value to show: the default if it is a plain one, else what was written, as TOML."""
    plain = (str, int, float)
    if isinstance(default, plain) and not isinstance(default, bool) and default != "":
        return json.dumps(default, ensure_ascii=False)
    value = given if isinstance(given, plain) and not isinstance(given, bool) else "..."
    return json.dumps(value, ensure_ascii=False)


def _pattern(pattern: str) -> str:
    if pattern.startswith("^https?://"):
        return "write an http(s) URL, e.g. https://api.example.com/send"
    return f"write a value that matches {pattern}"
