"""The IMAP mailbox watcher: mail in ``sms@company.example`` becomes texts, then is filed.

For organisations whose mail is hosted (Microsoft 365, Google Workspace, any IMAP server) and
cannot route a domain to the bridge. Staff write to ``sms+447700900123@company.example`` (plus
addressing), or to the mailbox with the numbers in a configured header or the subject. A
group's tag after the plus (``sms+drivers@company.example``) texts its contacts, as
``drivers@`` does at the SMTP listener (``bridge.inbound.groups``).

Each message goes through the same intake as the SMTP listener (parsing, sender checks, loop
protection, limits), and only after its jobs are committed is it moved to ``SMS/Sent`` (or
``SMS/Failed``, with a notice to the author saying why when the author is one of
``smtp.allowed_senders``; anyone else's is filed unanswered). A crash before the move processes
the message again at the next start, and the jobs' idempotency keys (Message-ID and number)
make that harmless: a message is texted once, never skipped. The last processed UID and the
folder's UIDVALIDITY are stored so that a message that could not be moved is not retried
forever.

It waits with IDLE (re-issued at least every ``poll_seconds`` and never held past 25 minutes,
before servers drop it), or polls when the
server has no IDLE, and reconnects with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

import aioimaplib

from bridge.chain.request import Source
from bridge.clock import Clock
from bridge.errors import InvalidNumber, Refused
from bridge.inbound.groups import GroupDesk
from bridge.inbound.imap_session import authenticate_plain, starttls
from bridge.inbound.intake import EmailIntake, InboundEmail, parse_message
from bridge.mail.imap_append import quoted
from bridge.mail.notices import mailbox_notice
from bridge.mail.transport import NoticeSettings
from bridge.models import NewMailJob
from bridge.parsing.addresses import matches
from bridge.parsing.automatic import automatic_kind
from bridge.parsing.contacts import group_tag
from bridge.parsing.headers import header_text, message_id
from bridge.parsing.numbers import parse_number
from bridge.parsing.slimming import slim
from bridge.settings.mail import MailboxSettings
from bridge.store.base import Store
from bridge.workers.loop import Loop, backoff

__all__ = ["MailboxWatcher", "Recipients", "recipients_of"]

log = logging.getLogger(__name__)
IDLE_RENEW_SECONDS = 25 * 60
MAX_BACKOFF_SECONDS = 300.0
_UID = re.compile(rb"UID (\d+)")
_NUMBERISH = re.compile(r"[+(]?\d[\d\s().-]{5,}\d")


@dataclass(frozen=True, slots=True)
class Recipients:
    """What an email asks to text: numbers, group tags (with why each is not a number, for
    an unknown group), and the written recipients that are neither, in words."""

    numbers: list[str]
    groups: list[tuple[str, str]]
    problems: list[str]


def recipients_of(msg: EmailMessage, settings: MailboxSettings, *, region: str) -> Recipients:
    """The numbers an email asks to text, the groups (``sms+drivers@…``, as ``drivers@`` is
    one at the SMTP listener), and the written recipients that are neither."""
    written = _plus_addresses(msg, settings.address)
    if not written and settings.recipients_header:
        written = [
            w
            for value in msg.get_all(settings.recipients_header, [])
            for w in re.split(r"[,;]", str(value))
        ]
    if not written:
        written = _NUMBERISH.findall(header_text(msg, "Subject"))
    numbers: dict[str, None] = {}
    groups: dict[str, str] = {}
    problems = []
    for item in (w.strip() for w in written if w.strip()):
        try:
            numbers[parse_number(item, default_region=region)] = None
        except InvalidNumber as exc:
            tag = group_tag(item)
            if tag is None:
                problems.append(exc.reason)
            else:
                groups.setdefault(tag, exc.reason)
    return Recipients(list(numbers), list(groups.items()), problems)


def _plus_addresses(msg: EmailMessage, address: str) -> list[str]:
    local, _, domain = address.lower().partition("@")
    headers = [
        str(v)
        for name in ("To", "Cc", "Delivered-To", "X-Original-To")
        for v in msg.get_all(name, [])
    ]
    found = []
    for _, addr in getaddresses(headers):
        base, _, host = addr.lower().rpartition("@")
        if host == domain and base.startswith(local + "+"):
            found.append(addr.rpartition("@")[0].split("+", 1)[1])
    return found


class MailboxWatcher(Loop):
    def __init__(
        self,
        *,
        settings: MailboxSettings,
        intake: EmailIntake,
        store: Store,
        allowed_senders: tuple[str, ...],
        region: str,
        notices: NoticeSettings,
        clock: Clock,
        mail_queued: Callable[[], None],
        tls_context: ssl.SSLContext | None = None,
        groups: GroupDesk | None = None,
    ) -> None:
        super().__init__()
        self._settings = settings
        self._groups = groups  # group tags after the plus (None: no groups)
        self._intake = intake
        self._store = store
        self._allowed = allowed_senders
        self._region = region
        self._notices = notices
        self._clock = clock
        self._mail_queued = mail_queued
        self._tls = tls_context
        self._key = f"{settings.username}@{settings.host}:{settings.server_port}/{settings.folder}"
        self._delimiter = "/"

    async def run(self) -> None:
        failures = 0
        while not self.stopping:
            try:
                await self._session()
                failures = 0
            except Exception as exc:  # whatever failed: log it, back off, reconnect; keep watching
                failures += 1
                delay = backoff(failures, base=1.0, cap=MAX_BACKOFF_SECONDS)
                log.warning(
                    "mailbox %s: %s (%s); reconnecting in %.0f s",
                    self._key,
                    exc.__class__.__name__,
                    exc,
                    delay,
                )
                await self.sleep(delay)

    async def _session(self) -> None:
        client = await self._connect()
        try:
            await self._prepare(client)
            while not self.stopping:
                # Mail that arrived while we worked was announced in the replies to our own
                # commands, not in IDLE: look again until a pass finds nothing new.
                while await self.process_new(client):
                    pass
                await self._wait(client)
        finally:
            await self._close(client)

    async def _connect(self) -> aioimaplib.IMAP4:
        s = self._settings
        context = self._tls or ssl.create_default_context(
            cafile=str(s.ca_file) if s.ca_file else None
        )
        if s.security == "imaps":
            client: aioimaplib.IMAP4 = aioimaplib.IMAP4_SSL(
                host=s.host, port=s.server_port, ssl_context=context
            )
        else:
            client = aioimaplib.IMAP4(host=s.host, port=s.server_port)
        await client.wait_hello_from_server()
        if s.security == "starttls":
            await starttls(client, host=s.host, context=context)
        await self._login(client)
        return client

    async def _login(self, client: aioimaplib.IMAP4) -> None:
        s = self._settings
        if s.auth == "xoauth2":
            token = await _access_token(s)
            _ok(await client.xoauth2(s.username, token), "AUTHENTICATE XOAUTH2")
            return
        password = s.password.get_secret_value() if s.password else ""
        if s.auth == "plain":
            _ok(await authenticate_plain(client, s.username, password), "AUTHENTICATE PLAIN")
        else:
            _ok(await client.login(s.username, password), "LOGIN")

    async def _prepare(self, client: aioimaplib.IMAP4) -> None:
        listed = await client.list('""', '""')
        for line in listed.lines:
            found = re.search(rb'\) "(.)"', line if isinstance(line, bytes) else str(line).encode())
            if found:
                self._delimiter = found.group(1).decode()
        for folder in (self._settings.sent_folder, self._settings.failed_folder):
            await client.create(quoted(self._name(folder)))  # "already exists" is fine

    def _name(self, folder: str) -> str:
        return folder.replace("/", self._delimiter)

    async def process_new(self, client: aioimaplib.IMAP4) -> int:
        """Text and file every new message in the folder; returns how many."""
        selected = await client.select(quoted(self._settings.folder))
        _ok(selected, "SELECT")
        validity = _uidvalidity(selected.lines)
        cursor = await self._store.mailbox_cursor(self._key)
        last = cursor[1] if cursor and cursor[0] == validity else 0
        searched = await client.uid_search(f"UID {last + 1}:*")
        uids = [int(u) for line in searched.lines[:1] for u in _text(line).split() if u.isdigit()]
        done = 0
        for uid in sorted(u for u in uids if u > last):
            await self._one(client, uid)
            await self._store.set_mailbox_cursor(self._key, uidvalidity=validity, last_uid=uid)
            done += 1
        return done

    async def _one(self, client: aioimaplib.IMAP4, uid: int) -> None:
        fetched = await client.uid("fetch", str(uid), "(RFC822)")
        raw = next(
            (
                bytes(line)
                for line in fetched.lines
                if isinstance(line, bytearray | bytes)
                and len(line) > 0
                and not _UID.search(bytes(line)[:80])
            ),
            b"",
        )
        sent, problems, msg = await self._text(raw)
        if problems and msg is not None and self._answerable(msg):
            await self._tell(msg, problems, sent)
        target = self._settings.failed_folder if problems else self._settings.sent_folder
        await self._move(client, uid, target)
        log.info(
            "mailbox %s: message %d: %d text(s) queued, filed in %s", self._key, uid, sent, target
        )

    def _answerable(self, msg: EmailMessage) -> bool:
        """Whether a notice may go to the From address: written by a person, and one of
        smtp.allowed_senders. Anyone can write any From, so answering the rest would send
        the bridge's notices to whoever a spammer named (backscatter)."""
        return automatic_kind(msg) is None and matches(_author(msg), self._allowed)

    async def _text(self, raw: bytes) -> tuple[int, list[str], EmailMessage | None]:
        raw = slim(raw)  # once: intake finds it already slimmed
        try:
            msg = parse_message(raw)
        except Refused as exc:
            return 0, [exc.reason], None
        author = _author(msg)
        if not author or not matches(author, self._allowed):
            return 0, [f"{author or 'the sender'} may not send texts through this bridge."], msg
        found = recipients_of(msg, self._settings, region=self._region)
        numbers, problems = await self._members(found, author)
        if not numbers:
            return 0, problems or ["No phone number was found in the address or the subject."], msg
        email = InboundEmail(
            envelope_from=author, recipients=tuple(numbers), content=raw, source=Source.MAILBOX
        )
        try:
            accepted = await self._intake.accept(email)
        except Refused as exc:
            return 0, [exc.reason], msg
        return len(accepted.ids), problems + [reason for _, reason in accepted.refused], msg

    async def _members(self, found: Recipients, author: str) -> tuple[list[str], list[str]]:
        """The numbers with each group's members added, as the SMTP listener adds them at
        RCPT TO (``GroupDesk``: the author's sender rule, ``groups.max_size``), and the
        problems with each group refused, in its words."""
        numbers, problems = dict.fromkeys(found.numbers), list(found.problems)
        already = 0
        for tag, not_a_number in found.groups:
            if self._groups is None:
                problems.append(not_a_number)
                continue
            try:
                members = await self._groups.members(
                    tag, author=author, already=already, not_a_number=not_a_number
                )
            except Refused as exc:
                problems.append(exc.reason)
                continue
            already += len(members)
            numbers.update(dict.fromkeys(members))
        return list(numbers), problems

    async def _tell(self, msg: EmailMessage, problems: list[str], sent: int) -> None:
        author = _author(msg)
        content = mailbox_notice(
            author=author,
            subject=header_text(msg, "Subject"),
            message_id=message_id(msg) or "",
            problems=problems,
            sent=sent,
            now=self._clock(),
            from_address=self._notices.from_address,
            hostname=self._notices.hostname,
        )
        await self._store.enqueue_mail(
            [NewMailJob(envelope_from="", recipients=(author,), content=content)], now=self._clock()
        )
        self._mail_queued()

    async def _move(self, client: aioimaplib.IMAP4, uid: int, folder: str) -> None:
        name = quoted(self._name(folder))
        if client.has_capability("MOVE"):
            _ok(await client.uid("move", str(uid), name), "MOVE")
            return
        _ok(await client.uid("copy", str(uid), name), "COPY")
        _ok(await client.uid("store", str(uid), "+FLAGS.SILENT (\\Deleted)"), "STORE")
        await client.expunge()

    async def _wait(self, client: aioimaplib.IMAP4) -> None:
        if not (self._settings.idle and client.has_capability("IDLE")):
            await self.sleep(self._settings.poll_seconds)
            return
        idle = await client.idle_start(timeout=IDLE_RENEW_SECONDS)
        deadline = asyncio.get_running_loop().time() + self._settings.poll_seconds
        try:
            # IDLE, but look again at least every poll_seconds: a safety net for a missed push.
            while not self.stopping and asyncio.get_running_loop().time() < deadline:
                try:
                    pushed = await client.wait_server_push(timeout=1.0)
                except TimeoutError:
                    if idle.done():
                        return  # renewed by starting again
                    continue
                if any(b"EXISTS" in _bytes(line) for line in _lines(pushed)):
                    return
        finally:
            if client.has_pending_idle():
                client.idle_done()
            await asyncio.wait_for(idle, timeout=10)

    async def _close(self, client: aioimaplib.IMAP4) -> None:
        with contextlib.suppress(
            OSError, TimeoutError, aioimaplib.Abort, aioimaplib.CommandTimeout
        ):
            await asyncio.wait_for(client.logout(), timeout=5)


