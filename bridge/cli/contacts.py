"""``smsbridge contacts``: list, add, remove, import and export the address book.

An administrator's tool, so numbers are shown whole here (never in the logs). ``add`` on a
number already in the book changes only the fields given (``--tag`` replaces the tags).
``import`` saves every good row and lists the bad ones on stderr, by line, exiting 1 when
there were any so that a script notices.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path

from bridge.cli.common import EXIT_FAILED, opened_store, read_settings
from bridge.cli.where import UsageError
from bridge.contacts.records import ContactFileError
from bridge.contacts.transfer import Format, Imported, export_contacts, guess_format
from bridge.contacts.transfer import import_contacts as import_file
from bridge.errors import InvalidNumber
from bridge.models import Contact
from bridge.parsing.contacts import InvalidContact, make_contact
from bridge.parsing.numbers import parse_number
from bridge.settings.root import Settings

__all__ = [
    "cmd_contacts_add",
    "cmd_contacts_export",
    "cmd_contacts_import",
    "cmd_contacts_list",
    "cmd_contacts_remove",
    "format_contacts",
]

EVERYONE = 10**9  # the export's limit: the whole book


def cmd_contacts_list(args: argparse.Namespace) -> int:
    settings = read_settings(args.config)

    async def listed() -> list[Contact]:
        async with opened_store(settings) as store:
            return await store.contacts(tag=args.tag, search=args.search, limit=args.limit)

    contacts = asyncio.run(listed())
    if args.json:
        for contact in contacts:
            print(json.dumps(asdict(contact), ensure_ascii=False))
        return 0
    print(format_contacts(contacts, filtered=bool(args.tag or args.search)))
    return 0


def format_contacts(contacts: list[Contact], *, filtered: bool = False) -> str:
    if not contacts:
        return "No contacts match." if filtered else "The address book is empty."
    lines = [f"{'number':<16}  {'name':<24}  {'email':<28}  {'tags':<16}  timezone  language"]
    for c in contacts:
        lines.append(
            f"{c.number:<16}  {c.name:<24}  {c.email:<28}  {','.join(c.tags):<16}"
            f"  {c.timezone or '-'}  {c.language or '-'}"
        )
    return "\n".join(lines)


def cmd_contacts_add(args: argparse.Namespace) -> int:
    settings = read_settings(args.config)
    number = _number(args.number, settings)

    async def add() -> Contact:
        async with opened_store(settings) as store:
            stored = await store.contact(number)
            contact = _changed(stored or Contact(number=number), args, settings)
            await store.save_contacts([contact], now=datetime.now(UTC))
            return contact

    try:
        contact = asyncio.run(add())
    except InvalidContact as exc:
        raise UsageError(exc.reason) from None
    print(f"Saved {contact.number}" + (f" ({contact.name})" if contact.name else "") + ".")
    return 0


def _changed(contact: Contact, args: argparse.Namespace, settings: Settings) -> Contact:
    """``contact`` with the fields given on the command line, checked."""
    given = {
        name: getattr(args, name)
        for name in ("name", "email", "timezone", "language", "notes")
        if getattr(args, name) is not None
    }
    if args.tag is not None:
        given["tags"] = args.tag
    merged = replace(contact, **given)
    return make_contact(
        number=merged.number,
        default_region=settings.smtp.default_region,
        name=merged.name,
        email=merged.email,
        tags=merged.tags,
        timezone=merged.timezone,
        language=merged.language,
        notes=merged.notes,
    )


def cmd_contacts_remove(args: argparse.Namespace) -> int:
    settings = read_settings(args.config)
    number = _number(args.number, settings)

    async def remove() -> bool:
        async with opened_store(settings) as store:
            return await store.delete_contact(number)

    if not asyncio.run(remove()):
        print(f"{number} is not in the address book.", file=sys.stderr)
        return EXIT_FAILED
    print(f"Removed {number}.")
    return 0


def cmd_contacts_import(args: argparse.Namespace) -> int:
    settings = read_settings(args.config)
    path = Path(args.path)  # not "file": that is check-config's settings file
    fmt = _format(args.format, path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror or exc}") from None

    async def run() -> Imported:
        async with opened_store(settings) as store:
            return await import_file(
                store,
                data,
                fmt=fmt,
                default_region=settings.smtp.default_region,
                now=datetime.now(UTC),
            )

    try:
        done = asyncio.run(run())
    except ContactFileError as exc:
        print(f"smsbridge: {path}: {exc.reason}", file=sys.stderr)
        return EXIT_FAILED
    for problem in done.problems:
        print(f"{path}:{problem.line}: {problem.reason}", file=sys.stderr)
    print(f"Imported {done.saved} contact(s); {done.skipped} row(s) skipped.")
    return EXIT_FAILED if done.problems else 0


def cmd_contacts_export(args: argparse.Namespace) -> int:
    settings = read_settings(args.config)
    output = Path(args.output) if args.output else None
    fmt = Format(args.format) if args.format else None
    if fmt is None:
        fmt = (guess_format(output) if output else None) or Format.CSV

    async def everyone() -> list[Contact]:
        async with opened_store(settings) as store:
            return await store.contacts(limit=EVERYONE)

    data = export_contacts(asyncio.run(everyone()), fmt=fmt)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return 0
    try:
        output.write_bytes(data)
    except OSError as exc:
        raise UsageError(f"{output}: {exc.strerror or exc}") from None
    return 0


def _number(given: str, settings: Settings) -> str:
    try:
        return parse_number(given, default_region=settings.smtp.default_region)
    except InvalidNumber as exc:
        raise UsageError(exc.reason) from None


def _format(given: str | None, path: Path) -> Format:
    if given:
        return Format(given)
    guessed = guess_format(path)
    if guessed is None:
        raise UsageError(f"{path}: say which format it is: --format csv or --format vcard")
    return guessed
