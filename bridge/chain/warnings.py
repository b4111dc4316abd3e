"""The emails the chain's rules ask for (a spend cap's warning), queued once per key.

``Gate`` calls a ``StoreWarnings`` with the notices of an accepted text; each is composed as
an email from the bridge (``bridge.mail.notices.cap_warning``) and queued through the store,
which queues a key once whichever bridge asks first (``Store.warn_once``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bridge.chain.verdicts import Notice
from bridge.mail.notices import cap_warning
from bridge.models import NewMailJob

__all__ = ["StoreWarnings"]


class WarningStore(Protocol):
    async def warn_once(self, key: str, mail: NewMailJob, *, now: datetime) -> bool: ...


class StoreWarnings:
    def __init__(self, store: WarningStore, *, from_address: str, hostname: str) -> None:
        self._store = store
        self._from = from_address
        self._hostname = hostname

    async def __call__(self, notices: tuple[Notice, ...], *, at: datetime) -> None:
        for notice in notices:
            content = cap_warning(
                to=notice.to,
                subject=notice.subject,
                text=notice.text,
                from_address=self._from,
                now=at,
                hostname=self._hostname,
            )
            mail = NewMailJob(envelope_from="", recipients=(notice.to,), content=content)
            await self._store.warn_once(notice.key, mail, now=at)
