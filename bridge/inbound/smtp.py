"""The SMTP edge: aiosmtpd hooks that validate at the earliest command and answer after commit.

MAIL FROM decides whether the client may send at all, RCPT TO whether each address is a phone
number in one of our domains (never relaying anywhere else), and DATA hands the message to the
intake and answers 250 only once every job is durably stored. Any unexpected error becomes
``451 4.3.0`` without exception text: the client keeps the message and tries again.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from bridge.chain.gate import Gate
from bridge.chain.request import OutboundRequest, Source
from bridge.clock import Clock
from bridge.errors import InvalidNumber, Refused
from bridge.inbound.bulk_desk import BulkDesk
from bridge.inbound.control import ControlDesk
from bridge.inbound.groups import GroupDesk
from bridge.inbound.intake import Accepted, EmailIntake, InboundEmail
from bridge.inbound.qr_desk import QrDesk
from bridge.inbound.sender_auth import SenderAuth
from bridge.inbound.smtp_limits import ConnectionLimits, raise_file_limit
from bridge.inbound.smtp_protocol import BridgeEnvelope, BridgeSMTP
from bridge.inbound.smtp_users import UserTable
from bridge.parsing.addresses import domain_of, malformed, matches
from bridge.parsing.contacts import group_tag
from bridge.parsing.networks import Networks
from bridge.parsing.recipients import control_token, parse_recipient
from bridge.parsing.slimming import KEPT
from bridge.parsing.thread import Thread
from bridge.settings.smtp import SmtpSettings

__all__ = ["SmtpHandler", "start_smtp_server"]

log = logging.getLogger(__name__)

TEMPORARY_ERROR = "451 4.3.0 A temporary problem on our side; please try again later."
_ALONE = (
    "452 4.5.3 A reply to the bridge's confirmation (batch-…@) goes alone: send it to that"
    " address only; the other recipients will be tried again in an email of their own."
)
_QR_ALONE = (
    "452 4.5.3 An email to the QR address goes alone: send it to that address only; the"
    " other recipients will be tried again in an email of their own."
)
_MAX_IDS_SHOWN = 8


class SmtpHandler:
    """The aiosmtpd handler; one instance serves every connection."""

    def __init__(
        self,
        *,
        settings: SmtpSettings,
        intake: EmailIntake,
        gate: Gate,
        clock: Clock,
        kept: int = KEPT,
        control: ControlDesk | None = None,
        groups: GroupDesk | None = None,
        bulk: BulkDesk | None = None,
        sender_auth: SenderAuth | None = None,
        qr: QrDesk | None = None,
    ) -> None:
        self._sender_auth = sender_auth  # [smtp.sender_auth] (None: not checked)
        self._qr = qr  # the QR address (qr@…; None: there is none)
        self._groups = groups  # group addresses (drivers@…; None: there are none)
        self._bulk = bulk  # the bulk address (None: bulk sends are off)
        self.kept = kept  # base64 kept per run of an email (``Slimmer``)
        self._control = control  # batches' control addresses (None: there are none)
        self._settings = settings
        self._intake = intake
        self._gate = gate
        self._clock = clock
        self._trusted = Networks(settings.trusted_networks)

    def __dir__(self) -> list[str]:
        """The hooks: all aiosmtpd's constructor looks for in ``dir(handler)``, for every
        connection (listing everything, dunders included, was a measurable part of it)."""
        return _HOOKS

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        try:
            refusal = self._sender_refusal(session, address)
        except Exception:
            log.exception("MAIL FROM check failed")
            return TEMPORARY_ERROR
        if refusal:
            log.info(
                "refused sender from %s: %s", session.peer[0] if session.peer else "?", refusal
            )
            return refusal
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 Sender OK"

    def _sender_refusal(self, session: Session, address: str) -> str | None:
        if address in ("", "<>"):
            return "550 5.7.1 Bounces and delivery reports are never sent as texts."
        if malformed(address):
            return (
                "553 5.1.7 The sender address has a character no address may have (a control"
                " character, or bytes that are not UTF-8)."
            )
        if session.authenticated:
            return None
        peer = session.peer[0] if isinstance(session.peer, tuple) else ""
        if matches(address, self._settings.allowed_senders) and peer in self._trusted:
            return None
        return (
            f"550 5.7.1 {address} may not send texts through this bridge. Ask your administrator"
            " to add your address or domain to smtp.allowed_senders, or log in with SMTP AUTH."
        )

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        try:
            if self._is_qr(address):
                reply = _QR_ALONE if envelope.rcpt_tos else "250 2.1.5 QR code address OK"
                if reply.startswith("250"):
                    envelope.rcpt_tos.append(address)
                return reply
            token = self._control_token(address)
            bulk = self._bulk.rcpt_reply(envelope, address) if self._bulk else None
            # the bulk address before groups: "bulk" would read as a group's name
            group = self._group_of(address) if token is None and bulk is None else None
            if token is not None:
                reply = await self._control_reply(session, envelope, token)
            elif bulk is not None:
                reply = bulk
            elif group is not None:
                reply = self._room(envelope) or await self._group_reply(session, envelope, group)
            else:
                reply = self._recipient_reply(envelope, address)
            if reply.startswith("250") and token is None and bulk is None and group is None:
                reply = await self._chain_reply(session, envelope, address) or reply
        except Exception:
            log.exception("RCPT TO check failed")
            return TEMPORARY_ERROR
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(options)
        return reply

    def _recipient_reply(self, envelope: Envelope, address: str) -> str:
        local, _, _ = address.rpartition("@")
        domains = ", ".join(self._settings.domains)
        if domain_of(address) not in self._settings.domains or not local:
            return (
                f"550 5.7.1 Relaying denied: this server only takes mail for phone numbers"
                f" at {domains}."
            )
        try:
            parse_recipient(local, default_region=self._settings.default_region)
        except InvalidNumber as exc:
            return f"550 5.1.3 {exc.reason}"
        return self._room(envelope) or "250 2.1.5 Recipient OK"

    def _room(self, envelope: Envelope) -> str | None:
        """Why the email takes no more recipients, or None."""
        if any(self._control_token(a) for a in envelope.rcpt_tos):
            return _ALONE
        if any(self._is_qr(a) for a in envelope.rcpt_tos):
            return _QR_ALONE
        if len(envelope.rcpt_tos) >= self._settings.max_recipients:
            return (
                f"452 4.5.3 Too many recipients: at most {self._settings.max_recipients}"
                " per email; the rest will be tried again."
            )
        return None

    def _group_of(self, address: str) -> tuple[str, str, str] | None:
        """A group address at one of our domains (``bridge.inbound.groups``): the address,
        its tag, and why it is not a phone number; None for any other address."""
        local, _, _ = address.rpartition("@")
        tag = group_tag(local)
        if self._groups is None or tag is None or domain_of(address) not in self._settings.domains:
            return None
        try:
            parse_recipient(local, default_region=self._settings.default_region)
        except InvalidNumber as exc:
            return address, tag, exc.reason
        return None

    async def _group_reply(
        self, session: Session, envelope: Envelope, group: tuple[str, str, str]
    ) -> str:
        """The group's members, kept for DATA; the intake passes each through the chain."""
        assert self._groups is not None and isinstance(envelope, BridgeEnvelope)
        address, tag, not_a_number = group
        already = len({n for members in envelope.groups.values() for n in members})
        author = _author(session, envelope)
        try:
            members = await self._groups.members(
                tag, author=author, already=already, not_a_number=not_a_number
            )
        except Refused as exc:
            return exc.smtp_reply()
        envelope.groups[address] = members
        return f"250 2.1.5 Group {tag}: {_contacts(len(members))}"

    def _control_token(self, address: str) -> str | None:
        """The token of a batch's control address at one of our domains, else None."""
        local, _, _ = address.rpartition("@")
        if self._control is None or domain_of(address) not in self._settings.domains:
            return None
        return control_token(local)

    async def _control_reply(self, session: Session, envelope: Envelope, token: str) -> str:
        """A control address: alone in its email, naming a live batch of this author's."""
        if envelope.rcpt_tos:
            return _ALONE
        assert self._control is not None
        refusal = await self._control.refusal(token, _author(session, envelope))
        return refusal or "250 2.1.5 Recipient OK"

    async def _chain_reply(self, session: Session, envelope: Envelope, address: str) -> str | None:
        """The outbound chain's envelope stage for this recipient: its refusal, or None (the
        decision is kept for DATA, which then runs only the content stage)."""
        recipient = parse_recipient(
            address.rpartition("@")[0], default_region=self._settings.default_region
        )
        number = recipient.number
        request = OutboundRequest(
            source=Source.EMAIL,
            author=_author(session, envelope),
            to_number=number,
            thread=Thread(via=recipient.via),
            domain=domain_of(address),
        )
        decision = await self._gate.envelope(request, at=self._clock())
        if decision.refusal is not None:
            return decision.refusal.smtp_reply()
        if isinstance(envelope, BridgeEnvelope):
            envelope.decisions[number] = decision
        return None

    def _is_qr(self, address: str) -> bool:
        return self._qr is not None and self._qr.is_qr(address)

    async def _qr_code(self, session: Session, envelope: Envelope) -> str:
        """An email to the QR address: answered with the QR code (``bridge.inbound.qr_desk``)."""
        assert self._qr is not None
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        try:
            return await self._qr.handle(_author(session, envelope), content)
        except Refused as exc:
            return exc.smtp_reply()
        except Exception:
            log.exception("answering the QR address failed; answered 451")
            return TEMPORARY_ERROR

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        try:  # every email, whatever it asks for (a SEND starts a whole bulk send)
            refusal = await self._authenticate(session, envelope)
        except Exception:
            log.exception("checking the sender failed; answered 451")
            return TEMPORARY_ERROR
        if refusal is not None:
            log.info("refused email from %s: %s", envelope.mail_from, refusal)
            return refusal
        if envelope.rcpt_tos and self._is_qr(envelope.rcpt_tos[0]):
            return await self._qr_code(session, envelope)
        token = self._control_token(envelope.rcpt_tos[0]) if envelope.rcpt_tos else None
        if token is not None:
            return await self._command(session, envelope, token)
        if self._bulk is not None and self._bulk.is_bulk(envelope.rcpt_tos[0]):
            return await self._bulk_send(session, envelope)
        try:
            accepted = await self._intake.accept(self._inbound(session, envelope))
        except Refused as exc:
            log.info("refused email from %s: %s", envelope.mail_from, exc.reason)
            return exc.smtp_reply()
        except Exception:
            log.exception("accepting an email failed; answered 451")
            return TEMPORARY_ERROR
        return _queued_reply(accepted)

    async def _authenticate(self, session: Session, envelope: Envelope) -> str | None:
        """SPF, DKIM and DMARC for an email sent without a login (``sender_auth.py``): the
        refusal, or None with the Authentication-Results header put on top of the email."""
        if self._sender_auth is None or session.authenticated:
            return None
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        checked = await self._sender_auth.check(
            content,
            ip=session.peer[0] if isinstance(session.peer, tuple) else "",
            helo=session.host_name or "",
            mail_from=envelope.mail_from or "",
            author=_author(session, envelope),
        )
        log.info("%s", checked.header)
        envelope.original_content = checked.header.encode() + b"\r\n" + content
        return checked.refusal

    async def _command(self, session: Session, envelope: Envelope, token: str) -> str:
        """An email to a control address: its author's command (CANCEL), carried out."""
        assert self._control is not None
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        try:
            return await self._control.handle(token, _author(session, envelope), content)
        except Refused as exc:
            log.info("refused command from %s: %s", envelope.mail_from, exc.reason)
            return exc.smtp_reply()
        except Exception:
            log.exception("a command to a control address failed; answered 451")
            return TEMPORARY_ERROR

    async def _bulk_send(self, session: Session, envelope: Envelope) -> str:
        """An email to the bulk address: kept whole for the bulk worker."""
        assert self._bulk is not None
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        try:
            return await self._bulk.receive(
                _author(session, envelope), envelope.rcpt_tos[0], content
            )
        except Refused as exc:
            log.info("refused bulk send from %s: %s", envelope.mail_from, exc.reason)
            return exc.smtp_reply()
        except Exception:
            log.exception("keeping a bulk send failed; answered 451")
            return TEMPORARY_ERROR

    def _inbound(self, session: Session, envelope: Envelope) -> InboundEmail:
        numbers: dict[str, str | None] = {}  # each number, and the reply number its address named
        domains: dict[str, str] = {}
        groups = envelope.groups if isinstance(envelope, BridgeEnvelope) else {}
        for address in envelope.rcpt_tos:
            for member in groups.get(address, ()):
                numbers.setdefault(member, None)
                domains.setdefault(member, domain_of(address))
            if address in groups:
                continue
            local = address.rpartition("@")[0]
            recipient = parse_recipient(local, default_region=self._settings.default_region)
            numbers[recipient.number] = recipient.via
            domains[recipient.number] = domain_of(address)
        login = session.auth_data if session.authenticated else None
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        decisions = envelope.decisions if isinstance(envelope, BridgeEnvelope) else {}
        return InboundEmail(
            envelope_from=envelope.mail_from or "",
            recipients=tuple(numbers),
            via={number: via for number, via in numbers.items() if via},
            domains=domains,
            content=content,
            authenticated_as=login if isinstance(login, str) else None,
            envelope=decisions,
            kept=self.kept,
        )


