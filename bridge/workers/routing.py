"""The router the inbound worker uses, built from the settings."""

from __future__ import annotations

from bridge.config import Settings
from bridge.workers.inbound import Router, number_inbox_router

__all__ = ["build_router"]


def build_router(settings: Settings) -> Router:
    """The reply number's inbox, until the settings carry a routing table."""
    return number_inbox_router(settings)
