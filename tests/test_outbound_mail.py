"""Outbound mail transports against real files and a real SMTP server on loopback."""

from __future__ import annotations

import os
import smtplib
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from pydantic import SecretStr

from bridge.components import build_transport
from bridge.errors import PermanentFailure, TemporaryFailure
from bridge.mail.maildir import MaildirTransport
from bridge.mail.smarthost import SmtpTransport
from bridge.models import NewMailJob
from bridge.settings.mail import SmarthostSettings
from bridge.store.base import Store
from bridge.workers.mail import MailDispatcher
from bridge.workers.retry import RetryPolicy
from tests.conftest import free_port, make_settings
from tests.support.smtp_sink import SmtpSink, tls_available

AUTHOR = "ann@example.com"
needs_tls = pytest.mark.skipif(not tls_available(), reason="the openssl command is not installed")


def _message(subject: str = "Your text was not sent") -> bytes:
    msg = EmailMessage()
    msg["From"] = "SMS Bridge <sms-bridge@example.com>"
    msg["To"] = AUTHOR
    msg["Subject"] = subject
    msg.set_content("Your text to +447700900123 was not sent.\n")
    return msg.as_bytes()


def _smarthost(port: int, **options: object) -> SmarthostSettings:
    return SmarthostSettings.model_validate(
        {"host": "127.0.0.1", "port": port, "starttls": False, "timeout_seconds": 5} | options
    )


def _transport(settings: SmarthostSettings, sink: SmtpSink | None = None) -> SmtpTransport:
    context = sink.client_tls_context() if sink is not None else None
    return SmtpTransport(settings, tls_context=context, local_hostname="bridge.test")


async def _send(transport: SmtpTransport, *recipients: str) -> None:
    await transport.deliver(
        envelope_from="", recipients=recipients or (AUTHOR,), content=_message()
    )


# Maildir


async def test_maildir_creates_the_folders_and_delivers_into_new(tmp_path: Path) -> None:
    maildir = tmp_path / "var" / "mail"
    transport = MaildirTransport(maildir)

    await transport.deliver(
        envelope_from="bounces@example.com", recipients=(AUTHOR,), content=_message()
    )

    assert sorted(p.name for p in maildir.iterdir()) == ["cur", "new", "tmp"]
    assert list((maildir / "tmp").iterdir()) == []
    (delivered,) = (maildir / "new").iterdir()
    data = delivered.read_bytes()
    assert data.startswith(b"Return-Path: <bounces@example.com>\n")
    assert data.removeprefix(b"Return-Path: <bounces@example.com>\n") == _message().replace(
        b"\r\n", b"\n"
    )
    assert b"\r\n" not in data
    assert delivered.stat().st_mode & 0o777 == 0o600


async def test_maildir_null_sender_and_unique_names(tmp_path: Path) -> None:
    transport = MaildirTransport(tmp_path)
    for _ in range(3):
        await transport.deliver(envelope_from="", recipients=(AUTHOR,), content=_message())

    files = list((tmp_path / "new").iterdir())
    assert len({f.name for f in files}) == 3
    assert all(f.read_bytes().startswith(b"Return-Path: <>\n") for f in files)
    assert all(":" not in f.name and "/" not in f.name for f in files)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to name fds")
async def test_maildir_fsyncs_the_file_and_the_new_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    await MaildirTransport(tmp_path).deliver(
        envelope_from="", recipients=(AUTHOR,), content=_message()
    )

    (delivered,) = (tmp_path / "new").iterdir()
    file_syncs = [p for p in synced if p.startswith(str(tmp_path / "tmp") + "/")]
    assert [Path(p).name for p in file_syncs] == [delivered.name]
    assert str(tmp_path / "new") in synced[synced.index(file_syncs[0]) :]


async def test_maildir_that_cannot_be_written_is_a_temporary_failure(tmp_path: Path) -> None:
    blocker = tmp_path / "mail"
    blocker.write_text("a file where the Maildir should be")

    with pytest.raises(TemporaryFailure) as caught:
        await MaildirTransport(blocker).deliver(
            envelope_from="", recipients=(AUTHOR,), content=_message()
        )
    assert str(blocker) in caught.value.reason


# SMTP


async def test_smtp_delivers_with_a_null_reverse_path() -> None:
    async with SmtpSink() as sink:
        await _send(_transport(_smarthost(sink.port)))
        (received,) = await sink.wait_for(1)

    assert received.envelope_from == "<>"
    assert received.rcpt_tos == (AUTHOR,)
    assert received.parsed()["Subject"] == "Your text was not sent"
    assert not received.tls
    assert received.login is None


@needs_tls
async def test_smtp_starttls_and_auth() -> None:
    async with SmtpSink(tls=True) as sink:
        sink.require_auth("bridge", "correct horse")
        settings = _smarthost(
            sink.port, starttls=True, username="bridge", password=SecretStr("correct horse")
        )
        await _send(_transport(settings, sink))
        (received,) = await sink.wait_for(1)

    assert received.tls
    assert received.login == "bridge"
    assert received.envelope_from == "<>"