_HOOKS = [name for name in vars(SmtpHandler) if name.startswith(("handle_", "auth_"))]


def _author(session: Session, envelope: Envelope) -> str:
    """Who wrote it: the login when there is one, else the envelope sender."""
    login = session.auth_data if session.authenticated else None
    return (login if isinstance(login, str) else envelope.mail_from or "").lower()


def _contacts(count: int) -> str:
    return f"{count} contact" if count == 1 else f"{count} contacts"


def _queued_reply(accepted: Accepted) -> str:
    ids = accepted.ids
    if not ids and accepted.changed:
        return f"250 2.0.0 No text sent; {'; '.join(accepted.changed)}"
    done = f"; {'; '.join(accepted.changed)}" if accepted.changed else ""
    shown = " ".join(ids[:_MAX_IDS_SHOWN])
    more = f" and {len(ids) - _MAX_IDS_SHOWN} more" if len(ids) > _MAX_IDS_SHOWN else ""
    noun = "text" if len(ids) == 1 else "texts"
    if accepted.all_merged:
        return f"250 2.0.0 Already queued: this email was received before, as {shown}{more}"
    refused = f"; {len(accepted.refused)} refused (a notice follows)" if accepted.refused else ""
    waits = f", {accepted.scheduled}" if accepted.scheduled else ""
    waits += f", deferred {'; '.join(accepted.deferred)}" if accepted.deferred else ""
    queued = f"Queued {len(ids)} {noun} as {shown}{more}{waits}"
    return f"250 2.0.0 {queued}{refused}{_left(accepted)}{done}"


