"""Read an SMTP ``DATA`` section in large pieces, keeping only what intake will use.

aiosmtpd reads ``DATA`` one line at a time, keeps every line as a ``bytearray`` and joins them
at the end: a 25 MB email costs about four times its size, and a 2 KB one some 40 reads.
Here the stream is read up to each ``.<CRLF>`` (where the end of data may be) or in pieces of
the reader's buffer, split into lines, un-dot-stuffed (RFC 5321 section 4.5.2) and fed to a
``Slimmer``, which drops long base64 runs as they arrive. What the email costs is then about
what is kept (its headers, text and the first 64 KB of each attachment), whatever was sent.

Line ends are Postfix's ``smtpd_forbid_bare_newline = normalize``: a script that hands
``msg.as_bytes()`` to smtplib sends lines ended by LF alone, and such an LF ends a line as CRLF
does. Only ``<CRLF>.<CRLF>`` ends the data: a relay in front of the bridge ends it there and
nowhere else, so ending it at ``<LF>.<LF>`` (or any other mix) would read the rest of that
email as commands from the relay's trusted address ("SMTP smuggling"). The lines are split on
CRLF, which finds the end exactly as before; only a piece that holds a bare LF is split again.

The limits are aiosmtpd's: over ``size_limit`` bytes the email is answered ``552``, and a line
over ``line_limit`` bytes ``500``, each with a sentence the author can act on; either way the
rest is read and discarded, so the session stays in step with the client.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import re
from dataclasses import dataclass
from typing import Any, AnyStr, ClassVar

from aiosmtpd.smtp import SMTP, Envelope

from bridge.chain.verdicts import Decision
from bridge.inbound.smtp_limits import ConnectionLimits
from bridge.parsing.slimming import KEPT, Slimmer

__all__ = ["BridgeEnvelope", "BridgeSMTP", "DataOutcome", "receive_data"]

log = logging.getLogger(__name__)

_MAYBE_END = b".\r\n"  # every end of data ("<CRLF>.<CRLF>") ends with this
_THEIR_SIZE_REFUSAL = "552 Error: message size exceeds fixed maximum message size"
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_ADDRESS = re.compile(
    rf"\s*<({_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>(?:\s+(?=[^\s(])|\s*$)"
)


class DataOutcome(enum.Enum):
    """How a ``DATA`` section ended."""

    RECEIVED = "received"
    TOO_BIG = "too big"
    LINE_TOO_LONG = "line too long"

    def refusal(self, size_limit: int | None, *, whole: bool = False) -> str:
        """The reply for an outcome other than RECEIVED: what the author's bounce will say.
        ``whole``: the email was to be kept whole (a bulk send's file), not as a text."""
        if self is DataOutcome.TOO_BIG:
            size = size_limit or 0
            limit = f"{size / 1_048_576:.3g} MB" if size >= 1_048_576 else f"{size // 1024} KB"
            advice = (
                " Split the file and send each part in an email of its own."
                if whole
                else " A text carries no attachments: send it without them."
            )
            return f"552 5.3.4 The email is larger than the {limit} this bridge accepts.{advice}"
        return (
            "500 5.5.2 A line of the email is longer than SMTP allows (1,000 characters,"
            " RFC 5321 section 4.5.3.1.6); the mail program should have encoded it."
        )


@dataclass(slots=True)
class _Lines:
    """Splits pieces of the stream into lines; knows when the lone ``.`` line arrives.

    ``partial`` is the line still arriving. ``after_crlf`` says whether it began right after a
    CRLF (or at the start of the data): only then may it be the end of data.
    """

    size_limit: int | None
    line_limit: int
    slimmer: Slimmer
    outcome: DataOutcome = DataOutcome.RECEIVED
    partial: bytes = b""
    partial_too_long: bool = False
    after_crlf: bool = True
    size: int = 0

    def feed(self, piece: bytes) -> bool:
        """Take the next piece; True once the end of data has been read."""
        self.size += len(piece)
        if self.size_limit and self.size > self.size_limit + len(_MAYBE_END):
            self.outcome = DataOutcome.TOO_BIG
        data = self.partial + piece
        lines = data.split(b"\r\n")
        self.partial = lines.pop()
        if data.count(b"\n") != len(lines) or not self.after_crlf:  # an LF without its CR
            return self._bare(lines)
        for line in lines:
            if line == b"." and not self.partial_too_long:
                return True
            self._line(line)
        self._check_partial()
        return False

    def _bare(self, lines: list[bytes]) -> bool:
        """``feed`` for lines some of which hold LFs ending lines of their own, or whose
        first line continues one that began after such an LF."""
        for line in lines:
            if line == b"." and self.after_crlf and not self.partial_too_long:
                return True
            for part in line.split(b"\n"):
                self._line(part)
            self.after_crlf = True
        if b"\n" in self.partial:
            ended, _, self.partial = self.partial.rpartition(b"\n")
            for part in ended.split(b"\n"):
                self._line(part)
            self.after_crlf = False
        self._check_partial()
        return False

    def _check_partial(self) -> None:
        if len(self.partial) > self.line_limit:
            self.partial, self.partial_too_long = self.partial[-1:], True  # may be a CR
            self._refuse(DataOutcome.LINE_TOO_LONG)

    def _line(self, line: bytes) -> None:
        if self.partial_too_long or len(line) + 2 > self.line_limit:
            self.partial_too_long = False
            self._refuse(DataOutcome.LINE_TOO_LONG)
        if self.outcome is DataOutcome.RECEIVED:
            self.slimmer.add(line[1:] if line.startswith(b".") else line)

    def _refuse(self, outcome: DataOutcome) -> None:
        if self.outcome is DataOutcome.RECEIVED:
            self.outcome = outcome


async def receive_data(
    reader: asyncio.StreamReader,
    *,
    size_limit: int | None,
    line_limit: int,
    kept: int = KEPT,
) -> tuple[DataOutcome, bytes]:
    """Read up to and including the end of data; the outcome and, if received, the content.

    Raises ``asyncio.IncompleteReadError`` if the client goes away before the end.
    """
    lines = _Lines(size_limit=size_limit, line_limit=line_limit, slimmer=Slimmer(kept=kept))
    while True:
        try:
            piece = await reader.readuntil(_MAYBE_END)
        except asyncio.LimitOverrunError as exc:  # no end yet in what the reader buffers
            piece = await reader.readexactly(exc.consumed)
        if lines.feed(piece):
            break
    if lines.outcome is not DataOutcome.RECEIVED:
        return lines.outcome, b""
    return lines.outcome, lines.slimmer.content()


class BridgeEnvelope(Envelope):
    """aiosmtpd's envelope, with the outbound chain's envelope-stage decision for each
    recipient, made at RCPT TO and carried to DATA, and each group address's members."""

    def __init__(self) -> None:
        super().__init__()
        self.decisions: dict[str, Decision] = {}
        self.groups: dict[str, tuple[str, ...]] = {}  # a group address: its members' numbers
        self.kept: int | None = None  # base64 kept per run of this email (None: the listener's)


class BridgeSMTP(SMTP):
    """aiosmtpd's protocol with ``DATA`` read by ``receive_data``, and cheaper to set up.

    One instance is made per connection, and a mail server that sends one email per connection
    (Postfix's ``smtp-source``, many relays) makes that set-up count. Profiling showed a third
    of the listener's time in two places that are overridden here: the constructor's search
    of ``dir(self)`` for AUTH mechanisms and commands (``__dir__``), and ``_getaddr``'s parse
    of every MAIL and RCPT address with the email package's header parser (a fast path for
    plain addresses). The content is always bytes: ``decode_data`` is not supported.

    It also counts connections against ``limits`` (``smtp_limits.py``), greeting one over a
    limit with ``421 4.7.0`` instead of ``220``, and closes an idle client with ``421 4.4.2``:
    after ``timeout`` seconds of silence between commands, ``data_timeout`` within ``DATA``.

    Everything else is aiosmtpd's. The overrides use its internals (``_reader``, ``_getaddr``,
    ``_call_handler_hook``, ``_create_envelope``, ``_handle_client``, ``_reset_timeout``,
    ``_timeout_cb``), which is why pyproject pins aiosmtpd below 1.5;
    ``tests/test_smtp_listener.py``, ``tests/test_smtp_data.py`` and
    ``tests/test_smtp_limits.py`` cover the dialogue.
    """

    _dir: ClassVar[list[str] | None] = None
    _in_data = False
    _host: str | None = None  # the client's address, while ``limits`` counts the connection
    _refusal: str | None = None  # why the connection is refused, when it is

    def __init__(
        self,
        handler: object,
        *,
        limits: ConnectionLimits | None = None,
        data_timeout: float | None = None,
        kept: int = KEPT,
        **options: Any,
    ) -> None:
        super().__init__(handler, **options)
        self._kept = kept  # base64 kept per run (``Slimmer``): more when pictures go as MMS
        self._limits = limits
        self._data_timeout = data_timeout or self._timeout_duration

    def _create_envelope(self) -> Envelope:
        return BridgeEnvelope()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Count the connection (not again when STARTTLS hands over the TLS transport)."""
        first = self.transport is None
        if self._limits is not None and first:
            peer = transport.get_extra_info("peername")
            host = str(peer[0]) if isinstance(peer, tuple) else ""
            self._refusal = self._limits.admit(host)
            self._host = host if self._refusal is None else None
            if self._refusal is not None:
                log.info("refused a connection from %s: %s", host, self._refusal)
        super().connection_made(transport)
        if first and self._handler_coroutine is not None:
            self._handler_coroutine.add_done_callback(self._session_ended)

    def _session_ended(self, session: asyncio.Future[None]) -> None:
        """However the session ended, the connection closes. aiosmtpd closes it itself, except
        when the end of file cancels the session before its first step: uvloop delivers a
        client that connects and leaves at once in one turn, and that connection stayed open,
        counted against the limits, until the bridge stopped."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def connection_lost(self, error: Exception | None) -> None:
        if self._limits is not None and self._host is not None:
            self._limits.release(self._host)
            self._host = None
        super().connection_lost(error)

    async def _handle_client(self) -> None:
        if self._refusal is None:
            await super()._handle_client()
            return
        await self.push(f"421 4.7.0 {self.hostname} {self._refusal}")
        self._writer.close()

    def _timeout_cb(self) -> None:
        """Close an idle client, saying why first, as Postfix does."""
        if self.transport is None or self.transport.is_closing():
            return
        log.info("closed an idle connection from %s", self._peer_host())
        idle = f"421 4.4.2 {self.hostname} The connection was idle too long; closing it.\r\n"
        self._writer.write(idle.encode())
        self.transport.close()

    def _peer_host(self) -> str:
        peer = self.session.peer if self.session is not None else None
        return str(peer[0]) if isinstance(peer, tuple) else "?"

    def data_received(self, data: bytes) -> None:
        """During ``DATA`` every arrival restarts the session's timer: the timeout is for a
        client gone quiet (as Postfix's is), not for a large email on a slow line."""
        if self._in_data:
            self._reset_timeout(self._data_timeout)
        super().data_received(data)

    async def push(self, status: AnyStr) -> None:
        """aiosmtpd's reply, except its refusal of a ``MAIL FROM ... SIZE=`` over the limit,
        which says what ``DATA`` says of an email that large (rather than copying its parse of
        MAIL's parameters to refuse first)."""
        if status == _THEIR_SIZE_REFUSAL:
            await super().push(DataOutcome.TOO_BIG.refusal(self.data_size_limit))
        else:
            await super().push(status)

    def __dir__(self) -> list[str]:
        """Only the ``auth_*`` and ``smtp_*`` methods: what aiosmtpd's constructor looks for in
        ``dir(self)`` (with ``inspect.getmembers`` for the first, which otherwise binds every
        attribute of the class), listed once per class."""
        cls = type(self)
        names = cls.__dict__.get("_dir")  # per class: a subclass may add mechanisms
        if names is None:
            names = [name for name in super().__dir__() if name.startswith(("auth_", "smtp_"))]
            cls._dir = names
        return names

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        """``<local@domain> params`` with a dot-atom local part, at once; anything else (quoted
        local parts, source routes, no brackets, malformed) by aiosmtpd's full parser, which
        is the email package's, and which raises on some malformed addresses."""
        plain = _PLAIN_ADDRESS.match(arg)
        if plain is None:
            try:
                return super()._getaddr(arg)
            except (AttributeError, IndexError, ValueError):  # the email package's parser
                return None, None  # choked (``<a@[@b>``): "553 malformed address", not a 500
        address, rest = plain.group(1), arg[plain.end() :]
        if self.local_part_limit and len(address.rpartition("@")[0]) > self.local_part_limit:
            return None, None
        return address, rest

    async def smtp_DATA(self, arg: str) -> None:
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 5.5.1 Error: need RCPT command")
            return
        if arg:
            await self.push("501 5.5.4 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        self._reset_timeout(self._data_timeout)
        try:
            self._in_data = True
            outcome, content = await receive_data(
                self._reader,
                size_limit=self.data_size_limit,
                line_limit=self.line_length_limit,
                kept=getattr(self.envelope, "kept", None) or self._kept,
            )
        except asyncio.CancelledError:  # the connection went away during DATA
            self._writer.close()
            raise
        finally:
            self._in_data = False
        if outcome is DataOutcome.RECEIVED:
            self.envelope.content = self.envelope.original_content = content
            status = await self._call_handler_hook("DATA")
        else:
            whole = getattr(self.envelope, "kept", None) is not None
            status = outcome.refusal(self.data_size_limit, whole=whole)
        self.envelope = self._create_envelope()  # what aiosmtpd's _set_post_data_state does
        self._reset_timeout()  # waiting for a command again
        await self.push(status)
