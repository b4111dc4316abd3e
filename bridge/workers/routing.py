"""The router the inbound worker holds, swapped whole when the settings are reloaded."""

from __future__ import annotations

from datetime import datetime

from bridge.routing.decide import Routed, Router
from bridge.routing.matchers import InboundText
from bridge.settings.root import Settings

__all__ = ["ReloadableRouter", "build_router"]


def build_router(settings: Settings) -> Router:
    return Router(settings.routes, settings.calendars, settings.numbers)


class ReloadableRouter:
    """``swap`` replaces the table in one assignment.

    A text is routed by whichever table was current when its routing began, from start to
    finish, so a reload can never route a text twice or half by each table.
    """

    def __init__(self, settings: Settings) -> None:
        self._route = build_router(settings)
        self.generation = 1

    def __call__(self, text: InboundText, at: datetime) -> Routed:
        return self._route(text, at)

    def swap(self, settings: Settings) -> None:
        self._route = build_router(settings)
        self.generation += 1
