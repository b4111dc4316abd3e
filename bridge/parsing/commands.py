"""Lines a member of staff writes to a conversation rather than to the customer.

At the start of a reply (before anything the customer should read), one command per line:

- ``/owner jane@example.com``: hand the conversation over; Jane gets the customer's next
  texts, as if she had texted them last;
- ``/close``: end it; the customer's next text is routed by the routing table again;
- ``/canned NAME``: text the customer the template NAME (a canned answer), filled from their
  contact and from any ``field: value`` lines below (``bridge.templates``).

The lines are never texted. An email of commands only (a reply or a forward to the
customer's address) changes the conversation and texts nobody. A line that starts with "/"
but is not a command is text, as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bridge.errors import Refused

__all__ = ["Commands", "split_commands"]

_COMMAND = re.compile(r"^/(owner|close|canned)\b[ \t]*(.*)$", re.I)


@dataclass(frozen=True, slots=True)
class Commands:
    owner: str | None = None
    close: bool = False
    canned: str | None = None  # a template's name as written: the text is that template

    def __bool__(self) -> bool:
        """True when the commands change the conversation (``canned`` only makes the text)."""
        return self.owner is not None or self.close


def split_commands(text: str) -> tuple[Commands, str]:
    """The commands at the start of ``text``, and the rest (what is texted)."""
    lines = text.split("\n")
    owner: str | None = None
    close = False
    canned: str | None = None
    taken = 0
    for line in lines:
        found = _COMMAND.match(line.strip())
        if found is None:
            if line.strip():
                break
            taken += 1
            continue
        taken += 1
        command = found.group(1).lower()
        if command == "close":
            close = True
        elif command == "canned":
            canned = _template_name(found.group(2), canned)
        else:
            owner = _address(found.group(2))
    if owner is None and not close and canned is None:
        return Commands(), text
    return Commands(owner, close, canned), "\n".join(lines[taken:]).strip()


def _template_name(written: str, before: str | None) -> str:
    name = written.strip()
    if not name or " " in name or before is not None:
        raise Refused(
            550,
            "5.6.0",
            f"'/canned {name}' does not name one template: write, for example, /canned"
            " opening_hours on a line of its own, once.",
        )
    return name


def _address(written: str) -> str:
    # email-validator compiles its grammar when imported: at the first address, not at start
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(written.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise Refused(
            550,
            "5.6.0",
            f"'/owner {written.strip()}' does not name an email address: write, for example,"
            " /owner jane@example.com on a line of its own.",
        ) from None
