"""The running bridge's lifecycle: start the parts in order, stop them in reverse.

``Bridge`` is an async context manager. It starts the store, then the workers, then the
listeners; on the way out it stops the listeners first (no new work), lets jobs in flight
finish within a grace period, and closes the store last. The parts themselves are built by
``bridge.components``; a reload swaps the routing table and nothing else.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TypeVar

from bridge import components
from bridge.advice import advice
from bridge.chain.gate import Gate
from bridge.clock import Clock, system_clock
from bridge.errors import ConfigError
from bridge.event_loop import loop_name
from bridge.inbound.intake import EmailIntake
from bridge.inbound.poller import ReplyNumberPoller
from bridge.inbound.reports import ReportIntake
from bridge.inbound.smtp import SmtpHandler, start_smtp_server
from bridge.listeners.pool import ListenerPool
from bridge.listeners.sockets import refuse_if_taken
from bridge.listening import listening
from bridge.mail.transport import MailTransport
from bridge.metrics.endpoint import metrics_routes
from bridge.models import InboundJob, InboundPart, InboundSms, MailJob, SmsJob
from bridge.providers.base import InboundLister, WebhookSink
from bridge.providers.choice import ProviderChoice
from bridge.providers.registry import ProviderSet, webhook_routes
from bridge.settings.load import load_settings
from bridge.settings.root import Settings
from bridge.store.base import Store
from bridge.store.factory import open_store
from bridge.web.links import link_routes
from bridge.web.media import media_routes
from bridge.web.send_api import SendApi
from bridge.web.server import HttpServer, build_app
from bridge.workers.bulk import BulkWorker
from bridge.workers.cleanup import Cleanup
from bridge.workers.clicks import ClickRecorder
from bridge.workers.cluster import OncePerCluster
from bridge.workers.inbound import InboundDispatcher
from bridge.workers.loop import Loop
from bridge.workers.mail import MailDispatcher
from bridge.workers.routing import ReloadableRouter
from bridge.workers.runner import JobRunner
from bridge.workers.sms import SmsDispatcher

__all__ = ["Bridge", "StoreLocked"]

log = logging.getLogger(__name__)
GRACE_SECONDS = 10.0
J = TypeVar("J")


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


class StoreLocked(RuntimeError):
    """Another bridge already runs on this SQLite database."""


def _lock(path: Path, source: Path | None) -> IO[str]:
    """Hold an exclusive lock beside the database for as long as the bridge runs. It holds
    the pid and the settings file (``smsbridge reload`` and ``send`` read them)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise StoreLocked(f"another bridge is already running here (it holds {path})") from None
    handle.truncate(0)
    handle.write(f"{os.getpid()}\n{source or ''}\n")
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
        source: Path | None = None,
    ) -> None:
        """``source`` is the settings file, if there is one (it is written into the lock, and
        the SMTP listener processes of ``smtp.processes`` read it)."""
        if settings.smtp.processes > 1 and source is None:
            raise ValueError("smtp.processes above 1 needs the settings file the bridge read")
        self.settings = settings
        self._source = source
        self._clock = clock
        self._transport = transport or components.build_transport(settings)
        self._owner = components.owner_name()
        self._router = ReloadableRouter(settings)
        self._inbound: InboundDispatcher | None = None  # its flows are swapped on reload
        self._in_use = settings  # the settings the routing table came from (reload changes it)
        self._lock: IO[str] | None = None
        self._store: Store | None = None
        self._provider_set: ProviderSet | None = None
        self._runners: list[tuple[JobRunner[Any], asyncio.Task[None]]] = []
        self._loops: list[tuple[Loop, asyncio.Task[None]]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._smtp: asyncio.Server | None = None
        self._http: HttpServer | None = None
        self._closers: list[Callable[[], Any]] = []
        self._pool: ListenerPool | None = None  # the other SMTP listener processes

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

    @property
    def transport(self) -> MailTransport:
        return self._transport

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
        self._lock = _lock(settings.pid_lock_path, self._source)  # a second bridge: refused
        store = await self._open_store()
        limiter = components.build_limiter(settings, store)
        gate = components.build_gate(settings, store, limiter)
        providers = self._providers()
        mail = self._mail_runner(store)
        sms = self._sms_runner(store, providers, gate, mail)
        inbound = self._inbound_runner(store, gate, sms, mail)
        reports = ReportIntake(
            store=store,
            notices=components.notice_settings(settings),
            clock=self._clock,
            mail_queued=mail.wake,
            opt_out_scope=settings.compliance.opt_out_scope,
            currency=settings.compliance.currency,
        )
        intake = components.email_intake(
            settings,
            store=store,
            gate=gate,
            providers=providers,
            clock=self._clock,
            queued=sms.wake,
        )
        self._start_loops(store, intake, providers, inbound, reports, mail)
        bulk = self._bulk_worker(store, gate, sms, mail)
        self._send_api = SendApi(
            store=store,
            gate=gate,
            clock=self._clock,
            default_region=settings.smtp.default_region,
            queued=sms.wake,
            hostname=settings.smtp.hostname,
        )
        wakes = components.Wakes(sms=sms.wake, mail=mail.wake, bulk=bulk.wake)
        handler = components.smtp_handler(
            settings,
            store=store,
            gate=gate,
            intake=intake,
            providers=providers,
            clock=self._clock,
            wakes=wakes,
        )
        await self._listen_smtp(handler)
        await self._listen_http(store, inbound, reports, providers)
        self._start_processes(wakes)
        self._log_ready()

    async def _open_store(self) -> Store:
        self._store = open_store(self.settings)
        await self._store.open()
        if self._store.exclusive:  # a shared store's leases may be another bridge's
            released = await self._store.release_leases(now=self._clock())
            if released:
                log.warning(
                    "%d job(s) were in flight when the bridge last stopped; retrying", released
                )
        return self._store

    def _providers(self) -> ProviderChoice:
        choice, self._provider_set = components.build_providers(self.settings)
        return choice

    def _runner(
        self,
        name: str,
        claim: Callable[[int], Awaitable[list[J]]],
        handle: Callable[[J], Awaitable[J | None]],
        *,
        concurrency: int,
        poll_seconds: float,
        on_stop: Callable[[], None] | None = None,
    ) -> JobRunner[J]:
        """A claim loop over ``claim`` (up to so many jobs), started now, drained at stop."""
        runner: JobRunner[J] = JobRunner(
            name=name,
            claim=claim,
            handle=handle,
            concurrency=concurrency,
            poll_seconds=poll_seconds,
            on_stop=on_stop,
        )
        self._runners.append((runner, asyncio.create_task(runner.run(), name=name)))
        return runner

    def _claim(
        self, method: Callable[..., Awaitable[list[J]]]
    ) -> Callable[[int], Awaitable[list[J]]]:
        """A store's claim method, leasing under this bridge's name for the queue's lease."""
        lease = self.settings.queue.lease_seconds
        return lambda n: method(now=self._clock(), limit=n, lease_seconds=lease, owner=self._owner)

    def _mail_runner(self, store: Store) -> JobRunner[MailJob]:
        webhooks = components.webhook_transport(self.settings)
        if webhooks is not None:
            self._closers.append(webhooks.aclose)
        dispatcher = MailDispatcher(
            store=store,
            transport=self._transport,
            clock=self._clock,
            policy=components.retry_policy(self.settings, self.settings.mail.max_attempts),
            owner=self._owner,
            webhooks=webhooks,
        )
        poll = self.settings.queue.poll_seconds
        return self._runner(
            "mail",
            self._claim(store.claim_mail),
            dispatcher.handle,
            concurrency=16,
            poll_seconds=poll,
        )

    def _sms_runner(
        self, store: Store, providers: ProviderChoice, gate: Gate, mail: JobRunner[MailJob]
    ) -> JobRunner[SmsJob]:
        queue = self.settings.queue
        dispatcher = SmsDispatcher(
            store=store,
            providers=providers,
            policy=components.retry_policy(self.settings, queue.max_attempts),
            notices=components.notice_settings(self.settings),
            clock=self._clock,
            notice_queued=mail.wake,
            owner=self._owner,
            lease_seconds=queue.lease_seconds,
            gate=gate,
            senders=self.settings.senders,
            public_url=self.settings.bridge.public_url,
            opt_out_scope=self.settings.compliance.opt_out_scope,
            currency=self.settings.compliance.currency,
        )
        return self._runner(
            "sms",
            dispatcher.claim,
            dispatcher.handle,
            concurrency=queue.workers,
            poll_seconds=queue.poll_seconds,
            on_stop=dispatcher.stop_taking,
        )

    def _inbound_runner(
        self, store: Store, gate: Gate, sms: JobRunner[SmsJob], mail: JobRunner[MailJob]
    ) -> JobRunner[InboundJob]:
        fetcher = components.media_fetcher(self.settings)
        self._closers.append(fetcher.aclose)
        dispatcher = InboundDispatcher(
            media=fetcher,
            store=store,
            router=self._router,
            rules=components.inbound_rules(self.settings),
            gate=gate,
            mail=components.mail_identity(self.settings),
            clock=self._clock,
            queued=sms.wake,
            mailed=mail.wake,
        )
        self._inbound = dispatcher
        poll = self.settings.inbound.poll_seconds
        return self._runner(
            "inbound",
            self._claim(store.claim_inbound),
            dispatcher.handle,
            concurrency=16,
            poll_seconds=poll,
        )

    def _bulk_worker(
        self, store: Store, gate: Gate, sms: JobRunner[SmsJob], mail: JobRunner[MailJob]
    ) -> BulkWorker:
        """Bulk sends by attachment: on every bridge (a lease shares them out)."""
        worker = components.bulk_worker(
            self.settings,
            store=store,
            gate=gate,
            clock=self._clock,
            owner=self._owner,
            queued=sms.wake,
            mailed=mail.wake,
        )
        self._loops.append((worker, asyncio.create_task(worker.run(), name="bulk")))
        return worker

    def _start_loops(
        self,
        store: Store,
        intake: EmailIntake,
        providers: ProviderChoice,
        inbound: JobRunner[InboundJob],
        reports: ReportIntake,
        mail: JobRunner[MailJob],
    ) -> None:
        settings = self.settings
        self._watch_mailboxes(store, intake, mail)
        self._start_pollers(store, providers, inbound, reports)
        if settings.store.retention_days:
            days = settings.store.retention_days
            make_cleanup = partial(Cleanup, store=store, clock=self._clock, retention_days=days)
            self._once("clean-up", make_cleanup)
        if settings.reports:
            self._mail_reports(store, mail)

    def _watch_mailboxes(self, store: Store, intake: EmailIntake, mail: JobRunner[MailJob]) -> None:
        """A watcher for each ``[[mailboxes]]`` entry."""
        if not self.settings.mailboxes:
            return
        from bridge.inbound.mailbox import MailboxWatcher  # aioimaplib: only with mailboxes

        settings = self.settings
        for mailbox in settings.mailboxes:
            make = partial(
                MailboxWatcher,
                settings=mailbox,
                intake=intake,
                store=store,
                allowed_senders=settings.smtp.allowed_senders,
                region=settings.smtp.default_region,
                notices=components.notice_settings(settings),
                clock=self._clock,
                mail_queued=mail.wake,
                groups=components.group_desk(settings, store),
            )
            self._once(f"mailbox {mailbox.username}@{mailbox.host}/{mailbox.folder}", make)

    def _mail_reports(self, store: Store, mail: JobRunner[MailJob]) -> None:
        """The ``[[reports]]`` emails, from one bridge of the cluster."""
        from bridge.workers.report_mail import ReportMailer  # the reports: only when scheduled

        make_reports = partial(
            ReportMailer,
            store=store,
            schedules=self.settings.reports,
            reporting=components.reporting(self.settings),
            clock=self._clock,
            mail_queued=mail.wake,
        )
        self._once("reports", make_reports)

    def _start_pollers(
        self,
        store: Store,
        providers: ProviderChoice,
        inbound: JobRunner[InboundJob],
        reports: ReportIntake,
    ) -> None:
        """Reply-number pollers for the providers that can be polled and are asked to be."""
        report = None if self.settings.bridge.public_url else reports.accept
        for carrier in providers.carriers:
            interval = self.settings.providers[carrier.name].watch_seconds
            if not interval or not isinstance(carrier.provider, InboundLister):
                continue
            for number in self.settings.numbers:
                make = partial(
                    ReplyNumberPoller,
                    provider=carrier.provider,
                    store=store,
                    reply_number=number.number,
                    interval=interval,
                    wake=inbound.wake,
                    clock=self._clock,
                    report=report,
                )
                self._once(f"watch {carrier.name} {number.number}", make)

    def _once(self, name: str, make: Callable[[], Loop]) -> None:
        """Run a loop on one bridge of the cluster at a time (``workers/cluster.py``)."""
        once = OncePerCluster(store=self.store, name=name, make=make)
        self._loops.append((once, asyncio.create_task(once.run(), name=name)))

    async def _listen_smtp(self, handler: SmtpHandler) -> None:
        """The SMTP listener; with ``smtp.processes`` above 1, the first of a group sharing
        the port (``bridge.listeners.sockets``), refused if anything else listens there."""
        settings = self.settings.smtp
        shared = settings.processes > 1
        with listening("smtp", settings.host, settings.port):
            if shared:
                refuse_if_taken(settings.host, settings.port)
            self._smtp = await start_smtp_server(
                settings=settings,
                handler=handler,
                users=components.smtp_users(self.settings),
                reuse_port=shared,
            )

    def _start_processes(self, wakes: components.Wakes) -> None:
        """The other SMTP listener processes (``bridge.listeners.pool``), started last and not
        waited for, so that they cost the main process's start-up nothing."""
        count = self.settings.smtp.processes - 1
        if count < 1:
            return
        assert self._smtp is not None and self._source is not None
        self._pool = ListenerPool(
            config=self._source.resolve(), count=count, listening=self._smtp.sockets, wakes=wakes
        )
        self._pool.start()

    async def _listen_http(
        self,
        store: Store,
        inbound: JobRunner[InboundJob],
        reports: ReportIntake,
        providers: ProviderChoice,
    ) -> None:
        settings = self.settings
        routes = webhook_routes(settings.providers, self._sink(store, inbound, reports))
        routes += media_routes(store, self._clock)
        routes += self._send_api.routes()
        routes += self._links(store)
        if settings.admin.enabled:
            from bridge.web.admin import admin_routes  # the console's pages: only when enabled

            routes += admin_routes(
                settings=lambda: self._in_use,
                store=store,
                clock=self._clock,
                carriers=providers.carriers,
            )
        if settings.metrics.enabled:
            routes += metrics_routes(
                store=store,
                carriers=providers.carriers,
                allowed_networks=settings.metrics.allowed_networks,
                clock=self._clock,
            )
        app = build_app(store=store, routes=routes, owner=self._owner, clock=self._clock)
        self._http = HttpServer(app, settings=settings.http)
        with listening("http", settings.http.host, settings.http.port):
            await self._http.start()

    def _links(self, store: Store) -> list[Any]:
        """``/l/<code>``, always (a link outlives a change of settings), and the loop that
        writes its clicks; stopped after the HTTP server, so the last clicks are written."""
        recorder = ClickRecorder(store=store)
        self._loops.append((recorder, asyncio.create_task(recorder.run(), name="clicks")))
        size = self.settings.links.cache_size
        return link_routes(store=store, recorder=recorder, clock=self._clock, cache_size=size)

    def _sink(
        self, store: Store, inbound: JobRunner[InboundJob], reports: ReportIntake
    ) -> WebhookSink:
        dispatcher = self._inbound
        if dispatcher is None:
            raise RuntimeError("the inbound worker is made before the webhooks")

        async def receive(sms: InboundSms) -> None:
            if await dispatcher.receive(sms):  # stored, and routed at once when it can be
                inbound.wake()

        async def receive_part(part: InboundPart) -> None:
            stored = await store.receive_part(part, now=self._clock())
            if stored is not None and stored[1]:
                inbound.wake()

        return WebhookSink(
            receive=receive,
            receive_part=receive_part,
            report=reports.accept,
            clock=self._clock,
            public_url=self.settings.bridge.public_url,
            default_region=self.settings.smtp.default_region,
        )

    def _log_ready(self) -> None:
        settings = self.settings
        for key, warning in advice(settings):
            log.warning("%s: %s", key, warning)
        processes = settings.smtp.processes
        log.info(
            "smsbridge ready: SMTP on %s (%s), HTTP on %s, providers %s, mail via %s, on %s",
            self.smtp_address,
            "1 process" if processes == 1 else f"{processes} processes",
            self.http_address,
            ", ".join(settings.providers),
            self._transport.name,
            loop_name(),
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
        """Load ``path`` again and swap in its routing table and flows; an invalid file changes
        nothing."""
        try:
            fresh = load_settings(path)
        except ConfigError as exc:
            log.error("reload refused; the routing table in use is unchanged:\n%s", exc.report())
            return False
        self._router.swap(fresh)
        if self._inbound is not None:
            self._inbound.use_flows(fresh.flows)
        self._in_use = fresh
        log.info(
            "reloaded %s: %d route(s) in use (table %d) and %d flow(s); changes to other"
            " settings take effect at the next start",
            path.resolve(),
            len(fresh.routes),
            self._router.generation,
            len(fresh.flows),
        )
        return True

    async def _stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._smtp is not None:
            self._smtp.close()
            await self._smtp.wait_closed()
            self._smtp = None
        if self._pool is not None:  # their last commits still wake the workers
            await self._pool.stop(grace_seconds=GRACE_SECONDS)
            self._pool = None
        if self._http is not None:
            await self._http.stop()
            self._http = None
        for loop, task in self._loops:
            loop.stop()
            await task
        self._loops.clear()
        for runner, task in self._runners:
            await runner.drain(grace_seconds=GRACE_SECONDS)
            await task
        self._runners.clear()
        await self._close_clients()
        if self._store is not None:
            await self._store.close()
            self._store = None
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    async def _close_clients(self) -> None:
        await self._transport.aclose()
        if self._provider_set is not None:
            await self._provider_set.aclose()
            self._provider_set = None
        for close in self._closers:
            await close()
        self._closers.clear()
