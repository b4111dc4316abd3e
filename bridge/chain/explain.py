"""What the outbound chain would do with a text, rule by rule, without sending it.

``smsbridge outbound explain`` (the outbound twin of ``routes explain``) builds the request an
email from ``author`` to ``to`` would make and runs every rule of the chain on it, the send
stage too, with the facts the store has now (a customer's STOP) at the given time.
"""

from __future__ import annotations

from datetime import datetime

from bridge.chain.chain import Chain
from bridge.chain.facts import FactReader
from bridge.chain.request import OutboundRequest, Source
from bridge.chain.rule import Stage
from bridge.chain.verdicts import Decision
from bridge.parsing.tags import subject_tags

__all__ = ["explain_outbound"]


async def explain_outbound(
    chain: Chain,
    *,
    facts: FactReader,
    author: str,
    to: str,
    text: str,
    sender: str | None,
    at: datetime,
    source: Source = Source.EMAIL,
    subject: str = "",
    send_at: datetime | None = None,
    send_zone: str = "",
) -> tuple[str, Decision]:
    """Every rule's answer in words, and the decision; ``subject``'s tags count, as an
    email's would (``[marketing]``, ``[urgent]``); ``send_at``: the time its author asked
    for (read from ``[tomorrow 9am]`` or ``Send-At:`` in ``send_zone``), as rule ``schedule``
    sees it."""
    tags, subject = subject_tags(subject)
    request = OutboundRequest(
        source=source,
        author=author.lower(),
        to_number=to,
        text=text,
        sender=sender,
        subject=subject,
        tags=tags,
        send_at=send_at,
        send_zone=send_zone,
    )
    stages = frozenset(Stage)
    decision = await chain.run(request, facts=facts, at=at, stages=stages)
    head = f"A text from {author or 'the bridge'} to {to} at {at:%Y-%m-%d %H:%M %Z}:"
    return f"{head}\n{decision.explain()}", decision
