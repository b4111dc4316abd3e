"""The consent ledger's operations, once for both backends: record an opt-in or opt-out (with
the suppression list changed in the same transaction), list the ledger, count a campaign's
opt-ins, and the customers asked to confirm a campaign. The SQL is named in
``bridge/store/queries/consent.sql``.

The suppression list says who must not be texted now; the ledger says why, since when and on
what evidence, and is never purged. A STOP is kept against the number it was texted to (so
the opt-out rule can say which), an import's or an admin's against ``*``, the organisation.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bridge.models import ORGANISATION, ConsentEvent, Suppression
from bridge.store.ids import new_id
from bridge.store.queries import Q
from bridge.store.rows import dt
from bridge.store.statements import Op, all_rows, count, one_row

__all__ = [
    "ask_campaign",
    "campaign_opt_ins",
    "consent_row",
    "events",
    "forget_campaign",
    "latest_consent",
    "record",
    "record_all",
    "suppression",
    "unsuppress",
]


def consent_row(row: Any) -> ConsentEvent:
    at = dt(row["at"])
    assert at is not None
    return ConsentEvent(
        id=row["id"],
        customer=row["customer_number"],
        action=row["action"],
        scope=row["scope"],
        at=at,
        how=row["how"],
        evidence=row["evidence"],
        by=row["by_whom"],
        reason=row["reason"],
        campaign=row["campaign"],
    )


def record(event: ConsentEvent) -> Op[str]:
    """Add ``event`` to the ledger; return its id."""
    event_id = new_id("k")
    yield count(
        Q.insert_consent,
        event_id,
        event.customer,
        event.action,
        event.scope,
        event.at.timestamp(),
        event.how,
        event.evidence,
        event.by,
        event.reason,
        event.campaign,
    )
    return event_id


def record_all(given: Sequence[ConsentEvent], *, suppress: bool, once: bool = False) -> Op[int]:
    """Record each event and, with ``suppress``, change the suppression list to match (an
    opt-out puts the customer on the list of its scope, an opt-in takes them off it); all or
    none. How many were recorded.

    With ``once``, an opt-out already in force for its scope (any of the customer's for the
    organisation's, that number's or the organisation's for a number's) is not recorded
    again, nor one whose place on the list another transaction has just taken: a customer
    that several failed texts report opted out is in the ledger once."""
    recorded = 0
    for event in given:
        if once and event.action == "opt-out":
            number = None if event.scope == ORGANISATION else event.scope
            if (yield from suppression(event.customer, number)) is not None:
                continue
        if suppress and event.action == "opt-out":
            added = yield count(Q.suppress, event.scope, event.customer, event.at.timestamp())
            if once and not added:
                continue
        elif suppress:
            yield from unsuppress(event.customer, event.scope)
        yield from record(event)
        recorded += 1
    return recorded


def unsuppress(customer: str, scope: str) -> Op[None]:
    """Off the list of one number (and the organisation's), or of every number."""
    if scope == ORGANISATION:
        yield count(Q.unsuppress_everywhere, customer)
    else:
        yield count(Q.unsuppress_here, customer, scope)


def suppression(customer: str, reply_number: str | None) -> Op[Suppression | None]:
    """The customer's opt-out that applies to ``reply_number`` (None: to any number)."""
    if reply_number is None:
        row = yield one_row(Q.suppressed_anywhere, customer)
    else:
        row = yield one_row(Q.suppressed_here, customer, reply_number)
    since = dt(row["since"]) if row else None
    return None if row is None or since is None else Suppression(str(row["reply_number"]), since)


def latest_consent(customer: str, sender: str) -> Op[ConsentEvent | None]:
    row = yield one_row(Q.latest_consent, customer, sender)
    return None if row is None else consent_row(row)


def events(number: str | None, limit: int) -> Op[list[ConsentEvent]]:
    """The ledger, newest first; of one customer with ``number``."""
    rows = yield all_rows(Q.consent_events, number or "%", limit)
    return [consent_row(row) for row in rows]


def campaign_opt_ins(start: datetime, end: datetime) -> Op[dict[str, dict[str, int]]]:
    """Opt-ins per campaign (by how) recorded in [start, end)."""
    rows = yield all_rows(Q.campaign_opt_ins, start.timestamp(), end.timestamp())
    found: dict[str, dict[str, int]] = {}
    for row in rows:
        found.setdefault(str(row["campaign"]), {})[str(row["how"])] = int(row["opt_ins"])
    return found


def ask_campaign(customer: str, reply_number: str, campaign: str, now: float) -> Op[None]:
    yield count(Q.ask_campaign, customer, reply_number, campaign, now)


def forget_campaign(customer: str, reply_number: str) -> Op[None]:
    yield count(Q.forget_campaign, customer, reply_number)
