"""Build the bridge's parts from the settings: the only place clients and services are made.

Each function takes the settings (or its slice) and what it depends on, and returns one part.
``app.Bridge`` calls them in order and owns their lifecycle; tests call them to build one
part alone.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING

from bridge.chain.chain import build_chain, store_facts
from bridge.chain.gate import Gate
from bridge.chain.rates import Limiter, RateLimiter, SharedRateLimiter
from bridge.chain.warnings import StoreWarnings
from bridge.clock import Clock
from bridge.inbound.bulk_desk import BulkDesk
from bridge.inbound.control import ControlDesk
from bridge.inbound.groups import GroupDesk
from bridge.inbound.intake import EmailIntake
from bridge.inbound.qr_desk import QrDesk
from bridge.inbound.schedule import SchedulePolicy
from bridge.inbound.sender_auth import sender_auth
from bridge.inbound.smtp import SmtpHandler
from bridge.inbound.smtp_users import UserTable
from bridge.inbound.templating import Templating
from bridge.mail.alerts import VelocityAlert
from bridge.mail.maildir import MaildirTransport
from bridge.mail.transport import MailTransport, NoticeSettings
from bridge.mail.webhook import WebhookTransport
from bridge.media.first_use import FetchedAtFirstUse
from bridge.media.outbound import MmsPolicy
from bridge.parsing.message import TextOptions
from bridge.parsing.slimming import KEPT
from bridge.providers.choice import ProviderChoice
from bridge.providers.registry import ProviderSet, build_carriers, kind_of
from bridge.routing.decide import InboundRules
from bridge.settings.root import Settings
from bridge.store.base import Store
from bridge.templates.library import TemplateLibrary
from bridge.templates.loader import load_library
from bridge.workers.bulk import BulkWorker, Pricing
from bridge.workers.inbound import MailIdentity
from bridge.workers.retry import RetryPolicy

if TYPE_CHECKING:
    from bridge.media.fetch import MediaFetcher
    from bridge.workers.report_mail import Reporting

__all__ = [
    "Wakes",
    "build_gate",
    "build_limiter",
    "build_providers",
    "build_transport",
    "bulk_desk",
    "bulk_worker",
    "email_intake",
    "group_desk",
    "inbound_rules",
    "mail_identity",
    "media_fetcher",
    "mms_policy",
    "notice_settings",
    "owner_name",
    "qr_desk",
    "reporting",
    "retry_policy",
    "slim_kept",
    "smtp_handler",
    "smtp_users",
    "template_library",
    "templating",
    "webhook_transport",
]


def owner_name() -> str:
    """This process, as leases and heartbeats name it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def notice_settings(settings: Settings) -> NoticeSettings:
    return NoticeSettings(from_address=settings.mail.from_address, hostname=settings.smtp.hostname)


def mail_identity(settings: Settings) -> MailIdentity:
    return MailIdentity(
        from_address=settings.mail.from_address,
        sms_domain=settings.smtp.domains[0],
        hostname=settings.smtp.hostname,
    )


def inbound_rules(settings: Settings) -> InboundRules:
    return InboundRules(
        inbound=settings.inbound,
        numbers=settings.numbers,
        fallback=settings.mail.from_address,
        opt_out_scope=settings.compliance.opt_out_scope,
        campaigns=settings.campaigns,
        flows=settings.flows,
    )


def build_limiter(settings: Settings, store: Store) -> Limiter | None:
    """In the process for a store only this bridge uses; in the store when it is shared."""
    limits = {n.number: (n.rate_per_second, n.burst) for n in settings.numbers if n.rate_per_second}
    for name, entry in settings.providers.items():
        if entry.rate_per_second:
            limits[name] = (entry.rate_per_second, entry.burst)
    if not limits:
        return None
    return RateLimiter(limits) if store.exclusive else SharedRateLimiter(limits, store)


def build_gate(settings: Settings, store: Store, limiter: Limiter | None = None) -> Gate:
    """The outbound chain, reading its facts from ``store`` (and ``limiter`` at the send stage)."""
    compliance = settings.compliance
    alert = VelocityAlert(
        to=compliance.alert_to,
        from_address=settings.mail.from_address,
        hostname=settings.smtp.hostname,
        limit=compliance.velocity_new_numbers,
        minutes=compliance.velocity_minutes,
    )
    warnings = StoreWarnings(
        store, from_address=settings.mail.from_address, hostname=settings.smtp.hostname
    )
    facts = store_facts(settings, store, limiter, alert=alert)
    return Gate(chain=build_chain(settings), facts=facts, warn=warnings)


def build_providers(settings: Settings) -> tuple[ProviderChoice, ProviderSet]:
    built = build_carriers(
        settings.providers,
        public_url=settings.bridge.public_url,
        data_dir=settings.bridge.data_dir,
    )
    return ProviderChoice(built.carriers, settings.provider_rules), built


