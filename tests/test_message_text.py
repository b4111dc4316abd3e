"""MIME to SMS text: which part, which charset, and what is not the author's new text."""

from __future__ import annotations

import os
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from bridge.parsing.message import TextOptions, extract_text

PLAIN = TextOptions()


def _parse(raw: bytes) -> EmailMessage:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    return msg


def test_plain_is_preferred_over_html() -> None:
    msg = EmailMessage()
    msg.set_content("From the plain part")
    msg.add_alternative("<p>From the <b>HTML</b> part</p>", subtype="html")
    assert extract_text(msg, options=PLAIN) == "From the plain part"


def test_html_only_is_converted() -> None:
    msg = EmailMessage()
    msg.set_content("<p>Your <b>order</b> is ready.</p><p>Thanks,<br>Alice</p>", subtype="html")
    assert extract_text(msg, options=PLAIN) == "Your order is ready.\n\nThanks,\nAlice"


def test_latin1_and_a_bogus_charset_are_decoded() -> None:
    latin = b"Content-Type: text/plain; charset=iso-8859-1\r\n\r\nCaf\xe9 ouvert\r\n"
    assert extract_text(_parse(latin), options=PLAIN) == "Café ouvert"
    bogus = b"Content-Type: text/plain; charset=x-no-such-charset\r\n\r\nCaf\xc3\xa9 open\r\n"
    assert extract_text(_parse(bogus), options=PLAIN) == "Café open"


def test_undeclared_8bit_text_is_utf8_when_it_decodes_else_windows_1252() -> None:
    """swaks, cron and scripts send raw UTF-8 without a charset, older Windows programs their
    code page; "us-ascii" with 8-bit bytes in it says no more than nothing does."""
    for declared in (
        b"",
        b"Content-Type: text/plain\r\n",
        b"Content-Type: text/plain; charset=us-ascii\r\n",
    ):
        utf8 = declared + b"\r\nTotal \xc2\xa35.00, caf\xc3\xa9 \xf0\x9f\x98\x80\r\n"
        assert extract_text(_parse(utf8), options=PLAIN) == "Total £5.00, café 😀"
        windows = declared + b"\r\nCaf\xe9: \x80 5 \x93ok\x94 \xa35\r\n"
        assert extract_text(_parse(windows), options=PLAIN) == "Café: € 5 “ok” £5"


def test_windows_1252s_five_undefined_bytes_are_c1_controls_not_replacement_characters() -> None:
    """As WHATWG's decoder has them: the chain's content rule drops control characters."""
    raw = b"Content-Type: text/plain\r\n\r\nA\xe9\x81\x8d\x8f\x90\x9dB\r\n"
    assert extract_text(_parse(raw), options=PLAIN) == "A\xe9\x81\x8d\x8f\x90\x9dB"


def test_a_declared_charset_the_bytes_do_not_fit_keeps_its_replacement_characters() -> None:
    """Not guessed: the chain refuses the text, telling the author why (docs/text.md)."""
    raw = b"Content-Type: text/plain; charset=utf-8\r\n\r\nCaf\xe9 open\r\n"
    assert extract_text(_parse(raw), options=PLAIN) == "Caf\ufffd open"


def test_signatures_and_mobile_sign_offs_are_removed() -> None:
    msg = EmailMessage()
    msg.set_content("Running late, there in 10.\n\nSent from my iPhone\n-- \nAlice Smith\n")
    assert extract_text(msg, options=PLAIN) == "Running late, there in 10."


def test_disclaimer_and_everything_after_it_is_removed() -> None:
    msg = EmailMessage()
    msg.set_content("Meeting moved to 3pm.\n\nThis email and any attachments are confidential.\n")
    options = TextOptions(disclaimer_patterns=(r"^This email and any attachments",))
    assert extract_text(msg, options=options) == "Meeting moved to 3pm."


def test_end_marker_cuts_the_rest() -> None:
    msg = EmailMessage()
    msg.set_content("Collect at 5pm ## internal: customer paid in cash\n")
    assert extract_text(msg, options=TextOptions(end_marker="##")) == "Collect at 5pm"


def test_subject_prepended_when_asked() -> None:
    msg = EmailMessage()
    msg["Subject"] = "Order 1234"
    msg.set_content("Ready for collection.")
    assert extract_text(msg, options=PLAIN) == "Ready for collection."
    prepend = TextOptions(subject="prepend")
    assert extract_text(msg, options=prepend) == "Order 1234\nReady for collection."


def test_whitespace_is_normalised() -> None:
    msg = EmailMessage()
    msg.set_content("  Hello   there\u00a0 you \n\n\n\n\nSecond   line  \n")
    assert extract_text(msg, options=PLAIN) == "Hello there you\n\nSecond line"


def test_format_flowed_soft_breaks_are_joined() -> None:
    raw = (
        b"Content-Type: text/plain; charset=utf-8; format=flowed\r\n\r\n"
        b"This sentence was wrapped by the \r\nmail client at the \r\nend of lines.\r\nNew line.\r\n"
    )
    expected = "This sentence was wrapped by the mail client at the end of lines.\nNew line."
    assert extract_text(_parse(raw), options=PLAIN) == expected


def test_a_message_without_text_gives_empty_text() -> None:
    msg = EmailMessage()
    msg.set_content(b"\x00\x01", maintype="application", subtype="octet-stream")
    assert extract_text(msg, options=PLAIN) == ""


def _with_attachment(text: str, megabytes: int) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "a@example.com", "+447700900123@sms.example.com", "X"
    msg.set_content(text, cte="base64")  # as some clients send UTF-8 text
    msg.add_attachment(
        os.urandom(megabytes * 1024 * 1024),
        maintype="application",
        subtype="pdf",
        filename="scan.pdf",
    )
    return msg.as_bytes(policy=policy.SMTP)


def test_a_big_attachment_is_not_read_and_the_text_is_intact() -> None:
    from bridge.inbound.intake import parse_message

    msg = parse_message(_with_attachment("Your scan is attached. Café at 10?", 3))
    assert extract_text(msg, options=PLAIN) == "Your scan is attached. Café at 10?"
    [attachment] = list(msg.iter_attachments())
    assert attachment.get_filename() == "scan.pdf"
    assert len(attachment.get_content()) < 100 * 1024  # cut before parsing, never decoded whole


def test_a_text_longer_than_what_is_kept_keeps_its_beginning() -> None:
    from bridge.inbound.intake import parse_message

    long_text = "".join(f"Line {n} of a very long message.\n" for n in range(20000))
    msg = parse_message(_with_attachment(long_text, 1))
    text = extract_text(msg, options=PLAIN)
    assert text.startswith("Line 0 of a very long message.\nLine 1 of") and len(text) > 40000
    assert long_text.startswith(text.rsplit("\n", 1)[0])
