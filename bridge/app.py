"""Wire the bridge together from the settings: the only place clients and servers are built.

``Bridge`` is an async context manager. It starts the store, then the workers, then the
listeners; on the way out it stops the listeners first (no new work), lets jobs in flight
finish within a grace period, and closes the store last.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import socket
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import httpx
from starlette.routing import BaseRoute

from bridge.admin import admin_routes
from bridge.clock import Clock, system_clock
from bridge.cluster import OncePerCluster, Worker
from bridge.config import Settings, load_settings
from bridge.errors import ConfigError
from bridge.http import HttpServer, build_app
from bridge.inbound.intake import EmailIntake
from bridge.inbound.mailbox import MailboxWatcher
from bridge.inbound.provider_webhooks import webhook_routes
from bridge.inbound.reports import ReportIntake
from bridge.inbound.smtp import SmtpHandler, start_smtp_server
from bridge.inbound.users import UserTable
from bridge.inbound.watcher import ReplyNumberWatcher
from bridge.models import InboundJob, InboundPart, InboundSms, MailJob, SmsJob
from bridge.outbound.base import MailTransport, NoticeSettings
from bridge.outbound.mail import SmtpTransport, build_transport
from bridge.outbound.webhook import WebhookTransport
from bridge.providers.checks import provider_warnings
from bridge.providers.choice import ProviderChoice
from bridge.providers.registry import ProviderSet, build_providers
from bridge.providers.smsworks import SmsWorksProvider
from bridge.providers.twilio import TwilioProvider
from bridge.ratelimit import Limiter, RateLimiter, SharedRateLimiter
from bridge.retry import RetryPolicy
from bridge.store.base import Store
from bridge.store.factory import open_store
from bridge.workers.cleanup import Cleanup
from bridge.workers.inbound import InboundDispatcher
from bridge.workers.mail import MailDispatcher
from bridge.workers.routing import ReloadableRouter
from bridge.workers.runner import JobRunner
from bridge.workers.sms import SmsDispatcher

__all__ = ["Bridge", "StoreLocked"]

log = logging.getLogger(__name__)
GRACE_SECONDS = 10.0


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


class StoreLocked(RuntimeError):
    """Another bridge already runs on this SQLite database."""


def _lock(path: Path) -> IO[str]:
    """Hold an exclusive lock beside the database for as long as the bridge runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise StoreLocked(f"another bridge is already running here (it holds {path})") from None
    handle.truncate(0)
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