def _author(msg: EmailMessage) -> str:
    """The address in the From header, lower-cased ("" when there is none)."""
    return parseaddr(header_text(msg, "From"))[1].lower()


async def _access_token(settings: MailboxSettings) -> str:
    """A current OAuth2 access token: from the file (kept fresh by another tool) or a command."""
    if settings.token_file is not None:
        return (await asyncio.to_thread(settings.token_file.read_text, encoding="utf-8")).strip()
    proc = await asyncio.create_subprocess_exec(
        *settings.token_command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=30)
    if proc.returncode != 0 or not out.strip():
        raise RuntimeError(f"the token command exited with {proc.returncode} and no token")
    return out.decode().strip()


def _ok(response: aioimaplib.Response, command: str) -> None:
    if response.result != "OK":
        raise RuntimeError(
            f"{command} failed: {_text(response.lines[-1]) if response.lines else ''}"
        )


def _uidvalidity(lines: list[bytes]) -> int:
    for line in lines:
        found = re.search(r"UIDVALIDITY (\d+)", _text(line))
        if found:
            return int(found.group(1))
    return 0


def _text(line: object) -> str:
    return (
        bytes(line).decode(errors="replace") if isinstance(line, bytes | bytearray) else str(line)
    )


def _bytes(line: object) -> bytes:
    return bytes(line) if isinstance(line, bytes | bytearray) else str(line).encode()


def _lines(pushed: object) -> list[object]:
    return list(pushed) if isinstance(pushed, list) else [pushed]
