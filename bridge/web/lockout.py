"""Wrong admin passwords, counted per client address in the store (so a restart does not
forget them, and every bridge on a shared database counts the same): ``admin.login_attempts``
of them within ``admin.login_window_minutes`` lock the address out for
``admin.lockout_minutes``. While locked out, a password is not even checked."""

from __future__ import annotations

from datetime import timedelta

from bridge.clock import Clock
from bridge.settings.core import AdminSettings
from bridge.store.base import Console

__all__ = ["Lockout"]


class Lockout:
    def __init__(self, store: Console, settings: AdminSettings, clock: Clock) -> None:
        self._store = store
        self._attempts = settings.login_attempts
        self._window = settings.login_window_minutes * 60
        self._lockout = settings.lockout_minutes * 60
        self._clock = clock

    def _forget_before(self) -> timedelta:
        return timedelta(seconds=self._window + self._lockout)

    async def wait(self, address: str) -> float:
        """Seconds until ``address`` may try a password again (0: it may now)."""
        now = self._clock()
        times = await self._store.login_failures(
            address, since=now - self._forget_before(), limit=self._attempts
        )
        if len(times) < self._attempts or times[0] - times[-1] > self._window:
            return 0.0
        return max(0.0, times[0] + self._lockout - now.timestamp())

    async def failed(self, address: str) -> None:
        now = self._clock()
        await self._store.login_failed(address, now=now, forget_before=now - self._forget_before())

    async def succeeded(self, address: str) -> None:
        now = self._clock()
        await self._store.login_succeeded(address, forget_before=now - self._forget_before())