@needs_tls
async def test_smtp_wrong_password_waits_for_the_administrator() -> None:
    async with SmtpSink(tls=True) as sink:
        sink.require_auth("bridge", "correct horse")
        settings = _smarthost(
            sink.port, starttls=True, username="bridge", password=SecretStr("wrong")
        )
        with pytest.raises(TemporaryFailure) as caught:
            await _send(_transport(settings, sink))
    assert "535" in caught.value.reason
    assert sink.messages == ()


async def test_smtp_starttls_required_but_not_offered() -> None:
    async with SmtpSink() as sink:
        with pytest.raises(TemporaryFailure):
            await _send(_transport(_smarthost(sink.port, starttls=True)))
    assert sink.messages == ()


@pytest.mark.parametrize(
    ("at", "code", "text", "expected"),
    [
        ("rcpt", 451, "4.3.0 try later", TemporaryFailure),
        ("rcpt", 550, "5.1.1 no such mailbox here", PermanentFailure),
        ("data", 452, "4.3.1 disk full", TemporaryFailure),
        ("data", 554, "5.7.1 message refused as spam", PermanentFailure),
    ],
)
async def test_smtp_refusals_are_translated_by_their_code(
    at: str, code: int, text: str, expected: type[Exception]
) -> None:
    async with SmtpSink() as sink:
        sink.fail_next(code=code, text=text, at=at)  # type: ignore[arg-type]
        transport = _transport(_smarthost(sink.port))
        with pytest.raises(expected) as caught:
            await _send(transport)
        assert type(caught.value) is expected
        assert text in str(caught.value)
        assert caught.value.code == str(code)  # type: ignore[attr-defined]
        assert sink.messages == ()

        await _send(transport)  # the fault was for one attempt only
        assert len(await sink.wait_for(1)) == 1


async def test_smtp_one_recipient_refused_of_two_is_delivered() -> None:
    other = "bob@example.com"
    async with SmtpSink() as sink:
        sink.fail_next(code=550, text="5.1.1 no such mailbox")
        await _send(_transport(_smarthost(sink.port)), AUTHOR, other)
        (received,) = await sink.wait_for(1)
    assert received.rcpt_tos == (other,)


async def test_smtp_fault_repeats_the_given_number_of_times() -> None:
    async with SmtpSink() as sink:
        sink.fail_next(code=421, text="4.7.0 slow down", times=2)
        transport = _transport(_smarthost(sink.port))
        for _ in range(2):
            with pytest.raises(TemporaryFailure):
                await _send(transport)
        await _send(transport)
        assert len(await sink.wait_for(1)) == 1


async def test_smtp_nothing_listening_is_a_temporary_failure() -> None:
    port = free_port()
    with pytest.raises(TemporaryFailure) as caught:
        await _send(_transport(_smarthost(port)))
    assert f"127.0.0.1:{port}" in caught.value.reason


def test_threaded_sink_serves_synchronous_clients() -> None:
    with SmtpSink.threaded() as sink:
        with smtplib.SMTP("127.0.0.1", sink.port, local_hostname="bridge.test", timeout=5) as c:
            c.sendmail("", [AUTHOR], _message("threaded"))
        (received,) = sink.wait_for(1, timeout=5)
        with pytest.raises(TimeoutError):
            sink.wait_for(2, timeout=0.05)
    assert received.envelope_from == "<>"
    assert received.parsed()["Subject"] == "threaded"


def test_build_transport_follows_the_settings(tmp_path: Path) -> None:
    maildir = build_transport(make_settings(tmp_path))
    smtp = build_transport(make_settings(tmp_path, mail={"transport": "smtp"}))
    assert isinstance(maildir, MaildirTransport)
    assert maildir.path == tmp_path / "var" / "mail"
    assert isinstance(smtp, SmtpTransport)
    assert (maildir.name, smtp.name) == ("maildir", "smtp")


async def test_sessions_are_kept_and_a_stale_one_is_replaced() -> None:
    async with SmtpSink() as sink:
        transport = SmtpTransport(
            SmarthostSettings(host="127.0.0.1", port=sink.port, starttls=False)
        )
        for n in range(3):
            await transport.deliver(
                envelope_from="a@example.com",
                recipients=("b@example.com",),
                content=f"Subject: {n}\r\n\r\nbody\r\n".encode(),
            )
        assert len(sink._connections) == 1  # one session carried all three
        for connection in sink._connections:
            assert connection.transport is not None
            connection.transport.close()  # the server drops the kept session
        await transport.deliver(
            envelope_from="a@example.com",
            recipients=("b@example.com",),
            content=b"Subject: 3\r\n\r\nbody\r\n",
        )
        await transport.aclose()
        assert len(sink.messages) == 4


