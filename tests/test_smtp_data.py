"""DATA read in pieces (bridge/inbound/smtp_protocol.py) and long base64 runs cut as they arrive."""

from __future__ import annotations

import asyncio
import base64
import itertools
import os
import smtplib
import socket
from pathlib import Path

import pytest
from aiosmtpd.smtp import SMTP
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.app import Bridge
from bridge.inbound.smtp_protocol import BridgeSMTP, DataOutcome, receive_data
from bridge.models import JobState
from bridge.parsing.slimming import KEPT, RUN_LINES, slim
from tests.conftest import make_settings
from tests.support.smtp_client import converse, message

RCPT = "+447700900123@sms.example.com"
_LINES = st.lists(
    st.binary(max_size=90).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")), max_size=40
)


def _stuffed(lines: list[bytes], ends: list[bytes] | None = None) -> bytes:
    """What a client sends after DATA: dot-stuffed lines, each ended by CRLF or by the end in
    ``ends`` at its index (a script's bare LF), before the lone dot."""
    ends = ends or []
    return b"".join(
        (b"." + line if line.startswith(b".") else line) + (ends[n] if n < len(ends) else b"\r\n")
        for n, line in enumerate(lines)
    )


async def _receive(wire: bytes, pieces: list[int], **limits: int | None) -> tuple:
    """``wire`` arriving in pieces (cut at ``pieces``), one event-loop turn apart."""
    reader = asyncio.StreamReader(limit=1001)
    cuts = sorted({min(p, len(wire)) for p in pieces} | {0, len(wire)})

    async def arrive() -> None:
        for start, end in itertools.pairwise(cuts):
            reader.feed_data(wire[start:end])
            await asyncio.sleep(0)
        reader.feed_eof()

    arriving = asyncio.create_task(arrive())
    options = {"size_limit": None, "line_limit": 1001} | limits
    outcome, content = await receive_data(reader, **options)  # type: ignore[arg-type]
    await arriving
    return outcome, content, await reader.read()


@settings(max_examples=200, deadline=None)
@given(lines=_LINES, pieces=st.lists(st.integers(0, 4000), max_size=6))
def test_any_lines_in_any_pieces_arrive_unstuffed_and_the_next_command_is_left(
    lines: list[bytes], pieces: list[int]
) -> None:
    wire = _stuffed(lines) + b".\r\nRSET\r\n"
    outcome, content, rest = asyncio.run(_receive(wire, pieces))
    assert outcome is DataOutcome.RECEIVED
    assert content == b"".join(line + b"\r\n" for line in lines)
    assert rest == b"RSET\r\n"


@settings(max_examples=200, deadline=None)
@given(
    lines=_LINES,
    ends=st.lists(st.sampled_from([b"\r\n", b"\n"]), max_size=40),
    pieces=st.lists(st.integers(0, 4000), max_size=6),
)
def test_a_bare_lf_ends_a_line_as_crlf_does_and_both_edges_keep_the_same_bytes(
    lines: list[bytes], ends: list[bytes], pieces: list[int]
) -> None:
    """Postfix's ``smtpd_forbid_bare_newline = normalize``: a script's LF alone ends a line;
    the mailbox watcher's ``slim`` keeps the same bytes from the same lines."""
    ends = ends[: max(len(lines) - 1, 0)]  # the last line ends with CRLF: "<CRLF>.<CRLF>" follows
    wire = _stuffed(lines, ends) + b".\r\nRSET\r\n"
    outcome, content, rest = asyncio.run(_receive(wire, pieces))
    assert (outcome, rest) == (DataOutcome.RECEIVED, b"RSET\r\n")
    assert content == b"".join(line + b"\r\n" for line in lines)
    unsent = b"".join(
        line + (ends[n] if n < len(ends) else b"\r\n") for n, line in enumerate(lines)
    )
    assert slim(unsent) == content


