"""The one request type every outbound text becomes before the chain decides on it."""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, TypedDict, Unpack, cast

from bridge.models import ShortLink
from bridge.parsing.thread import Thread

__all__ = ["Changes", "OutboundRequest", "Source", "Thread"]


class Source(enum.StrEnum):
    """What made the text: rules treat some sources differently (a STOP confirmation goes to
    a customer who just opted out; a sender a person chose must be one the bridge owns)."""

    EMAIL = "email"  # the SMTP listener
    MAILBOX = "mailbox"  # the IMAP mailbox watcher
    CLI = "cli"  # smsbridge send
    API = "api"  # POST /api/v1/texts, by a system holding a token
    AUTO_REPLY = "auto-reply"  # a route's or a reply number's automatic answer
    FORWARD = "forward"  # a customer's text forwarded by text to a route's numbers
    COMPLIANCE = "compliance"  # the answer to STOP, START or HELP
    STORED = "stored"  # a queued job at the send stage (where it came from is not kept)

    @property
    def chosen_by_a_person(self) -> bool:
        """The sender was chosen by (or for) an author, not by the number a customer texted."""
        return self in (Source.EMAIL, Source.MAILBOX, Source.CLI, Source.API)


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboundRequest:
    """One text to one number, as it stands at some point of the chain.

    Rules that rewrite return a new request; the last one is what is stored and sent. ``text``
    is None at the envelope stage (SMTP's RCPT, before the message has arrived); ``sender``
    None means "as the sender rules say"; ``encoding`` and ``segments`` are set by the
    segments rule.
    """

    source: Source
    author: str  # the author's address, lower-case; "" for the bridge's own answers
    to_number: str  # E.164
    text: str | None = None
    sender: str | None = None
    subject: str = ""
    route: str = ""  # the inbound route whose decision made it, if one did
    max_segments: int | None = None  # this author's or sender's limit, if the rules set one
    encoding: str = ""
    segments: int = 0
    truncated_from: int | None = None  # the length before the segments rule cut it
    provider: str = ""  # at the send stage: the provider about to be asked
    thread: Thread | None = None  # an email's place in a conversation, when it has one
    tags: frozenset[str] = frozenset()  # the subject's tags (``bridge.parsing.tags``)
    domain: str = ""  # the domain of the address the email was sent to, if one was
    category: str = ""  # transactional or marketing, once the category rule has decided
    send_at: datetime | None = None  # the author asked for it to go then (rule ``schedule``)
    send_zone: str = ""  # the author's zone, in which ``send_at`` is shown to them
    links: tuple[ShortLink, ...] = ()  # the short links put in the text (rule ``short-links``)

    def revised(self, **changes: Unpack[Changes]) -> OutboundRequest:
        """This request with ``changes``, as ``dataclasses.replace`` makes it, at a third of
        its cost: ``replace`` builds a dict of all nineteen fields and runs the frozen
        ``__init__``, an ``object.__setattr__`` a field. The chain revises a request up to
        three times a text (the sender, the category, the segments), and a bulk send's
        100,000 rows are each a text (docs/benchmarks.md, bulk sends)."""
        given = cast(dict[str, Any], changes)
        if not given.keys() <= _NAMES:
            unknown = ", ".join(sorted(given.keys() - _NAMES))
            raise TypeError(f"OutboundRequest has no field {unknown}")
        new = object.__new__(OutboundRequest)
        for name, get, put in _SLOTS:
            put(new, given[name] if name in given else get(self))
        return new


class Changes(TypedDict, total=False):
    """What ``OutboundRequest.revised`` may change: every field, by name and type
    (tests/test_chain_request.py checks that the two lists agree)."""

    source: Source
    author: str
    to_number: str
    text: str | None
    sender: str | None
    subject: str
    route: str
    max_segments: int | None
    encoding: str
    segments: int
    truncated_from: int | None
    provider: str
    thread: Thread | None
    tags: frozenset[str]
    domain: str
    category: str
    send_at: datetime | None
    send_zone: str
    links: tuple[ShortLink, ...]


# Each field's slot, read and written directly: a frozen dataclass refuses ``setattr``, and
# its slots' descriptors are what ``object.__setattr__`` itself ends up calling.
_SLOTS = tuple(
    (f.name, vars(OutboundRequest)[f.name].__get__, vars(OutboundRequest)[f.name].__set__)
    for f in fields(OutboundRequest)
)
_NAMES = frozenset(name for name, _, _ in _SLOTS)
