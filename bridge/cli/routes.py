"""What ``smsbridge inbox`` prints (``routes check`` is ``checks.check_routes``; ``routes
explain`` asks ``bridge.routing.explain``, as the admin page does)."""

from __future__ import annotations

from bridge.models import InboundRecord
from bridge.parsing.numbers import mask

__all__ = ["format_inbox"]


def format_inbox(records: list[InboundRecord]) -> str:
    if not records:
        return "No inbound texts yet."
    lines = [f"{'received (UTC)':<19}  {'id':<16}  {'from':<15}  {'to':<15}  route"]
    for record in records:
        lines.append(
            f"{record.received_at:%Y-%m-%d %H:%M:%S}  {record.id:<16}"
            f"  {mask(record.from_number):<15}  {record.to_number:<15}"
            f"  {record.route or '(' + record.state + ')'}"
        )
    return "\n".join(lines)