@pytest.mark.parametrize(
    "fake_end", [b"\n.\n", b"\n.\r\n", b"\r\n.\n", b"\r.\r\n", b"\r\n.\r", b"\r.\n"]
)
async def test_an_end_of_data_other_than_crlf_dot_crlf_is_content_not_an_end(
    fake_end: bytes,
) -> None:
    """SMTP smuggling: a relay in front of the bridge ends the data only at <CRLF>.<CRLF>, so
    anything else must not end it here, or what follows would be read as commands."""
    smuggled = b"MAIL FROM:<ceo@example.com>\r\nRCPT TO:<+447700900999@sms.example.com>\r\n"
    wire = b"Subject: x\r\n\r\nTesting" + fake_end + smuggled + b".\r\nQUIT\r\n"
    outcome, content, rest = await _receive(wire, [5, 30, 60])
    assert (outcome, rest) == (DataOutcome.RECEIVED, b"QUIT\r\n")
    assert b"MAIL FROM:<ceo@example.com>" in content and content.startswith(b"Subject: x\r\n")


async def test_an_email_with_lf_line_ends_from_smtplib_is_accepted_whole(tmp_path: Path) -> None:
    """``smtplib.sendmail(..., msg.as_bytes())`` sends the lines ended by LF alone: an email of
    several KB is one long line to a reader that splits on CRLF only."""
    body = "".join(f"Line {n}: disk usage on /var is {80 + n % 20}%.\n" for n in range(60))
    msg = message(body=body + ".\nThe end.")  # smtplib dot-stuffs after a bare LF too
    assert b"\r\n" not in msg.as_bytes() and len(msg.as_bytes()) > 2000
    settings = make_settings(tmp_path, text={"max_segments": 30})
    async with Bridge(settings) as bridge:
        host, port = bridge.smtp_address.rsplit(":", 1)
        refused = await asyncio.to_thread(_sendmail, host, int(port), msg.as_bytes())
        assert refused == {}
        for _ in range(100):
            jobs = await bridge.store.recent_sms(limit=5)
            if jobs and jobs[0].state is JobState.SENT:
                break
            await asyncio.sleep(0.05)
    assert [job.text for job in jobs] == [(body + ".\nThe end.").strip()]


def _sendmail(host: str, port: int, content: bytes) -> dict[str, tuple[int, bytes]]:
    with smtplib.SMTP(host, port, timeout=30) as client:
        return client.sendmail("alice@example.com", [RCPT], content)


async def test_a_smuggled_command_after_a_bare_lf_dot_is_never_run(tmp_path: Path) -> None:
    """End to end: ``\\n.\\n`` then a second MAIL FROM, then the real end: one email, one reply."""
    async with Bridge(make_settings(tmp_path)) as bridge:
        host, port = bridge.smtp_address.rsplit(":", 1)
        content = message(body="Hello").as_bytes().replace(b"\n", b"\r\n")
        smuggled = (
            b"\n.\nMAIL FROM:<alice@example.com>\r\nRCPT TO:<+447700900999@sms.example.com>\r\n"
            b"DATA\r\nSubject: smuggled\r\n\r\nSmuggled text\r\n"
        )
        answers = await asyncio.to_thread(_one_session, host, int(port), content + smuggled)
        assert answers[-1].startswith(b"250 2.0.0 Queued 1 text"), answers
        await asyncio.sleep(0.5)
        jobs = await bridge.store.recent_sms(limit=5)
    assert [job.to_number for job in jobs] == ["+447700900123"]


def _one_session(host: str, port: int, content: bytes) -> list[bytes]:
    """MAIL, RCPT, DATA, ``content`` and the end of data; then QUIT and every reply after 354."""
    with socket.create_connection((host, port), timeout=30) as sock:
        reader = sock.makefile("rb")
        reader.readline()
        sock.sendall(b"EHLO client.example.com\r\n")
        while not reader.readline().startswith(b"250 "):
            pass
        sock.sendall(f"MAIL FROM:<alice@example.com>\r\nRCPT TO:<{RCPT}>\r\nDATA\r\n".encode())
        assert [reader.readline()[:3] for _ in range(3)] == [b"250", b"250", b"354"]
        sock.sendall(content + b".\r\nQUIT\r\n")
        return [line for line in reader.read().split(b"\r\n") if line][:-1]


