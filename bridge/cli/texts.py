"""Commands about texts: ``send``, ``outbound explain`` and ``simulate-inbound``.

``send`` passes the same outbound chain as an email (``bridge.chain``): a customer who replied
STOP is refused with the sentence SMTP gives, an empty text is refused, a sender the bridge
does not own is refused, an author's segment limit holds. What it accepts goes into the same
queue, and is sent, retried and reported like a text from a mail client. ``send --template
NAME --field a=b`` fills a named template as an email's ``[template NAME]`` does.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import socket
import sys
from datetime import datetime
from email.message import EmailMessage

from bridge import components
from bridge.chain.chain import build_chain, store_facts
from bridge.chain.explain import explain_outbound
from bridge.chain.gate import Gate
from bridge.chain.gate import job as sms_job
from bridge.chain.request import OutboundRequest, Source
from bridge.chain.warnings import StoreWarnings
from bridge.cli.common import EXIT_FAILED, EXIT_USAGE, opened_store, read_settings
from bridge.cli.where import running_bridge
from bridge.clock import system_clock
from bridge.errors import InvalidNumber, Refused
from bridge.inbound.schedule import SchedulePolicy
from bridge.inbound.templating import TemplateUse
from bridge.models import InboundSms
from bridge.parsing.numbers import parse_number, parse_owned
from bridge.routing.explain import parse_at
from bridge.settings.root import Settings
from bridge.store.base import Store

__all__ = [
    "cmd_outbound_explain",
    "cmd_send",
    "cmd_simulate_inbound",
    "explain_text",
    "queue_text",
    "receive_simulated",
    "template_use",
]


async def queue_text(
    settings: Settings,
    *,
    to: str,
    text: str | None,
    sender: str | None,
    notify: str | None,
    template: TemplateUse | str | None = None,
) -> str:
    """Pass the chain and store one text, given or filled from ``template`` (a name, with no
    fields, or a ``TemplateUse``) as an email's ``[template NAME]`` is; return its job id.
    Raises ``InvalidNumber`` or ``Refused`` with the sentence the author would read."""
    number = parse_number(to, default_region=settings.smtp.default_region)
    async with opened_store(settings) as store:
        if template is not None:
            text = await _filled(settings, store, template, number)
        request = OutboundRequest(
            source=Source.CLI,
            author=(notify or "").lower(),
            to_number=number,
            text=text,
            sender=sender,
        )
        warnings = StoreWarnings(
            store, from_address=settings.mail.from_address, hostname=settings.smtp.hostname
        )
        gate = Gate(chain=build_chain(settings), facts=store_facts(settings, store), warn=warnings)
        decision = await gate.decide(request, at=system_clock())
        if decision.refusal is not None:
            refusal = decision.refusal
            raise Refused(refusal.code, refusal.status, refusal.reason)
        message_id = f"<cli-{secrets.token_hex(12)}@{socket.gethostname()}>"
        new = sms_job(decision, idempotency_key=f"{message_id}|{number}", message_id=message_id)
        [queued] = await store.enqueue_sms([new], now=system_clock())
    return queued.id


async def _filled(
    settings: Settings, store: Store, template: TemplateUse | str, number: str
) -> str:
    """The template filled for ``number`` by the intake's own ``Templating``: the fields
    given, then the recipient's contact; ``Refused`` naming a field left without a value."""
    templating = components.templating(settings, store)
    if isinstance(template, str):
        template = TemplateUse(templating.library.named(template), {})
    texts = await templating.texts(template, [number])
    return texts[number]


def template_use(settings: Settings, name: str, fields: list[str]) -> TemplateUse:
    """``--template NAME --field a=b``: the template and its fields; ``Refused`` for an
    unknown template or a field not written as NAME=VALUE."""
    given: dict[str, str] = {}
    for item in fields:
        field, equals, value = item.partition("=")
        if not equals or not field.strip():
            raise Refused(550, "5.6.0", f"--field {item!r}: write it as NAME=VALUE")
        given[field.strip().lower()] = value.strip()
    return TemplateUse(components.template_library(settings).named(name), given)