def _left(accepted: Accepted) -> str:
    """What the reply says of attachments left behind: how many; the notice names them."""
    count = len(accepted.attachments)
    if not count:
        return ""
    noun = "attachment" if count == 1 else "attachments"
    pronoun = "it" if count == 1 else "them"
    return f"; {count} {noun} not sent (a notice names {pronoun})"


class _Authenticator:
    """aiosmtpd's authenticator hook over our ``UserTable``."""

    def __init__(self, users: UserTable) -> None:
        self._users = users

    def __call__(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = data.login.decode("utf-8", "replace")
        if self._users.check(login, data.password):
            return AuthResult(success=True, auth_data=login.lower())
        log.info("SMTP AUTH failed for a login")
        return AuthResult(success=False, handled=False)


def _tls_context(settings: SmtpSettings) -> ssl.SSLContext | None:
    if settings.tls_cert is None or settings.tls_key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(settings.tls_cert, settings.tls_key)
    return context


async def start_smtp_server(
    *,
    settings: SmtpSettings,
    handler: SmtpHandler,
    users: UserTable | None,
    reuse_port: bool = False,
    sock: socket.socket | None = None,
) -> asyncio.Server:
    """Listen in the running event loop (not aiosmtpd's threaded Controller): on
    ``settings.host`` and ``.port``, with ``SO_REUSEPORT`` when other processes will listen
    there too, or on ``sock``, a socket bound for this process (``bridge.listeners``)."""
    tls = _tls_context(settings)
    authenticator = _Authenticator(users) if users is not None else None
    excluded = [] if authenticator is not None else ["LOGIN", "PLAIN"]
    loop = asyncio.get_running_loop()
    limits = ConnectionLimits(
        total=settings.max_connections,
        per_client=settings.max_connections_per_client,
        trusted_reserve=settings.trusted_reserve,
        trusted=Networks(settings.trusted_networks),
    )
    raise_file_limit(settings.max_connections)

    def factory() -> SMTP:
        return BridgeSMTP(
            handler,
            limits=limits,
            timeout=settings.command_timeout_seconds,
            data_timeout=settings.data_timeout_seconds,
            kept=handler.kept,
            data_size_limit=settings.max_message_size,
            enable_SMTPUTF8=True,
            hostname=settings.hostname,
            ident="smsbridge ESMTP",
            tls_context=tls,
            authenticator=authenticator,
            auth_required=settings.auth.required,
            auth_require_tls=True,
            auth_exclude_mechanism=excluded,
            loop=loop,
        )

    if sock is not None:
        return await loop.create_server(factory, sock=sock)
    return await loop.create_server(
        factory, host=settings.host, port=settings.port, reuse_port=reuse_port or None
    )