def test_a_base64_run_is_cut_the_same_by_both_edges_whatever_the_email_size() -> None:
    """A 100 KB attachment in a 110 KB email: the SMTP listener cuts it as it arrives, and the
    mailbox watcher's ``slim`` must keep the same bytes (it used to pass emails under 256 KB
    through whole)."""
    content = b"Subject: x\r\n\r\n" + b"".join(_base64_lines(100 * 1024)) + b"--b--\r\n"
    outcome, received, _ = asyncio.run(
        _receive(_stuffed(content.split(b"\r\n")[:-1]) + b".\r\n", [])
    )
    assert outcome is DataOutcome.RECEIVED and len(received) < 70 * 1024
    assert slim(content) == received


async def test_a_line_over_the_limit_is_refused_and_the_data_read_to_its_end() -> None:
    wire = b"Subject: x\r\n\r\n" + b"y" * 5000 + b".\r\n.\r\nQUIT\r\n"
    outcome, content, rest = await _receive(wire, [7, 1500, 4000])
    assert (outcome, content, rest) == (DataOutcome.LINE_TOO_LONG, b"", b"QUIT\r\n")
    assert outcome.refusal(None).startswith("500 5.5.2 A line of the email is longer than")


async def test_data_over_the_size_limit_is_refused_and_read_to_its_end() -> None:
    wire = b"Subject: x\r\n\r\n" + (b"z" * 70 + b"\r\n") * 200 + b".\r\nQUIT\r\n"
    outcome, content, rest = await _receive(wire, [100, 2000], size_limit=1000)
    assert (outcome, content, rest) == (DataOutcome.TOO_BIG, b"", b"QUIT\r\n")
    assert outcome.refusal(10 * 1_048_576).startswith(
        "552 5.3.4 The email is larger than the 10 MB this bridge accepts."
    )


def _base64_lines(size: int) -> list[bytes]:
    encoded = base64.encodebytes(os.urandom(size)).replace(b"\n", b"\r\n")
    return encoded.splitlines(keepends=True)


def test_a_long_base64_run_is_cut_at_a_line_end_and_slimming_twice_changes_nothing() -> None:
    head = b"Content-Transfer-Encoding: base64\r\n\r\n"
    tail = b"--boundary--\r\n"
    run = _base64_lines(57 * 20000)  # 20,000 full lines of 76 characters
    slimmed = slim(head + b"".join(run) + tail)
    kept = slimmed[len(head) : -len(tail)]
    assert slimmed.startswith(head) and slimmed.endswith(tail)
    assert KEPT - 80 < len(kept) <= KEPT and b"".join(run).startswith(kept)
    assert slim(slimmed) == slimmed


def test_a_short_base64_run_is_kept_whole() -> None:
    run = b"".join(_base64_lines(57 * (RUN_LINES - 1)))  # 57 bytes make one 76-character line
    content = b"Not base64.\r\n" * KEPT + run
    assert slim(content) == content


async def test_a_25_mb_email_is_accepted_and_its_text_sent(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, smtp={"max_message_size": 30 * 1024 * 1024})
    msg = message(body="The plans are attached.\n.Leading dot kept.")
    msg.add_attachment(
        os.urandom(18 * 1024 * 1024),  # 24 MB as base64
        maintype="application",
        subtype="pdf",
        filename="plans.pdf",
    )
    async with Bridge(settings) as bridge:
        dialogue = await asyncio.to_thread(
            converse,
            bridge.smtp_address,
            mail_from="alice@example.com",
            rcpts=[RCPT],
            content=msg.as_bytes(),
        )
        assert dialogue.accepted, dialogue
        for _ in range(100):
            jobs = await bridge.store.recent_sms(limit=5)
            if jobs and jobs[0].state is JobState.SENT:
                break
            await asyncio.sleep(0.05)
        assert [job.text for job in jobs] == ["The plans are attached.\n.Leading dot kept."]


async def test_commands_pipelined_after_the_end_of_data_are_answered(tmp_path: Path) -> None:
    async with Bridge(make_settings(tmp_path)) as bridge:
        host, port = bridge.smtp_address.rsplit(":", 1)
        answers = await asyncio.to_thread(_pipelined, host, int(port))
    assert answers[-3].startswith(b"250 2.0.0 Queued 1 text")
    assert answers[-2].startswith(b"250") and answers[-1].startswith(b"221")