async def explain_text(
    settings: Settings,
    *,
    author: str,
    to: str,
    text: str,
    sender: str | None,
    at: datetime,
    subject: str = "",
    send_at: str | None = None,
) -> tuple[str, bool]:
    """The chain's answer for a text, rule by rule, and whether it would be accepted; a
    send-at time (``[tomorrow 9am]`` in ``subject``, or ``send_at`` as a ``Send-At:`` header
    would give it) is read in the author's zone, as of ``at``."""
    number = parse_number(to, default_region=settings.smtp.default_region)
    headers = EmailMessage()
    if send_at:
        headers["Send-At"] = send_at
    policy = SchedulePolicy.from_settings(settings)
    try:
        when = policy.read(headers, subject, author.lower(), at)
    except Refused as exc:
        return f"Refused: {exc.smtp_reply()}", False
    if when is not None:
        subject = when.subject
    async with opened_store(settings) as store:
        words, decision = await explain_outbound(
            build_chain(settings),
            facts=store_facts(settings, store),  # no alert: explaining sends nothing
            author=author,
            to=number,
            text=text,
            sender=sender,
            at=at,
            source=Source.CLI if sender else Source.EMAIL,
            subject=subject,
            send_at=when.at if when is not None else None,
            send_zone=when.zone if when is not None else "",
        )
    return words, decision.accepted


async def receive_simulated(settings: Settings, *, sender: str, to: str, text: str) -> str:
    """Store a text as if the sandbox provider had received it; return its inbound id."""
    region = settings.smtp.default_region
    sms = InboundSms(
        provider="sandbox",
        provider_message_id="SBI" + secrets.token_hex(16),
        from_number=parse_number(sender, default_region=region),
        to_number=parse_owned(to, default_region=region),
        text=text,
        received_at=system_clock(),
    )
    async with opened_store(settings) as store:
        inbound_id, _ = await store.receive_sms(sms, now=system_clock())
    return inbound_id


def cmd_send(args: argparse.Namespace) -> int:
    settings = read_settings(args.config)
    if (args.text is None) == (args.template is None):
        print("smsbridge: give the text, or --template NAME, but not both", file=sys.stderr)
        return EXIT_USAGE
    try:
        use = template_use(settings, args.template, args.field) if args.template else None
        job_id = asyncio.run(
            queue_text(
                settings,
                to=args.to,
                text=args.text,
                sender=args.sender,
                notify=args.notify,
                template=use,
            )
        )
    except (InvalidNumber, Refused) as exc:
        print(f"smsbridge: not queued: {exc.reason}", file=sys.stderr)
        return EXIT_FAILED
    print(f"Queued as {job_id}; {_when_sent(settings, args)}")
    return 0


def _when_sent(settings: Settings, args: argparse.Namespace) -> str:
    """Whether a bridge will send it now: one holds the lock beside this store, or none."""
    lock = settings.pid_lock_path
    running = running_bridge(lock)
    if running is not None:
        wait = settings.queue.poll_seconds
        return f"the bridge running here (pid {running.pid}) sends it within {wait:g} s."
    if settings.store.backend == "postgres":
        return (
            f"no bridge is running here (none holds {lock}); a bridge elsewhere on the shared"
            " store sends it, or the next one to start."
        )
    return (
        f"no bridge is running on this store (none holds {lock}), so it is sent when one"
        f" starts: smsbridge run --config {args.config}"
    )


def cmd_simulate_inbound(args: argparse.Namespace) -> int:
    settings = read_settings(args.config)
    try:
        inbound_id = asyncio.run(
            receive_simulated(settings, sender=args.sender, to=args.to, text=args.text)
        )
    except InvalidNumber as exc:
        print(f"smsbridge: not received: {exc.reason}", file=sys.stderr)
        return EXIT_FAILED
    print(
        f"Received as {inbound_id}; a running bridge routes it within"
        f" {settings.inbound.poll_seconds:g} s."
    )
    return 0


def cmd_outbound_explain(args: argparse.Namespace) -> int:
    settings = read_settings(args.config)
    try:
        at = parse_at(args.at, "UTC")
        words, accepted = asyncio.run(
            explain_text(
                settings,
                author=args.author,
                to=args.to,
                text=args.text,
                sender=args.sender,
                at=at,
                subject=args.subject,
                send_at=args.send_at,
            )
        )
    except (InvalidNumber, ValueError) as exc:
        print(f"smsbridge: {getattr(exc, 'reason', exc)}", file=sys.stderr)
        return EXIT_USAGE
    print(words)
    return 0 if accepted else EXIT_FAILED
