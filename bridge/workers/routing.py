"""The router the inbound worker uses, built once from the settings."""

from __future__ import annotations

from datetime import datetime

from bridge.config import Settings
from bridge.models import InboundJob
from bridge.routing.table import InboundText, RoutingTable
from bridge.workers.inbound import Routed, Router, number_inbox_router

__all__ = ["ReloadableRouter", "build_router"]


def build_router(settings: Settings) -> Router:
    """The ``[[routes]]`` table when there is one, else each reply number's own inbox."""
    if not settings.routes:
        return number_inbox_router(settings)
    table = RoutingTable.from_settings(settings.routes, settings.calendars)

    def route(job: InboundJob, at: datetime) -> Routed:
        decision = table.resolve(InboundText(job.from_number, job.to_number, job.text), at=at)
        where = decision.destination
        return Routed(
            route=decision.route,
            emails=where.emails,
            owner=where.owner,
            auto_reply=where.auto_reply,
            forward_to=where.forward_to,
            webhook=where.webhook,
            timezone=decision.timezone,
            explanation=decision.explain(),
        )

    return route


class ReloadableRouter:
    """The router the worker holds; ``swap`` replaces the table in one assignment.

    A text is routed by whichever table was current when its routing began, from start to
    finish, so a reload can never route a text twice or half by each table.
    """

    def __init__(self, settings: Settings) -> None:
        self._route = build_router(settings)
        self.generation = 1

    def __call__(self, job: InboundJob, at: datetime) -> Routed:
        return self._route(job, at)

    def swap(self, settings: Settings) -> None:
        self._route = build_router(settings)
        self.generation += 1
