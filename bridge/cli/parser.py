"""The ``smsbridge`` command line: every command, every option, each with its help.

Commands are bound to their functions by name (``commands`` maps a command to the function
that runs it), so this module only describes the line: what can be typed and what it means.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import TypeAlias

from bridge import __version__
from bridge.models import JobState

__all__ = ["CONFIG_HELP", "build_parser"]

Command = Callable[[argparse.Namespace], int]
Sub: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
CONFIG_HELP = (
    "the settings file (default: $SMSBRIDGE_CONFIG, else ./config.toml, else"
    " /etc/smsbridge/config.toml)"
)
_DESCRIPTION = "Email to SMS and back: run the bridge, check its settings, look at its texts."


def build_parser(commands: Mapping[str, Command]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smsbridge", description=_DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"smsbridge {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    config = argparse.ArgumentParser(add_help=False)
    config.add_argument("--config", "-c", help=CONFIG_HELP)
    for add in (_service, _checks, _texts, _routes, _outbound, _listings, _contacts, _consent):
        add(sub, config, commands)
    _scheduled(sub, config, commands)
    _templates(sub, config, commands)
    _flows(sub, config, commands)
    _api_tokens(sub, config, commands)
    _report(sub, config, commands)
    _links(sub, config, commands)
    return parser


def _command(
    sub: Sub,
    name: str,
    helped: str,
    run: Command,
    *parents: argparse.ArgumentParser,
) -> argparse.ArgumentParser:
    command = sub.add_parser(name, parents=list(parents), help=helped, description=helped)
    command.set_defaults(func=run)
    return command


def _service(sub: Sub, config: argparse.ArgumentParser, commands: Mapping[str, Command]) -> None:
    _command(sub, "run", "run the bridge (SIGTERM stops it cleanly)", commands["run"], config)
    _command(
        sub,
        "reload",
        "make the running bridge reload its routing table from its settings file",
        commands["reload"],
        config,
    )
    _command(sub, "migrate", "bring the store's schema up to date", commands["migrate"], config)
    hashpw = _command(
        sub, "hash-password", "make a line for smtp.auth.users_file", commands["hash-password"]
    )
    hashpw.add_argument("address", help="the login (an email address)")
    hashpw.add_argument("--stdin", action="store_true", help="read the password from stdin")


def _checks(sub: Sub, config: argparse.ArgumentParser, commands: Mapping[str, Command]) -> None:
    check = _command(
        sub,
        "check-config",
        "find everything run would refuse, and warn about risky settings",
        commands["check-config"],
        config,
    )
    _file_and_json(check)


def _file_and_json(command: argparse.ArgumentParser) -> None:
    command.add_argument("file", nargs="?", help="the settings file, as --config gives it")
    command.add_argument("--json", action="store_true", help="one JSON object per fault or warning")


def _texts(sub: Sub, config: argparse.ArgumentParser, commands: Mapping[str, Command]) -> None:
    send = _command(sub, "send", "queue one text, as an email would", commands["send"], config)
    send.add_argument("--to", required=True, help="phone number, e.g. +447700900123")
    send.add_argument(
        "--from", dest="sender", help="sender number or ID (default: senders.default)"
    )
    send.add_argument("--notify", help="email address told if the text fails (its author)")
    send.add_argument(
        "--template", help="fill a named template (smsbridge templates) instead of giving text"
    )
    send.add_argument(
        "--field",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a template field (repeatable); the contact's name fills {first_name} and the like",
    )
    send.add_argument("text", nargs="?", help="the text to send (or --template)")
    simulate = _command(
        sub,
        "simulate-inbound",
        "pretend a customer texted a reply number",
        commands["simulate-inbound"],
        config,
    )
    simulate.add_argument("--from", dest="sender", required=True, help="the customer's number")
    simulate.add_argument("--to", required=True, help="one of the bridge's reply numbers")
    simulate.add_argument("text", help="what the customer texted")


def _routes(sub: Sub, config: argparse.ArgumentParser, commands: Mapping[str, Command]) -> None:
    routes = sub.add_parser("routes", help="check the routing table, or explain a decision")
    actions = routes.add_subparsers(dest="routes_command", required=True, metavar="ACTION")
    table = _command(
        actions, "check", "find the table's faults and warn", commands["routes check"], config
    )
    _file_and_json(table)
    why = _command(
        actions, "explain", "who would get this text?", commands["routes explain"], config
    )
    why.add_argument("--from", dest="sender", required=True, help="the customer's number")
    why.add_argument("--to", required=True, help="the reply number texted")
    why.add_argument("--text", required=True, help="what the customer texted")
    why.add_argument(
        "--at", help='"2026-12-25 22:15" in the reply number\'s time zone (default: now)'
    )


def _outbound(sub: Sub, config: argparse.ArgumentParser, commands: Mapping[str, Command]) -> None:
    outbound = sub.add_parser("outbound", help="what the outbound chain does with a text")
    actions = outbound.add_subparsers(dest="outbound_command", required=True, metavar="ACTION")
    chain = _command(
        actions,
        "explain",
        "would this text be sent? every rule's answer",
        commands["outbound explain"],
        config,
    )
    chain.add_argument("--author", default="", help="the author's address, e.g. alice@example.com")
    chain.add_argument("--to", required=True, help="the number to text, e.g. +447700900123")
    chain.add_argument("--text", required=True, help="the text, as the email's body would give it")
    chain.add_argument("--from", dest="sender", help="a sender asked for, as with send --from")
    chain.add_argument(
        "--subject", default="", help='the email\'s subject, with its tags: "[marketing] Offer"'
    )
    chain.add_argument(
        "--at", help='"2026-12-25 22:15" (UTC unless an offset is given; default: now)'
    )
    chain.add_argument(
        "--send-at",
        help='when the author asks it to go, as a Send-At: header would: "tomorrow 9am"'
        " (or a [tomorrow 9am] tag in --subject), in the author's zone",
    )


def _listings(sub: Sub, config: argparse.ArgumentParser, commands: Mapping[str, Command]) -> None:
    inbox = _command(
        sub, "inbox", "recent inbound texts and the route each took", commands["inbox"], config
    )
    inbox.add_argument("--limit", type=int, default=20, help="at most this many (default: 20)")
    inbox.add_argument("--explain", action="store_true", help="show each routing explanation")
    inbox.add_argument("--json", action="store_true", help="one JSON object per text")
    thread = _command(
        sub, "thread", "a customer's conversations, both ways", commands["thread"], config
    )
    thread.add_argument("number", help="the customer's number, e.g. +447700900123")
    thread.add_argument(
        "--limit", type=int, default=20, help="texts per conversation (default: 20)"
    )
    thread.add_argument("--json", action="store_true", help="one JSON object per conversation")
    outbox = _command(sub, "outbox", "recent texts, newest first", commands["outbox"], config)
    outbox.add_argument("--limit", type=int, default=20, help="at most this many (default: 20)")
    outbox.add_argument("--json", action="store_true", help="one JSON object per text")
    outbox.add_argument(
        "--state", choices=[s.value for s in JobState], help="only texts in this state"
    )
    outbox.add_argument("--to", help="only texts to this number (07700 900123 or +447700900123)")
    outbox.add_argument(
        "--author", help="only texts by this address, or by a domain and its subdomains"
    )
    outbox.add_argument(
        "--since",
        help='only texts queued since then: "2026-12-01 09:00" (UTC unless an offset is given),'
        ' or a while ago: "30m", "2h", "7d"',
    )


def _contacts(sub: Sub, config: argparse.ArgumentParser, commands: Mapping[str, Command]) -> None:
    contacts = sub.add_parser("contacts", help="the address book of customers")
    actions = contacts.add_subparsers(dest="contacts_command", required=True, metavar="ACTION")
    listing = _command(actions, "list", "contacts, by name", commands["contacts list"], config)
    listing.add_argument("--tag", help="only contacts with this tag")
    listing.add_argument(
        "--search", help="only those whose name, address, notes or number hold this"
    )
    listing.add_argument(
        "--limit", type=int, default=1000, help="at most this many (default: 1000)"
    )
    listing.add_argument("--json", action="store_true", help="one JSON object per contact")
    add = _command(
        actions,
        "add",
        "add a contact, or change the fields given of one already there",
        commands["contacts add"],
        config,
    )
    add.add_argument("number", help="their number, e.g. +447700900123 (or 07700 900123)")
    add.add_argument("--name", help="their name")
    add.add_argument("--email", help="their email address")
    add.add_argument(
        "--tag", action="append", help="a tag (repeat for several; replaces the tags they had)"
    )
    add.add_argument("--timezone", help="an IANA time zone, e.g. Europe/London")
    add.add_argument("--language", help="a BCP 47 language tag, e.g. en-GB")
    add.add_argument("--notes", help="notes for the staff")
    remove = _command(actions, "remove", "remove a contact", commands["contacts remove"], config)
    remove.add_argument("number", help="their number")
    formats = ["csv", "vcard"]
    load = _command(
        actions,
        "import",
        "add or replace contacts from a CSV or vCard file; bad rows are listed by line",
        commands["contacts import"],
        config,
    )
    load.add_argument("path", metavar="FILE", help="the file (.csv or .vcf)")
    load.add_argument("--format", choices=formats, help="default: from the file's extension")
    dump = _command(
        actions,
        "export",
        "write every contact as CSV or vCard 4.0",
        commands["contacts export"],
        config,
    )
    dump.add_argument(
        "--format", choices=formats, help="default: from --output's extension, else csv"
    )
    dump.add_argument("--output", "-o", help="the file to write (default: standard output)")


def _consent(sub: Sub, config: argparse.ArgumentParser, commands: Mapping[str, Command]) -> None:
    consent = sub.add_parser("consent", help="the consent ledger: every opt-in and opt-out")
    actions = consent.add_subparsers(dest="consent_command", required=True, metavar="ACTION")
    listing = _command(
        actions, "list", "the ledger, newest first", commands["consent list"], config
    )
    listing.add_argument("--number", help="only this customer's")
    listing.add_argument("--limit", type=int, default=1000, help="at most this many")
    listing.add_argument("--json", action="store_true", help="one JSON object per event")
    listing.add_argument(
        "--summary", action="store_true", help="opt-ins per campaign instead (see --days)"
    )
    listing.add_argument(
        "--days", type=float, default=30.0, help="the summary's period (default: 30)"
    )
    dump = _command(
        actions, "export", "the whole ledger as CSV", commands["consent export"], config
    )
    dump.add_argument("--output", "-o", help="the file to write (default: standard output)")
    load = _command(
        actions,
        "import",
        "record an old provider's opt-out list (CSV: a number column, an optional date);"
        " bad rows are listed by line",
        commands["consent import"],
        config,
    )
    load.add_argument("path", metavar="FILE", help="the CSV file")
    load.add_argument(
        "--how",
        choices=["import", "staff", "admin"],
        default="import",
        help="how the list was gathered (default: import; staff: customers' written requests)",
    )
    load.add_argument("--by", required=True, help="who imports it: an address")
    load.add_argument("--reason", help="why, e.g. 'opt-outs from our previous provider'")
    load.add_argument(
        "--action",
        choices=["opt-out", "opt-in"],
        default="opt-out",
        help="what the list records (default: opt-out)",
    )
    for action in ("opt-in", "opt-out"):
        helped = (
            "an admin's opt-in on the customer's written request (undoes their STOP)"
            if action == "opt-in"
            else "an admin's opt-out on the customer's request: no sender may text them"
        )
        override = _command(actions, action, helped, commands[f"consent {action}"], config)
        override.add_argument("number", help="the customer's number")
        override.add_argument("--by", required=True, help="the admin's address")
        override.add_argument("--reason", required=True, help='why, e.g. "written request"')
        override.add_argument("--evidence", help="where the request is kept (a file, a ticket)")


def _scheduled(sub: Sub, config: argparse.ArgumentParser, commands: Mapping[str, Command]) -> None:
    listing = _command(
        sub,
        "scheduled",
        "the texts waiting for their send-at time, earliest first (numbers masked)",
        commands["scheduled"],
        config,
    )
    listing.add_argument("--all", action="store_true", help="cancelled and sent ones too")
    listing.add_argument("--limit", type=int, default=1000, help="at most this many")
    listing.add_argument("--json", action="store_true", help="one JSON object per text")
    actions = listing.add_subparsers(dest="scheduled_command", required=False, metavar="ACTION")
    cancel = _command(
        actions,
        "cancel",
        "cancel one waiting text, or every text of a batch (never one a provider has)",
        commands["scheduled cancel"],
        config,
    )
    which = cancel.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?", metavar="ID", help="the text's id (s…)")
    which.add_argument("--batch", metavar="TOKEN", help="the batch's token (batch-… address)")


def _templates(sub: Sub, config: argparse.ArgumentParser, commands: Mapping[str, Command]) -> None:
    listing = _command(
        sub,
        "templates",
        "the named templates ([template NAME] in a subject, /canned NAME in a reply)",
        commands["templates"],
        config,
    )
    listing.add_argument("--json", action="store_true", help="one JSON object per template")
    actions = listing.add_subparsers(dest="templates_command", required=False, metavar="ACTION")
    show = _command(
        actions, "show", "one template: its fields and text", commands["templates show"], config
    )
    show.add_argument("name", metavar="NAME", help="the template's name")
    show.add_argument("--json", action="store_true", help="as one JSON object")


def _flows(sub: Sub, config: argparse.ArgumentParser, commands: Mapping[str, Command]) -> None:
    listing = _command(
        sub,
        "flows",
        "the dialogue flows ([[flows]]: menus, FAQs, questions)",
        commands["flows"],
        config,
    )
    listing.add_argument("--json", action="store_true", help="one JSON object per flow")
    actions = listing.add_subparsers(dest="flows_command", required=False, metavar="ACTION")
    show = _command(actions, "show", "one flow, step by step", commands["flows show"], config)
    show.add_argument("name", metavar="NAME", help="the flow's name")
    show.add_argument("--json", action="store_true", help="as one JSON object")
    test = _command(
        actions,
        "test",
        "play a scripted conversation (> customer, < expected answer, + 30m, ! close) against"
        " the flows, printing every answer and decision; no store, no provider",
        commands["flows test"],
        config,
    )
    test.add_argument("script", metavar="FILE", help="the script")
    test.add_argument("--number", help="the reply number texted (default: the first a flow names)")
    test.add_argument("--at", help="when it starts, e.g. 2026-12-24 18:00 (default: now)")


def _api_tokens(sub: Sub, config: argparse.ArgumentParser, commands: Mapping[str, Command]) -> None:
    tokens = sub.add_parser("api-tokens", help="tokens of systems that send texts over HTTP")
    actions = tokens.add_subparsers(dest="api_tokens_command", required=True, metavar="ACTION")
    add = _command(
        actions,
        "add",
        "make a token for a system and print it (once: only its hash is kept)",
        commands["api-tokens add"],
        config,
    )
    add.add_argument("name", help="the system's name, e.g. node-red")
    add.add_argument(
        "--author", help="the address its texts count as (sender rules, caps, notices)"
    )
    listing = _command(
        actions, "list", "every token's name and state", commands["api-tokens list"], config
    )
    listing.add_argument("--json", action="store_true", help="one JSON object per token")
    revoke = _command(
        actions,
        "revoke",
        "refuse a system's token from now on",
        commands["api-tokens revoke"],
        config,
    )
    revoke.add_argument("name", help="the system's name")


def _report(sub: Sub, config: argparse.ArgumentParser, commands: Mapping[str, Command]) -> None:
    report = _command(
        sub,
        "report",
        "delivery, failures, consent, replies and cost of the texts of a period, by group",
        commands["report"],
        config,
    )
    report.add_argument(
        "--since",
        default="7d",
        help='texts accepted since then: "2026-12-01" or "2026-12-01 09:00" (UTC unless an'
        ' offset is given), or a while ago: "30m", "2h", "7d" (default: 7d)',
    )
    report.add_argument("--until", help="and before then, written the same way (default: now)")
    report.add_argument(
        "--by",
        choices=["team", "sender", "provider", "country"],
        default="team",
        help="group by the author's domain (team), the sender, the provider or the"
        " recipient's country (default: team)",
    )
    shape = report.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="as one JSON object")
    shape.add_argument("--csv", action="store_true", help="as CSV, one line per group")


def _links(sub: Sub, config: argparse.ArgumentParser, commands: Mapping[str, Command]) -> None:
    links = sub.add_parser("links", help="short links: who clicked them")
    actions = links.add_subparsers(dest="links_command", required=True, metavar="ACTION")
    report = _command(
        actions,
        "report",
        "click-through rate of texts with short links, by author, sender or category",
        commands["links report"],
        config,
    )
    report.add_argument(
        "--by",
        choices=["author", "sender", "category", "all"],
        default="sender",
        help="one line per sending number (default), author, category, or all three",
    )
    report.add_argument(
        "--since", default="30d", help='texts made since then: "7d" (default 30d), or a time'
    )
    report.add_argument("--json", action="store_true", help="one JSON object per line")
    qr = _command(
        sub,
        "qr",
        "a QR code that opens a text to a number with a keyword written in",
        commands["qr"],
    )
    qr.add_argument("--to", required=True, help="the number to text, e.g. +447700900100")
    qr.add_argument("--region", default="GB", help="where a national --to is read (default: GB)")
    qr.add_argument("--text", default="", help="the text written in for the customer (JOIN)")
    qr.add_argument("--svg", action="store_true", help="SVG instead of PNG")
    qr.add_argument(
        "--form",
        choices=["smsto", "sms"],
        default="smsto",
        help="SMSTO:number:text (default, read by iPhone and Android) or sms:number?body=text",
    )
    qr.add_argument("--scale", type=int, default=8, help="pixels a module (default: 8)")
    qr.add_argument("-o", "--output", required=True, help="the file to write, or - for stdout")
