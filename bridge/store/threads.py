"""A customer's conversations with the bridge's numbers, each with its texts both ways: what
``smsbridge thread`` prints and the admin page's conversation page shows."""

from __future__ import annotations

from datetime import datetime

from bridge.models import Conversation, ThreadEntry
from bridge.store.base import Store

__all__ = ["Thread", "name_of", "threads_of"]

Thread = tuple[str, Conversation | None, list[ThreadEntry]]  # reply number, conversation, texts


async def name_of(store: Store, customer: str) -> str:
    """The customer's name in the address book, or ""."""
    contact = await store.contact(customer)
    return " ".join(contact.name.split()) if contact else ""


async def threads_of(
    store: Store, customer: str, *, numbers: tuple[str, ...], since: datetime, limit: int
) -> list[Thread]:
    """Every conversation ``customer`` has with ``numbers`` (and any other number a stored
    conversation names), each with its latest ``limit`` texts since ``since``."""
    conversations = {c.reply_number: c for c in await store.conversations_of(customer)}
    found: list[Thread] = []
    for number in dict.fromkeys([*conversations, *numbers]):
        texts = await store.thread(customer=customer, reply_number=number, since=since, limit=limit)
        if texts or number in conversations:
            found.append((number, conversations.get(number), texts))
    return found
