"""The SMTP edge in-process, driven by a real client (smtplib) over loopback."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from bridge.app import Bridge
from bridge.models import JobState
from tests.conftest import IN_CI, make_settings
from tests.support.certificates import make_certificate
from tests.support.smtp_client import converse, message
from tests.support.smtp_sink import SmtpSink

RCPT = "+447700900123@sms.example.com"
TO_SWAKS = ["--to", "07700900123@sms.example.com"]  # swaks takes "+..." for an option


@pytest.fixture
async def bridge(tmp_path: Path):
    async with Bridge(make_settings(tmp_path)) as running:
        yield running


async def send(bridge: Bridge, **kwargs):
    return await asyncio.to_thread(converse, bridge.smtp_address, **kwargs)


async def wait_for_state(bridge: Bridge, state: JobState, count: int = 1) -> list:
    for _ in range(100):
        jobs = [j for j in await bridge.store.recent_sms(limit=100) if j.state is state]
        if len(jobs) >= count:
            return jobs
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {count} job(s) reached {state}")


async def test_an_email_becomes_a_text_with_exactly_the_new_text(bridge: Bridge) -> None:
    msg = message(body="Your order is ready.\n\nThanks,\nAlice\n-- \nAlice Smith\nExample Ltd")
    dialogue = await send(
        bridge, mail_from="alice@example.com", rcpts=[RCPT], content=msg.as_bytes()
    )
    assert dialogue.data is not None and dialogue.data[0] == 250
    assert dialogue.data[1].startswith("2.0.0 Queued 1 text as s")
    [job] = await wait_for_state(bridge, JobState.SENT)
    assert job.text == "Your order is ready.\n\nThanks,\nAlice"
    assert (job.to_number, job.sender, job.author) == (
        "+447700900123",
        "ExampleCo",
        "alice@example.com",
    )
    assert job.id in dialogue.data[1]


async def test_to_cc_and_bcc_each_become_their_own_job(bridge: Bridge) -> None:
    rcpts = [RCPT, "07700 900124@sms.example.com", "+44 7700 900125@sms.example.com"]
    msg = message(to=rcpts[0], headers={"Cc": '"07700 900124"@sms.example.com'})
    dialogue = await send(
        bridge, mail_from="alice@example.com", rcpts=rcpts, content=msg.as_bytes()
    )
    assert [code for code, _ in dialogue.rcpts] == [250, 250, 250]
    assert dialogue.data is not None and "Queued 3 texts" in dialogue.data[1]
    jobs = await wait_for_state(bridge, JobState.SENT, 3)
    assert sorted(j.to_number for j in jobs) == ["+447700900123", "+447700900124", "+447700900125"]


async def test_the_same_number_twice_in_one_email_is_one_text(bridge: Bridge) -> None:
    msg = message()
    dialogue = await send(
        bridge,
        mail_from="alice@example.com",
        rcpts=[RCPT, "07700900123@sms.example.com"],
        content=msg.as_bytes(),
    )
    assert dialogue.data is not None and "Queued 1 text" in dialogue.data[1]


async def test_redelivery_of_the_same_email_never_sends_twice(bridge: Bridge) -> None:
    content = message().as_bytes()
    first = await send(bridge, mail_from="alice@example.com", rcpts=[RCPT], content=content)
    again = await send(bridge, mail_from="alice@example.com", rcpts=[RCPT], content=content)
    job_id = first.data[1].rsplit(" ", 1)[1] if first.data else ""
    assert again.data == (250, f"2.0.0 Already queued: this email was received before, as {job_id}")
    await wait_for_state(bridge, JobState.SENT)
    assert len(await bridge.store.recent_sms(limit=10)) == 1


@pytest.mark.parametrize(
    ("rcpt", "code", "status", "words"),
    [
        ("+447700900123@example.net", 550, "5.7.1", "Relaying denied"),
        ("someone@gmail.com", 550, "5.7.1", "only takes mail for phone numbers at sms.example.com"),
        ("bob@sms.example.com", 550, "5.1.3", "not a phone number"),
        ("+4477009@sms.example.com", 550, "5.1.3", "too short"),
    ],
)
async def test_bad_recipients_are_refused_at_rcpt(bridge, rcpt, code, status, words) -> None:
    dialogue = await send(
        bridge, mail_from="alice@example.com", rcpts=[rcpt], content=message().as_bytes()
    )
    [(got_code, text)] = dialogue.rcpts
    assert (got_code, text.split()[0]) == (code, status)
    assert words in text
    assert dialogue.data is None
    assert await bridge.store.recent_sms(limit=10) == []


async def test_unauthorised_sender_is_refused_with_how_to_get_access(bridge: Bridge) -> None:
    dialogue = await send(
        bridge,
        mail_from="mallory@evil.test",
        rcpts=[RCPT],
        content=message(sender="mallory@evil.test").as_bytes(),
    )
    code, text = dialogue.mail
    assert code == 550 and text.startswith("5.7.1 mallory@evil.test may not send texts")
    assert "allowed_senders" in text
    assert await bridge.store.recent_sms(limit=10) == []


async def test_too_many_recipients_get_452_and_the_rest_are_queued(bridge: Bridge) -> None:
    rcpts = [f"+44770090010{i}@sms.example.com" for i in range(7)]
    dialogue = await send(
        bridge, mail_from="alice@example.com", rcpts=rcpts, content=message().as_bytes()
    )
    assert [code for code, _ in dialogue.rcpts] == [250] * 5 + [452] * 2
    assert dialogue.rcpts[-1][1].startswith("4.5.3 Too many recipients")
    assert dialogue.data is not None and "Queued 5 texts" in dialogue.data[1]


async def test_oversize_email_is_refused_and_nothing_queued(bridge: Bridge) -> None:
    msg = message(body=("x" * 69 + "\n") * 1000)
    dialogue = await send(
        bridge, mail_from="alice@example.com", rcpts=[RCPT], content=msg.as_bytes()
    )
    assert dialogue.data is not None and dialogue.data[0] == 552
    assert dialogue.data[1].startswith("5.3.4 The email is larger than the 64 KB")
    assert await bridge.store.recent_sms(limit=10) == []


async def test_a_declared_size_over_the_limit_gets_the_bridges_own_552_at_mail_from(
    bridge: Bridge,
) -> None:
    import smtplib

    host, port = bridge.smtp_address.split(":")

    def declare(size: int) -> tuple[int, bytes]:
        with smtplib.SMTP(host, int(port), timeout=30) as client:
            client.ehlo("client.example.com")
            return client.mail("alice@example.com", [f"SIZE={size}"])

    code, text = await asyncio.to_thread(declare, 99_999_999)
    assert (code, text.decode()) == (
        552,
        "5.3.4 The email is larger than the 64 KB this bridge accepts."
        " A text carries no attachments: send it without them.",
    )
    assert (await asyncio.to_thread(declare, 1000))[0] == 250


async def test_broken_mime_is_refused_and_nothing_queued(bridge: Bridge) -> None:
    raw = (
        b"From: alice@example.com\r\nTo: " + RCPT.encode() + b"\r\nSubject: x\r\n"
        b"Message-ID: <broken@example.com>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed\r\n\r\nno boundary anywhere\r\n"
    )
    dialogue = await send(bridge, mail_from="alice@example.com", rcpts=[RCPT], content=raw)
    assert dialogue.data is not None
    assert dialogue.data[0] == 554 and dialogue.data[1].startswith("5.6.0 The email's MIME")
    assert await bridge.store.recent_sms(limit=10) == []


async def test_auto_reply_is_refused_and_nothing_queued(bridge: Bridge) -> None:
    msg = message(body="I am out of the office.", headers={"Auto-Submitted": "auto-replied"})
    dialogue = await send(
        bridge, mail_from="alice@example.com", rcpts=[RCPT], content=msg.as_bytes()
    )
    assert dialogue.data is not None
    assert dialogue.data[0] == 550 and "never sent as a text" in dialogue.data[1]
    assert await bridge.store.recent_sms(limit=10) == []


async def test_bounce_with_null_sender_is_refused_and_nothing_queued(bridge: Bridge) -> None:
    dialogue = await send(bridge, mail_from="", rcpts=[RCPT], content=message().as_bytes())
    assert dialogue.mail[0] == 550 and "Bounces" in dialogue.mail[1]
    assert await bridge.store.recent_sms(limit=10) == []


async def test_too_long_text_is_refused_naming_the_unicode_characters(bridge: Bridge) -> None:
    body = ("Zażółć gęślą jaźń.\n" * 30).strip()
    dialogue = await send(
        bridge, mail_from="alice@example.com", rcpts=[RCPT], content=message(body=body).as_bytes()
    )
    assert dialogue.data is not None and dialogue.data[0] == 550
    text = dialogue.data[1]
    assert text.startswith("5.3.4 The text is too long:") and "the limit is 6" in text
    assert "ł" in text or "\\xc5" in text or "ż" in text


async def test_swaks_raw_utf8_without_a_charset_is_sent_as_written(bridge: Bridge) -> None:
    """swaks declares no charset; the pound sign is GSM-7, so the text stays one GSM-7 SMS."""
    if shutil.which("swaks") is None:
        if IN_CI:
            pytest.fail("swaks is missing: .ci/test installs swaks")
        pytest.skip("swaks is not installed (apt-get install swaks)")
    host, port = bridge.smtp_address.split(":")
    body = "Invoice 12 is due: £5.00 by Friday."
    ran = await asyncio.to_thread(
        subprocess.run,
        [
            "swaks",
            "--server",
            host,
            "--port",
            port,
            "--from",
            "alice@example.com",
            *TO_SWAKS,
            "--body",
            body,
        ],
        capture_output=True,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout.decode()
    assert b"Content-Type" not in ran.stdout  # nothing declared: raw 8-bit text
    [job] = await wait_for_state(bridge, JobState.SENT)
    assert (job.text, job.encoding, job.segments) == (body, "GSM-7", 1)


async def test_root_at_a_single_label_domain_sends_and_gets_its_notice(tmp_path: Path) -> None:
    """allowed_senders = ["localhost"]: cron's root@localhost is let in by swaks, its text is
    sent, and the notice naming its attachment reaches root@localhost through the smarthost:
    nothing on the way (email-validator included) refuses a domain without a dot."""
    if shutil.which("swaks") is None:
        if IN_CI:
            pytest.fail("swaks is missing: .ci/test installs swaks")
        pytest.skip("swaks is not installed (apt-get install swaks)")
    (tmp_path / "report.pdf").write_bytes(b"%PDF-1.4")
    async with SmtpSink() as sink:
        smarthost = f'[mail.smtp]\nhost = "127.0.0.1"\nport = {sink.port}\nstarttls = false\n'
        settings = make_settings(
            tmp_path,
            smtp={"allowed_senders": ["localhost"]},
            mail={"transport": "smtp"},
            extra=smarthost,
        )
        async with Bridge(settings) as bridge:
            host, port = bridge.smtp_address.split(":")
            command = ["swaks", "--server", host, "--port", port, "--from", "root@localhost"]
            command += [*TO_SWAKS, "--body", "Backup failed on buildhost."]
            command += ["--attach-name", "report.pdf", "--attach", f"@{tmp_path / 'report.pdf'}"]
            ran = await asyncio.to_thread(subprocess.run, command, capture_output=True, check=False)
            assert ran.returncode == 0, ran.stdout.decode()
            assert b"<-  250 2.0.0 Queued 1 text" in ran.stdout
            [job] = await wait_for_state(bridge, JobState.SENT)
            [notice] = await sink.wait_for(1)
    assert (job.author, job.text) == ("root@localhost", "Backup failed on buildhost.")
    assert notice.rcpt_tos == ("root@localhost",)
    assert "Not sent: report.pdf." in notice.parsed().get_content()


async def test_a_text_with_characters_that_cannot_be_read_is_refused_saying_so(
    bridge: Bridge,
) -> None:
    raw = (
        b"From: alice@example.com\r\nTo: " + RCPT.encode() + b"\r\nSubject: x\r\n"
        b"Message-ID: <latin@example.com>\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nCaf\xe9 open at 10\r\n"
    )
    dialogue = await send(bridge, mail_from="alice@example.com", rcpts=[RCPT], content=raw)
    assert dialogue.data is not None and dialogue.data[0] == 550, dialogue
    assert dialogue.data[1].startswith("5.6.0 The text has characters that could not be read")
    assert await bridge.store.recent_sms(limit=10) == []


async def test_attachments_are_named_in_the_reply_and_in_a_notice_to_the_author(
    bridge: Bridge, tmp_path: Path
) -> None:
    msg = message(body="The plans and a photo are attached.")
    msg.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="plans.pdf")
    msg.add_attachment(b"\xff\xd8\xff", maintype="image", subtype="jpeg", filename="site.jpg")
    dialogue = await send(
        bridge, mail_from="alice@example.com", rcpts=[RCPT], content=msg.as_bytes()
    )
    assert dialogue.data is not None and dialogue.data[0] == 250
    assert dialogue.data[1].endswith("; 2 attachments not sent (a notice names them)")
    [job] = await wait_for_state(bridge, JobState.SENT)
    assert job.text == "The plans and a photo are attached."
    [notice] = await wait_for_maildir(tmp_path / "var" / "mail")
    assert (notice["To"], notice["In-Reply-To"]) == ("alice@example.com", msg["Message-ID"])
    body = notice.get_content()
    assert body.startswith("The attachments of your email were not sent; its text was.")
    assert "Not sent: plans.pdf, site.jpg." in body


async def test_an_email_without_attachments_says_nothing_of_them(
    bridge: Bridge, tmp_path: Path
) -> None:
    msg = message(body="Plain text.")
    msg.add_alternative("<p>Plain <b>text</b>.</p>", subtype="html")
    dialogue = await send(
        bridge, mail_from="alice@example.com", rcpts=[RCPT], content=msg.as_bytes()
    )
    assert dialogue.data is not None and "attachment" not in dialogue.data[1]
    await wait_for_state(bridge, JobState.SENT)
    assert not (tmp_path / "var" / "mail" / "new").exists() or not list(
        (tmp_path / "var" / "mail" / "new").iterdir()
    )


async def wait_for_maildir(folder: Path, count: int = 1) -> list[EmailMessage]:
    for _ in range(100):
        new = sorted((folder / "new").iterdir()) if (folder / "new").exists() else []
        if len(new) >= count:
            parser = BytesParser(policy=policy.default)
            return [parser.parsebytes(path.read_bytes()) for path in new]
        await asyncio.sleep(0.05)
    raise AssertionError(f"fewer than {count} email(s) in {folder}")


async def test_empty_text_is_refused(bridge: Bridge) -> None:
    msg = message(body="\n\n-- \nAlice Smith\n")
    dialogue = await send(
        bridge, mail_from="alice@example.com", rcpts=[RCPT], content=msg.as_bytes()
    )
    assert dialogue.data is not None and dialogue.data[0] == 550
    assert "no text to send" in dialogue.data[1]


async def test_an_internal_error_answers_451_without_leaking_details(bridge: Bridge) -> None:
    await bridge.store.close()  # the store is gone: nothing can be made durable
    dialogue = await send(
        bridge, mail_from="alice@example.com", rcpts=[RCPT], content=message().as_bytes()
    )
    # at RCPT TO, where the opt-out is read from the store for every sender (a sender ID too)
    temporary = (451, "4.3.0 A temporary problem on our side; please try again later.")
    assert dialogue.rcpts == [temporary] and dialogue.data is None


async def test_auth_is_offered_only_after_starttls_and_lets_a_user_send(tmp_path: Path) -> None:
    import smtplib

    from bridge.inbound.smtp_users import hash_password

    cert, key = make_certificate(tmp_path, name="sms.example.com")
    users = tmp_path / "users"
    users.write_text(f"carol@partner.test:{hash_password('s3cret pass')}\n")
    settings = make_settings(
        tmp_path,
        smtp={"tls_cert": str(cert), "tls_key": str(key), "allowed_senders": []},
        extra=f'[smtp.auth]\nenabled = true\nusers_file = "{users}"\n',
    )
    async with Bridge(settings) as bridge:
        host, port = bridge.smtp_address.split(":")

        def plain_ehlo() -> str:
            with smtplib.SMTP(host, int(port)) as client:
                return client.ehlo()[1].decode()

        assert "AUTH" not in await asyncio.to_thread(plain_ehlo)
        refused = await send(
            bridge,
            mail_from="carol@partner.test",
            rcpts=[RCPT],
            content=message().as_bytes(),
            starttls=True,
        )
        assert refused.mail[0] == 550
        with pytest.raises(smtplib.SMTPAuthenticationError):
            await send(
                bridge,
                mail_from="carol@partner.test",
                rcpts=[RCPT],
                starttls=True,
                content=message().as_bytes(),
                login=("carol@partner.test", "wrong"),
            )
        login = ("carol@partner.test", "s3cret pass")
        ok = await send(
            bridge,
            mail_from="carol@partner.test",
            rcpts=[RCPT],
            starttls=True,
            content=message().as_bytes(),
            login=login,
        )
        assert ok.accepted
        [job] = await wait_for_state(bridge, JobState.SENT)
        assert job.author == "carol@partner.test"


async def test_a_size_declared_over_the_limit_is_refused_at_mail_from_in_words(
    bridge: Bridge,
) -> None:
    """The same refusal as DATA's for a message too large, before any of it is sent."""
    import smtplib

    def mail_from() -> tuple[int, bytes]:
        host, port = bridge.smtp_address.rsplit(":", 1)
        with smtplib.SMTP(host, int(port), timeout=30) as client:
            client.ehlo("client.example.com")
            return client.mail("alice@example.com", ["SIZE=99999999"])

    code, reply = await asyncio.to_thread(mail_from)
    assert (code, reply.decode()) == (
        552,
        "5.3.4 The email is larger than the 64 KB this bridge accepts. A text carries no"
        " attachments: send it without them.",
    )
