"""Workers built the way the bridge builds them (``bridge.components``), for tests that drive
one worker against a real store without starting a whole bridge."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bridge import components
from bridge.media.fetch import MediaFetcher
from bridge.settings.root import Settings
from bridge.store.base import Store
from bridge.workers.inbound import InboundDispatcher
from bridge.workers.routing import build_router


def inbound_dispatcher(
    store: Store,
    settings: Settings,
    *,
    clock: Callable[[], datetime],
    media: MediaFetcher | None = None,
) -> InboundDispatcher:
    return InboundDispatcher(
        store=store,
        router=build_router(settings),
        rules=components.inbound_rules(settings),
        gate=components.build_gate(settings, store),
        mail=components.mail_identity(settings),
        clock=clock,
        queued=lambda: None,
        mailed=lambda: None,
        media=media,
    )
