"""The one seam for "now": components take a ``Clock`` so tests can move time themselves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["Clock", "system_clock"]

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The current time, always timezone-aware (UTC)."""
    return datetime.now(UTC)