def build_transport(settings: Settings) -> MailTransport:
    """The mail transport the settings ask for.

    The smarthost is given the bridge's host name for EHLO; without it aiosmtplib looks up
    this host's FQDN for every session, which can mean a DNS query per email.
    """
    mail = settings.mail
    # Each transport's module (aiosmtplib, aioimaplib) is imported only when it is the one.
    if mail.transport == "smtp":
        from bridge.mail.dkim_sign import DkimSigning
        from bridge.mail.smarthost import SmtpTransport

        smarthost = SmtpTransport(mail.smtp, local_hostname=settings.smtp.hostname)
        return smarthost if mail.dkim is None else DkimSigning(smarthost, mail.dkim)
    if mail.transport == "imap":
        from bridge.mail.imap_append import ImapAppendTransport

        return ImapAppendTransport(mail.imap)
    return MaildirTransport(settings.maildir_path)


def webhook_transport(settings: Settings) -> WebhookTransport | None:
    """Posts to routes' webhooks, signed with ``inbound.webhook_secret``; none without it."""
    secret = settings.inbound.webhook_secret
    if secret is None:
        return None
    import httpx  # only a bridge that posts to webhooks needs it

    return WebhookTransport(client=httpx.AsyncClient(), secret=secret.get_secret_value())


def retry_policy(settings: Settings, max_attempts: int) -> RetryPolicy:
    queue = settings.queue
    return RetryPolicy(
        max_attempts=max_attempts,
        base_seconds=queue.backoff_base_seconds,
        cap_seconds=queue.backoff_max_seconds,
    )


def mms_policy(settings: Settings, providers: ProviderChoice) -> MmsPolicy:
    """Which of an email's pictures go as MMS: on only with ``text.mms`` and a public URL."""
    text = settings.text
    enabled = text.mms and settings.bridge.public_url is not None
    why_not = (
        "pictures are not sent by this bridge (text.mms is off)"
        if not text.mms
        else "the bridge has no public URL from which a provider could fetch them"
    )
    return MmsPolicy(
        enabled=enabled,
        why_not=why_not,
        max_bytes=text.mms_max_bytes,
        types=text.mms_types,
        max_pictures=text.mms_max_pictures,
        expiry=timedelta(days=text.media_expiry_days),
        countries_for=providers.mms_for,
    )


def slim_kept(settings: Settings, providers: ProviderChoice) -> int:
    """Base64 kept of each run of an email the SMTP listener reads: twice the MMS limit
    when pictures can go (so a picture within it is whole, and a cut one is over it)."""
    can_send = any(carrier.mms_countries for carrier in providers.carriers)
    if settings.text.mms and settings.bridge.public_url and can_send:
        return max(KEPT, 2 * settings.text.mms_max_bytes)
    return KEPT


def media_fetcher(settings: Settings) -> FetchedAtFirstUse:
    """Fetches customers' pictures with each provider's own credentials, on its own client,
    made at the first text with pictures."""
    return FetchedAtFirstUse(partial(_media_fetcher, settings))


def _media_fetcher(settings: Settings) -> MediaFetcher:
    import httpx  # at the first picture, not at start (see bridge.media.first_use)

    from bridge.media.fetch import MediaFetcher, MediaLimits, ProviderMedia

    inbound = settings.inbound
    homes = {}
    for name, provider in settings.providers.items():
        media_auth = kind_of(provider).media_auth
        if media_auth is not None:
            base_url, credentials = media_auth(provider)
            homes[name] = ProviderMedia(base_url=base_url, credentials=credentials)
    return MediaFetcher(
        client=httpx.AsyncClient(),
        limits=MediaLimits(
            max_bytes=inbound.media_max_bytes,
            types=inbound.media_types,
            timeout_seconds=inbound.media_timeout_seconds,
            attempts=inbound.media_attempts,
        ),
        providers=homes,
    )


def schedule_policy(settings: Settings) -> SchedulePolicy:
    """How authors' send-at times are read: their zones, how far ahead, the control domain."""
    return SchedulePolicy.from_settings(settings)


def template_library(settings: Settings) -> TemplateLibrary:
    """The named templates (the settings' validation already refused any with a problem)."""
    library, _ = load_library(settings.templates.folder, settings.templates.entries)
    return library


def templating(settings: Settings, store: Store) -> Templating:
    """How an email's ``[template NAME]`` or ``/canned NAME`` becomes each recipient's text."""
    return Templating(library=template_library(settings), contacts=store)


def group_desk(settings: Settings, store: Store) -> GroupDesk:
    """Group addresses (``drivers@…``): who may text which, and how many at most."""
    return GroupDesk(contacts=store, senders=settings.senders, max_size=settings.groups.max_size)


