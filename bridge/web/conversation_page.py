"""The admin page's conversation view: a customer's texts with each of the bridge's numbers,
both ways, with who wrote them, who owns the conversation and whether it is live.

Reached from the recent inbound texts (by the text's id, so no whole number is put in a
URL) or by typing a number into its form.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html import escape

from bridge.errors import InvalidNumber
from bridge.models import Conversation
from bridge.parsing.numbers import display_number, named, parse_number
from bridge.settings.root import Settings
from bridge.store.base import Store
from bridge.store.threads import Thread, name_of, threads_of

__all__ = ["conversation_section"]


async def conversation_section(
    store: Store, settings: Settings, *, number: str = "", inbound_id: str = ""
) -> str:
    """The section for the customer named by ``number`` or by the inbound text ``inbound_id``."""
    customer, problem = await _customer(store, settings, number, inbound_id)
    form = (
        '<form class="inline" method="get" action="/admin/conversation">'
        '<label>Customer\'s number<input name="number" required'
        f' placeholder="+447700900123" value="{escape(number)}"></label>'
        "<button type=submit>Show</button></form>"
    )
    if customer is None:
        error = f'<p class="error">{escape(problem)}</p>' if problem else ""
        return f'<section id="conversation"><h2>Conversation</h2>{form}{error}</section>'
    kept = datetime.now(UTC) - timedelta(days=settings.store.retention_days or 36500)
    numbers = tuple(n.number for n in settings.numbers)
    threads = await threads_of(store, customer, numbers=numbers, since=kept, limit=50)
    shown = named(customer, await name_of(store, customer))
    blocks = "".join(_thread(shown, t, settings) for t in threads)
    if not blocks:
        blocks = f"<p>No texts with {escape(shown)} are stored.</p>"
    return f'<section id="conversation"><h2>Conversation</h2>{form}{blocks}</section>'


async def _customer(
    store: Store, settings: Settings, number: str, inbound_id: str
) -> tuple[str | None, str]:
    if inbound_id:
        record = await store.inbound_record(inbound_id)
        return (record.from_number, "") if record else (None, "That text is no longer stored.")
    if not number:
        return None, ""
    try:
        return parse_number(number, default_region=settings.smtp.default_region), ""
    except InvalidNumber as exc:
        return None, exc.reason


def _thread(customer: str, thread: Thread, settings: Settings) -> str:
    """One conversation's table; ``customer`` as staff see them (``named``)."""
    number, conversation, texts = thread
    rows = "".join(
        f"<tr><td>{e.at:%Y-%m-%d %H:%M}</td><td>{'in' if e.inbound else 'out'}</td>"
        f"<td>{escape(customer if e.inbound else e.author or 'the bridge')}</td>"
        f"<td>{escape(e.text)}</td><td>{escape(e.state)}</td></tr>"
        for e in texts
    )
    head = "<tr><th>Time (UTC)</th><th></th><th>Who</th><th>Text</th><th>State</th></tr>"
    state = _state(conversation, settings)
    title = f"{escape(customer)} with {escape(display_number(number))}: {escape(state)}"
    return f"<h3>{title}</h3><table>{head}{rows}</table>"


def _state(conversation: Conversation | None, settings: Settings) -> str:
    if conversation is None:
        return "no owner (nobody has texted them from this number)"
    if conversation.closed_at is not None:
        return f"closed, last owned by {conversation.author}"
    live = conversation.live_at(datetime.now(UTC), settings.inbound.conversation_days)
    return f"{'live' if live else 'ended'}, owned by {conversation.author}"