def _pipelined(host: str, port: int) -> list[bytes]:
    """EHLO, then MAIL, RCPT, DATA; then the content, the end, RSET and QUIT in one write."""
    content = message().as_bytes().replace(b"\n", b"\r\n")
    with socket.create_connection((host, port), timeout=30) as sock:
        reader = sock.makefile("rb")
        reader.readline()
        sock.sendall(b"EHLO client.example.com\r\n")
        while not reader.readline().startswith(b"250 "):
            pass
        sock.sendall(f"MAIL FROM:<alice@example.com>\r\nRCPT TO:<{RCPT}>\r\nDATA\r\n".encode())
        answers = [reader.readline() for _ in range(3)]
        sock.sendall(content + b".\r\nRSET\r\nQUIT\r\n")
        answers += [reader.readline() for _ in range(3)]
    assert [a[:3] for a in answers[:3]] == [b"250", b"250", b"354"], answers
    return answers


_ATEXT = st.text(alphabet="abcXYZ019+-_=.'\"@<> \\()[]:,;é", min_size=1, max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    local=_ATEXT,
    domain=st.sampled_from(["sms.example.com", "x", "a-b.c", "[1.2.3.4]", ""]),
    rest=st.sampled_from(["", " SIZE=100", "  BODY=8BITMIME ", "x", ">", " (c) SIZE=1", " \t"]),
    space=st.sampled_from(["", " "]),
)
def test_the_quick_address_parse_agrees_with_aiosmtpd(
    local: str, domain: str, rest: str, space: str
) -> None:
    asyncio.run(_agree(f"{space}<{local}@{domain}>{rest}"))


async def _agree(arg: str) -> None:
    protocol = BridgeSMTP(object())
    try:
        theirs = SMTP._getaddr(protocol, arg)
    except AttributeError:  # the email package chokes on some (``<a@[@b>``): we refuse them
        theirs = (None, None)
    assert protocol._getaddr(arg) == theirs


async def test_the_same_commands_and_auth_mechanisms_are_found_as_by_aiosmtpd() -> None:
    ours, theirs = BridgeSMTP(object()), SMTP(object())
    assert ours._auth_methods.keys() == theirs._auth_methods.keys() >= {"LOGIN", "PLAIN"}
    assert ours._smtp_methods.keys() == theirs._smtp_methods.keys() >= {"EHLO", "DATA", "QUIT"}


class _Accepting:
    async def handle_DATA(self, server: SMTP, session: object, envelope: object) -> str:
        return "250 2.0.0 Taken"


async def test_a_slow_upload_is_not_cut_off_while_it_keeps_arriving() -> None:
    """The session timeout is an idle timeout during DATA too: 2 s of upload in pieces
    0.4 s apart passes a 1 s timeout; 2 s of silence does not."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: BridgeSMTP(_Accepting(), timeout=1.0), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        await reader.readline()
        writer.write(
            b"HELO client\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n"
        )
        answers = [await reader.readline() for _ in range(4)]
        assert answers[-1].startswith(b"354"), answers
        for n in range(5):
            writer.write(b"Line %d of a slow upload\r\n" % n)
            await asyncio.sleep(0.4)
        writer.write(b".\r\n")
        assert (await reader.readline()).startswith(b"250 2.0.0 Taken")
        await asyncio.sleep(2.0)
        said = await reader.read()  # idle after DATA: the server says why and closes
        assert said.startswith(b"421 4.4.2 ") and said.endswith(b"\r\n"), said
    finally:
        writer.close()
        server.close()
        await server.wait_closed()


async def test_an_address_the_email_package_chokes_on_gets_553_not_500() -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: BridgeSMTP(_Accepting()), "127.0.0.1", 0)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
    try:
        await reader.readline()
        writer.write(b"HELO client\r\nMAIL FROM:<a@[@example.com>\r\n")
        answers = [await reader.readline() for _ in range(2)]
        assert answers[1].startswith(b"553 5.1.3"), answers
    finally:
        writer.close()
        server.close()
        await server.wait_closed()