class Bridge:
    """The running bridge."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock = system_clock,
        transport: MailTransport | None = None,
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._providers: ProviderSet | None = None
        self._transport = transport
        self._owner = f"{socket.gethostname()}:{os.getpid()}"
        self._lock: IO[str] | None = None
        self._store: Store | None = None
        self._webhook_client: httpx.AsyncClient | None = None
        self._runners: list[tuple[JobRunner[Any], asyncio.Task[None]]] = []
        self._smtp: asyncio.Server | None = None
        self._router = ReloadableRouter(settings)
        self._in_use = settings  # the settings the routing table came from (reload changes it)
        self._tasks: list[asyncio.Task[None]] = []
        self._watchers: list[tuple[OncePerCluster, asyncio.Task[None]]] = []
        self._http: HttpServer | None = None

    @property
    def smtp_address(self) -> str:
        assert self._smtp is not None
        host, port = self._smtp.sockets[0].getsockname()[:2]
        return f"{host}:{port}"

    @property
    def http_address(self) -> str:
        assert self._http is not None
        return self._http.address

    @property
    def store(self) -> Store:
        assert self._store is not None
        return self._store

    async def __aenter__(self) -> Bridge:
        try:
            await self._start()
        except BaseException:
            await self._stop()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stop()

    async def _start(self) -> None:
        settings = self.settings
        self._lock = _lock(settings.pid_lock_path)  # a second bridge here is refused
        self._store = open_store(settings)
        await self._store.open()
        if self._store.exclusive:  # a shared store's leases may be another bridge's
            released = await self._store.release_leases(now=self._clock())
            if released:
                log.warning(
                    "%d job(s) were in flight when the bridge last stopped; retrying", released
                )
        sms_runner, mail_runner = self._build_runners(self._store)
        inbound_runner = self._inbound_runner(self._store, sms_runner, mail_runner)
        intake = EmailIntake(
            store=self._store,
            text=settings.text,
            senders=settings.senders,
            notices=self._notice_settings(),
            clock=self._clock,
            queued=sms_runner.wake,
        )
        self._start_mailboxes(intake, mail_runner)
        users_file = settings.smtp.auth.users_file
        users = UserTable.load(users_file) if users_file else None
        self._smtp = await start_smtp_server(
            settings=settings.smtp,
            handler=SmtpHandler(settings=settings.smtp, intake=intake),
            users=users,
        )
        reports = ReportIntake(
            store=self._store,
            notices=self._notice_settings(),
            clock=self._clock,
            mail_queued=mail_runner.wake,
        )
        self._start_watchers(self._store, inbound_runner, reports)
        if settings.store.retention_days:
            self._once(
                "clean-up",
                partial(
                    Cleanup,
                    store=self._store,
                    clock=self._clock,
                    retention_days=settings.store.retention_days,
                ),
            )
        routes = [*self._webhooks(self._store, inbound_runner, reports)]
        if settings.admin.enabled:
            routes += admin_routes(settings=lambda: self._in_use, store=self._store)
        app = build_app(store=self._store, routes=routes, owner=self._owner, clock=self._clock)
        self._http = HttpServer(app, settings=settings.http)
        await self._http.start()
        for warning in provider_warnings(settings):
            log.warning("%s", warning)
        log.info(
            "smsbridge ready: SMTP on %s, HTTP on %s, providers %s, mail via %s",
            self.smtp_address,
            self.http_address,
            ", ".join(settings.provider_entries),
            self.transport.name,
        )

    def _inbound_runner(
        self, store: Store, sms: JobRunner[SmsJob], mail: JobRunner[MailJob]
    ) -> JobRunner[InboundJob]:
        def queued() -> None:
            sms.wake()
            mail.wake()

        dispatcher = InboundDispatcher(
            store=store,
            settings=self.settings,
            router=self._router,
            clock=self._clock,
            queued=queued,
        )
        queue = self.settings.queue
        runner: JobRunner[InboundJob] = JobRunner(
            name="inbound",
            claim=lambda n: store.claim_inbound(
                now=self._clock(), limit=n, lease_seconds=queue.lease_seconds, owner=self._owner
            ),
            handle=dispatcher.handle,
            concurrency=16,
            poll_seconds=self.settings.inbound.poll_seconds,
        )
        self._runners.append((runner, asyncio.create_task(runner.run(), name=runner.name)))
        return runner

    def _start_mailboxes(self, intake: EmailIntake, mail: JobRunner[MailJob]) -> None:
        for mailbox in self.settings.mailboxes:
            make = partial(
                MailboxWatcher,
                settings=mailbox,
                intake=intake,
                store=self.store,
                allowed_senders=self.settings.smtp.allowed_senders,
                region=self.settings.smtp.default_region,
                notices=self._notice_settings(),
                clock=self._clock,
                mail_queued=mail.wake,
            )
            self._once(f"mailbox {mailbox.username}@{mailbox.host}/{mailbox.folder}", make)

    def _start_watchers(
        self, store: Store, inbound: JobRunner[InboundJob], reports: ReportIntake
    ) -> None:
        for carrier in self.providers.carriers:
            provider, entry = carrier.provider, self.settings.provider_entries[carrier.name]
            interval = getattr(entry, "watch_seconds", 0.0)
            if not interval or not isinstance(provider, TwilioProvider | SmsWorksProvider):
                continue
            for number in self.settings.numbers:
                make = partial(
                    ReplyNumberWatcher,
                    provider=provider,
                    store=store,
                    reply_number=number.number,
                    interval=interval,
                    wake=inbound.wake,
                    clock=self._clock,
                    report=None if self.settings.bridge.public_url else reports.accept,
                )
                self._once(f"watch {carrier.name} {number.number}", make)

    def _once(self, name: str, make: Callable[[], Worker]) -> None:
        """Run a worker on one bridge of the cluster at a time (bridge.cluster)."""
        once = OncePerCluster(store=self.store, name=name, make=make)
        self._watchers.append((once, asyncio.create_task(once.run(), name=name)))

    def _webhooks(
        self, store: Store, inbound: JobRunner[InboundJob], reports: ReportIntake
    ) -> Sequence[BaseRoute]:
        async def receive(sms: InboundSms) -> None:
            _, new = await store.receive_sms(sms, now=self._clock())
            if new:
                inbound.wake()

        async def receive_part(part: InboundPart) -> None:
            stored = await store.receive_part(part, now=self._clock())
            if stored is not None and stored[1]:
                inbound.wake()

        return webhook_routes(
            self.settings,
            receive=receive,
            receive_part=receive_part,
            report=reports.accept,
            clock=self._clock,
        )

    def watch(self, path: Path, *, every: float = 2.0) -> None:
        """Reload whenever ``path`` changes (its modification time or size)."""

        async def loop() -> None:
            seen = _stamp(path)
            while True:
                await asyncio.sleep(every)
                now = _stamp(path)
                if now != seen:
                    seen = now
                    self.reload(path)

        self._tasks.append(asyncio.create_task(loop(), name="watch settings"))

    def reload(self, path: Path) -> bool:
        """Load ``path`` again and swap in its routing table; an invalid file changes nothing."""
        try:
            fresh = load_settings(path)
        except ConfigError as exc:
            log.error("reload refused; the routing table in use is unchanged:\n%s", exc.report())
            return False
        self._router.swap(fresh)
        self._in_use = fresh
        log.info(
            "reloaded %s: %d route(s) in use (table %d); changes to other settings take"
            " effect at the next start",
            path,
            len(fresh.routes),
            self._router.generation,
        )
        return True

    def _notice_settings(self) -> NoticeSettings:
        return NoticeSettings(
            from_address=self.settings.mail.from_address, hostname=self.settings.smtp.hostname
        )

    @property
    def providers(self) -> ProviderChoice:
        if self._providers is None:
            self._providers = build_providers(self.settings)
        return self._providers.choice

    @property
    def transport(self) -> MailTransport:
        if self._transport is None:
            self._transport = build_transport(
                self.settings.mail,
                maildir_path=self.settings.maildir_path,
                local_hostname=self.settings.smtp.hostname,
            )
        return self._transport

    def _build_runners(self, store: Store) -> tuple[JobRunner[SmsJob], JobRunner[MailJob]]:
        queue = self.settings.queue
        mail_runner: JobRunner[MailJob] = JobRunner(
            name="mail",
            claim=lambda n: store.claim_mail(
                now=self._clock(), limit=n, lease_seconds=queue.lease_seconds, owner=self._owner
            ),
            handle=MailDispatcher(
                store=store,
                transport=self.transport,
                clock=self._clock,
                policy=self._policy(self.settings.mail.max_attempts),
                owner=self._owner,
                webhooks=self._webhook_transport(),
            ).handle,
            concurrency=16,
            poll_seconds=queue.poll_seconds,
        )
        sms_runner: JobRunner[SmsJob] = JobRunner(
            name="sms",
            claim=lambda n: store.claim_sms(
                now=self._clock(), limit=n, lease_seconds=queue.lease_seconds, owner=self._owner
            ),
            handle=SmsDispatcher(
                store=store,
                providers=self.providers,
                policy=self._policy(queue.max_attempts),
                notices=self._notice_settings(),
                clock=self._clock,
                notice_queued=mail_runner.wake,
                owner=self._owner,
                lease_seconds=queue.lease_seconds,
                limiter=self._limiter(store),
            ).handle,
            concurrency=queue.workers,
            poll_seconds=queue.poll_seconds,
        )
        for runner in (sms_runner, mail_runner):
            self._runners.append((runner, asyncio.create_task(runner.run(), name=runner.name)))
        return sms_runner, mail_runner

    def _webhook_transport(self) -> WebhookTransport | None:
        secret = self.settings.inbound.webhook_secret
        if secret is None:
            return None
        self._webhook_client = httpx.AsyncClient()
        return WebhookTransport(client=self._webhook_client, secret=secret.get_secret_value())

    def _limiter(self, store: Store) -> Limiter | None:
        """In the process for a store only this bridge uses; in the store when it is shared."""
        limits = {
            n.number: (n.rate_per_second, n.burst)
            for n in self.settings.numbers
            if n.rate_per_second
        }
        for name, entry in self.settings.provider_entries.items():
            if entry.rate_per_second:
                limits[name] = (entry.rate_per_second, entry.burst)
        if not limits:
            return None
        return RateLimiter(limits) if store.exclusive else SharedRateLimiter(limits, store)

    def _policy(self, max_attempts: int) -> RetryPolicy:
        queue = self.settings.queue
        return RetryPolicy(
            max_attempts=max_attempts,
            base_seconds=queue.backoff_base_seconds,
            cap_seconds=queue.backoff_max_seconds,
        )

    async def _stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._smtp is not None:
            self._smtp.close()
            await self._smtp.wait_closed()
            self._smtp = None
        if self._http is not None:
            await self._http.stop()
            self._http = None
        for watcher, task in self._watchers:
            watcher.stop()
            await task
        self._watchers.clear()
        for runner, task in self._runners:
            await runner.stop(grace_seconds=GRACE_SECONDS)
            await task
        self._runners.clear()
        if isinstance(self._transport, SmtpTransport):
            await self._transport.close()
        if self._providers is not None:
            await self._providers.aclose()
            self._providers = None
        if self._webhook_client is not None:
            await self._webhook_client.aclose()
        if self._store is not None:
            await self._store.close()
            self._store = None
        if self._lock is not None:
            self._lock.close()
            self._lock = None