class _CountingSink(SmtpSink):
    """Counts RSET commands, and answers the next ``closing`` MAIL commands with 421."""

    resets = 0
    closing = 0

    async def handle_RSET(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.resets += 1
        return "250 OK"

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.closing:
            self.closing -= 1
            return "421 4.4.2 idle for too long, closing"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"


async def test_a_session_used_just_now_is_not_checked_and_a_closing_one_is_replaced() -> None:
    async with _CountingSink() as sink:
        transport = SmtpTransport(
            SmarthostSettings(host="127.0.0.1", port=sink.port, starttls=False)
        )

        async def send(n: int) -> None:
            await transport.deliver(
                envelope_from="a@example.com",
                recipients=("b@example.com",),
                content=f"Subject: {n}\r\n\r\nbody\r\n".encode(),
            )

        for n in range(3):
            await send(n)
        assert (sink.resets, len(sink._connections)) == (0, 1)
        transport.CHECK_AFTER_SECONDS = 0.0  # as if the session had been idle for a while
        await send(3)
        assert sink.resets == 1
        transport.CHECK_AFTER_SECONDS = SmtpTransport.CHECK_AFTER_SECONDS
        sink.closing = 1  # the server closes the kept session at the next MAIL
        await send(4)
        await transport.aclose()
        assert len(sink.messages) == 5
        assert len(sink._connections) == 2


async def test_a_retried_message_is_filed_once_even_after_a_reader_moved_it(
    tmp_path: Path,
) -> None:
    transport = MaildirTransport(tmp_path)
    await transport.deliver(envelope_from="", recipients=(AUTHOR,), content=_message(), key="m1")
    # The bridge died before recording the delivery; the job is tried again.
    await transport.deliver(
        envelope_from="", recipients=(AUTHOR,), content=_message(), key="m1", retry=True
    )
    assert [p.name for p in (tmp_path / "new").iterdir()] == ["m1.smsbridge"]
    # A mail reader has seen it meanwhile: new/NAME became cur/NAME:2,S.
    (tmp_path / "new" / "m1.smsbridge").rename(tmp_path / "cur" / "m1.smsbridge:2,S")
    await transport.deliver(
        envelope_from="", recipients=(AUTHOR,), content=_message(), key="m1", retry=True
    )
    assert list((tmp_path / "new").iterdir()) == []
    # Another job's message is filed as usual.
    await transport.deliver(
        envelope_from="", recipients=(AUTHOR,), content=_message(), key="m2", retry=True
    )
    assert [p.name for p in (tmp_path / "new").iterdir()] == ["m2.smsbridge"]


async def test_a_half_written_file_left_in_tmp_is_written_over(tmp_path: Path) -> None:
    (tmp_path / "tmp").mkdir()
    (tmp_path / "tmp" / "m1.smsbridge").write_bytes(b"Return-Path: <>\nSubj")
    transport = MaildirTransport(tmp_path)
    await transport.deliver(
        envelope_from="", recipients=(AUTHOR,), content=_message(), key="m1", retry=True
    )
    assert list((tmp_path / "tmp").iterdir()) == []
    filed = (tmp_path / "new" / "m1.smsbridge").read_bytes()
    assert filed == b"Return-Path: <>\n" + _message().replace(b"\r\n", b"\n")


async def test_a_job_taken_over_after_its_bridge_died_mid_delivery_is_filed_once(
    store: Store, tmp_path: Path
) -> None:
    """The first bridge filed the message and died before recording it; someone read it; the
    lease runs out and the job is claimed again (attempt 2): the mail worker finds it filed."""
    now = datetime.now(UTC)
    [job_id] = await store.enqueue_mail(
        [NewMailJob(envelope_from="", recipients=(AUTHOR,), content=_message())], now=now
    )
    transport = MaildirTransport(tmp_path / "mail")
    [first] = await store.claim_mail(now=now, limit=1, lease_seconds=0.0, owner="dead")
    await transport.deliver(
        envelope_from="", recipients=first.recipients, content=first.content, key=first.id
    )
    mail = tmp_path / "mail"
    (mail / "new" / f"{job_id}.smsbridge").rename(mail / "cur" / f"{job_id}.smsbridge:2,S")  # read
    later = now + timedelta(seconds=1)
    [again] = await store.claim_mail(now=later, limit=1, lease_seconds=60.0, owner="alive")
    assert (again.id, again.attempts) == (job_id, 2)
    worker = MailDispatcher(
        store=store,
        transport=transport,
        clock=lambda: later,
        policy=RetryPolicy(max_attempts=5, base_seconds=1, cap_seconds=10),
        owner="alive",
    )
    await worker.handle(again)
    assert list((mail / "new").iterdir()) == []
    assert [p.name for p in (mail / "cur").iterdir()] == [f"{job_id}.smsbridge:2,S"]
    assert (
        await store.claim_mail(
            now=later + timedelta(hours=1), limit=1, lease_seconds=60.0, owner="alive"
        )
        == []
    )
