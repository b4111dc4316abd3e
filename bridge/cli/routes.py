"""What ``smsbridge routes check`` and ``inbox`` print (``routes explain`` asks
``bridge.routing.explain``, as the admin page does)."""

from __future__ import annotations

from bridge.models import InboundRecord
from bridge.parsing.numbers import mask
from bridge.routing.checks import warnings_for
from bridge.settings.root import Settings

__all__ = ["check_report", "format_inbox"]


def check_report(settings: Settings, source: str) -> str:
    warnings = warnings_for(settings.routes, settings.inbound)
    lines = [f"{source}: OK, {len(settings.routes)} route(s), {len(warnings)} warning(s)"]
    lines += [f"  warning: {w}" for w in warnings]
    return "\n".join(lines)


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