def bulk_desk(
    settings: Settings, *, store: Store, clock: Clock, received: Callable[[], None]
) -> BulkDesk | None:
    """The bulk address at the SMTP listener; None when ``bulk.address`` is ""."""
    if not settings.bulk.address:
        return None
    return BulkDesk(
        store=store,
        settings=settings.bulk,
        domains=settings.smtp.domains,
        senders=settings.senders,
        zone_of=SchedulePolicy.from_settings(settings).zone_of,
        max_size=settings.smtp.max_message_size,
        clock=clock,
        received=received,
        options=TextOptions(
            end_marker=settings.text.end_marker,
            disclaimer_patterns=settings.text.disclaimer_patterns,
        ),
    )


def bulk_worker(
    settings: Settings,
    *,
    store: Store,
    gate: Gate,
    clock: Clock,
    owner: str,
    queued: Callable[[], None],
    mailed: Callable[[], None],
) -> BulkWorker:
    """Plans received bulk sends and writes the summaries of finished ones."""
    compliance = settings.compliance
    return BulkWorker(
        store=store,
        gate=gate,
        settings=settings.bulk,
        region=settings.smtp.default_region,
        pricing=Pricing(prices=compliance.prices, currency=compliance.currency),
        notices=notice_settings(settings),
        clock=clock,
        owner=owner,
        queued=queued,
        mailed=mailed,
        poll_seconds=settings.queue.poll_seconds,
    )


def reporting(settings: Settings) -> Reporting:
    from bridge.workers.report_mail import Reporting  # the reports: only when scheduled

    """What the scheduled report emails need besides their ``[[reports]]`` entries."""
    compliance = settings.compliance
    return Reporting(
        zone=compliance.timezone,
        prices=dict(compliance.prices),
        currency=compliance.currency,
        from_address=settings.mail.from_address,
        hostname=settings.smtp.hostname,
    )


def qr_desk(
    settings: Settings, store: Store, *, clock: Clock, queued: Callable[[], None]
) -> QrDesk:
    """The QR address (``qr@…``): a keyword answered with a QR code that texts it."""
    return QrDesk(
        local=settings.links.qr_address,
        domains=settings.smtp.domains,
        numbers=[number.number for number in settings.numbers],
        senders=settings.senders,
        default_region=settings.smtp.default_region,
        store=store,
        notices=notice_settings(settings),
        clock=clock,
        queued=queued,
    )


@dataclass(frozen=True, slots=True)
class Wakes:
    """Whom an edge wakes once its work is committed: the SMS worker, the mail worker, the
    bulk worker. In an SMTP listener process each writes a byte to the main process
    (``bridge.listeners.wakes``), where the workers run."""

    sms: Callable[[], None]
    mail: Callable[[], None]
    bulk: Callable[[], None]


def email_intake(
    settings: Settings,
    *,
    store: Store,
    gate: Gate,
    providers: ProviderChoice,
    clock: Clock,
    queued: Callable[[], None],
) -> EmailIntake:
    """Parse, decide and queue an email: for the SMTP listener and the mailbox watchers."""
    return EmailIntake(
        store=store,
        gate=gate,
        text=settings.text,
        notices=notice_settings(settings),
        clock=clock,
        queued=queued,
        dedupe_seconds=settings.smtp.dedupe_minutes * 60,
        mms=mms_policy(settings, providers),
        schedule=schedule_policy(settings),
        templates=templating(settings, store),
    )


def smtp_handler(
    settings: Settings,
    *,
    store: Store,
    gate: Gate,
    intake: EmailIntake,
    providers: ProviderChoice,
    clock: Clock,
    wakes: Wakes,
) -> SmtpHandler:
    """The SMTP listener's handler, the same in the main process and every listener process."""
    return SmtpHandler(
        settings=settings.smtp,
        intake=intake,
        gate=gate,
        clock=clock,
        kept=slim_kept(settings, providers),
        control=ControlDesk(
            store=store,
            clock=clock,
            queued=wakes.sms,
            opt_out_everywhere=settings.compliance.opt_out_scope == "organisation",
        ),
        groups=group_desk(settings, store),
        bulk=bulk_desk(settings, store=store, clock=clock, received=wakes.bulk),
        sender_auth=sender_auth(settings.smtp, store=store, clock=clock),
        qr=qr_desk(settings, store, clock=clock, queued=wakes.mail),
    )


def smtp_users(settings: Settings) -> UserTable | None:
    """The SMTP AUTH users, read from ``smtp.auth.users_file`` at start; None without one."""
    users_file = settings.smtp.auth.users_file
    return UserTable.load(users_file) if users_file else None
