"""``smsbridge templates``: the named templates, and one of them with its fields.

``templates`` lists every template (name, fields, where it is written); ``templates show
NAME`` prints one: where it is, each field and where its value can come from, and the text.
"""

from __future__ import annotations

import argparse
import json

from bridge.cli.common import EXIT_FAILED, read_settings
from bridge.components import template_library
from bridge.templates.fields import CONTACT_FIELDS
from bridge.templates.library import NamedTemplate

__all__ = ["cmd_templates", "cmd_templates_show", "format_template", "format_templates"]


def cmd_templates(args: argparse.Namespace) -> int:
    library = template_library(read_settings(args.config))
    if args.json:
        for entry in library:
            print(json.dumps(_shown(entry), ensure_ascii=False))
    else:
        print(format_templates(list(library)))
    return 0


def cmd_templates_show(args: argparse.Namespace) -> int:
    library = template_library(read_settings(args.config))
    entry = library.get(args.name)
    if entry is None:
        known = ", ".join(e.name for e in library) or "none are set up"
        print(f"There is no template called {args.name!r}; the templates are: {known}.")
        return EXIT_FAILED
    if args.json:
        print(json.dumps(_shown(entry), ensure_ascii=False))
    else:
        print(format_template(entry))
    return 0


def _shown(entry: NamedTemplate) -> dict[str, object]:
    return {
        "name": entry.name,
        "fields": list(entry.template.fields),
        "where": entry.where,
        "text": entry.text,
    }


def format_templates(entries: list[NamedTemplate]) -> str:
    if not entries:
        return "No templates: set [templates] folder or [templates.entries] in the settings."
    width = max(len("NAME"), *(len(e.name) for e in entries))
    lines = [f"{'NAME':<{width}}  {'FIELDS':<30}  WHERE"]
    for entry in entries:
        fields = ", ".join(entry.template.fields) or "-"
        lines.append(f"{entry.name:<{width}}  {fields:<30}  {entry.where}")
    return "\n".join(lines)


def format_template(entry: NamedTemplate) -> str:
    lines = [f"Template {entry.name} ({entry.where})", "Fields:"]
    for field in entry.template.fields:
        source = "a line of the email, else the contact" if field in CONTACT_FIELDS else None
        lines.append(f"  {field}: from {source or 'a line of the email'}")
    if not entry.template.fields:
        lines.append("  none")
    return "\n".join([*lines, "Text:", entry.text])
