"""The one place a text is made from a named template, for every email edge.

The intake asks ``chosen`` whether an email uses a template: a ``[template NAME]`` tag in its
subject, or a ``/canned NAME`` line at the start of a reply (``bridge.parsing.commands``).
Then the email's body gives only the fields, one ``field: value`` a line, and ``texts``
fills the template once per recipient: the body's fields first, then the recipient's contact
(``name``, ``first_name``, ``last_name``, ``email``). Every text made so then passes the
outbound chain like any other. A template no one has set up, or a field left without a value
for any recipient, refuses the whole email (550 5.6.0, naming it): a customer never gets a
literal ``{first_name}``, and the author never gets half a send.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bridge.errors import Refused
from bridge.parsing.commands import Commands
from bridge.parsing.placeholders import MissingFields
from bridge.parsing.tags import template_tags
from bridge.store.base import Contacts
from bridge.templates.fields import body_fields, contact_fields, merged
from bridge.templates.library import NamedTemplate, TemplateLibrary

__all__ = ["TemplateUse", "Templating"]

_SHOWN = 3  # recipients named in a refusal


@dataclass(frozen=True, slots=True)
class TemplateUse:
    """The template an email asked for, and the fields its body gives."""

    template: NamedTemplate
    fields: Mapping[str, str]


class Templating:
    def __init__(self, *, library: TemplateLibrary, contacts: Contacts) -> None:
        self.library = library
        self._contacts = contacts

    def chosen(self, subject: str, commands: Commands, body: str) -> tuple[TemplateUse | None, str]:
        """The template the email uses, if any, and its subject without the tag;
        ``Refused`` for an unknown name, two templates, or a body that is not fields."""
        names, subject = template_tags(subject)
        asked = [*names, *([commands.canned] if commands.canned else [])]
        if not asked:
            return None, subject
        if len({name.lower() for name in asked}) > 1:
            listed = ", ".join(repr(name) for name in asked)
            raise Refused(550, "5.6.0", f"The email asks for more than one template ({listed}).")
        template = self.library.named(asked[0])
        return TemplateUse(template, body_fields(body)), subject

    async def texts(self, use: TemplateUse, numbers: Sequence[str]) -> dict[str, str]:
        """Each recipient's text; ``Refused`` naming the fields and recipients left short."""
        template = use.template.template
        texts: dict[str, str] = {}
        short: dict[str, list[str]] = {}  # a missing field: the recipients it is missing for
        for number in numbers:
            contact = await self._contacts.contact(number) if template.has_fields else None
            try:
                texts[number] = template.fill(merged(use.fields, contact_fields(contact)))
            except MissingFields as exc:
                for name in exc.names:
                    short.setdefault(name, []).append(number)
        if short:
            raise Refused(550, "5.6.0", _missing(use.template.name, short, len(numbers)))
        return texts


def _missing(name: str, short: Mapping[str, list[str]], recipients: int) -> str:
    fields = ", ".join(f"{{{field}}}" for field in short)
    first = next(iter(short))
    numbers = next(iter(short.values()))
    more = len(numbers) - _SHOWN
    who = ", ".join(numbers[:_SHOWN]) + (f" and {more} more" if more > 0 else "")
    whose = "" if recipients == 1 else f" (for {who})"
    return (
        f"The template {name} needs {fields}, which neither the email nor the contact"
        f" gives{whose}: add a line"
        f" such as '{first}: …' to the body, save the contact's name, or give a default in the"
        f" template as {{{first}|…}}. Nothing was sent."
    )
