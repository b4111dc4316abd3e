"""The emails the bridge writes to an author about their own text: failed, or shortened.

Pure functions of the job and ``now``: no I/O, so the worker can store the notice in the same
transaction as the job's outcome. Each notice threads under the author's original email
(In-Reply-To and References for Outlook and Thunderbird, "Re: <subject>" for Gmail), says
what happened in its first line, and is marked ``Auto-Submitted: auto-replied`` (RFC 3834)
so that vacation responders never answer it; it is sent with a null envelope sender so it
can never bounce back either. The author sees the whole number: it is their own message.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from bridge.models import Contact, NewSmsJob, SmsJob

__all__ = [
    "advice_for",
    "attachments_notice",
    "bulk_email",
    "cap_warning",
    "failure_notice",
    "mailbox_notice",
    "schedule_confirmation",
    "truncation_notice",
]

DISPLAY_NAME = "SMS Bridge"
EXCERPT_CHARS = 160
_WIDTH = 76

# Provider error codes (Twilio's numbers, and the same names any provider may use as its
# ``code``) grouped into the few kinds of failure an author can do something about.
_KIND_BY_CODE = {
    "21211": "wrong_number",
    "30005": "wrong_number",
    "wrong_number": "wrong_number",
    "invalid_number": "wrong_number",
    "21614": "not_mobile",
    "30006": "not_mobile",
    "not_mobile": "not_mobile",
    "21610": "opted_out",
    "opted_out": "opted_out",
    "21617": "too_long",
    "too_long": "too_long",
    "unknown-outcome": "unknown_outcome",
}
_ADVICE = {
    "wrong_number": "Check the number: it must be a mobile number in full international form,"
    " such as +447700900123. Then send your email again to the corrected address.",
    "not_mobile": "This number cannot receive texts (it may be a landline). Send your email"
    " again to a mobile number, or reach this person another way.",
    "opted_out": "The person at this number has asked not to receive texts from this sender"
    " (they replied STOP). Only they can undo that, by replying START; please reach them"
    " another way.",
    "too_long": "Shorten the text and send your email again.",
    "unknown_outcome": "Ask the person whether your text arrived before you send it again.",
}
# Retries ran out (the network, the provider busy): later may work. A refusal for good
# (permanent) will be the same refusal whenever the same email is sent.
_GENERIC_ADVICE = (
    "Try sending your email again later. If it keeps failing, ask your administrator and"
    " quote the reference below."
)
_PERMANENT_ADVICE = (
    "Sending the same email again will fail the same way: check the number and the text, and"
    " if they look right, ask your administrator and quote the reference below."
)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Notice:
    """What differs between notices; everything else about their shape is shared."""

    author: str
    to_number: str
    subject: str
    message_id: str
    headline: str
    body: str


def failure_notice(
    job: SmsJob,
    *,
    permanent: bool,
    from_address: str,
    now: datetime,
    hostname: str,
    emailed_to: Contact | None = None,
) -> bytes:
    """The email telling ``job.author`` that their text to ``job.to_number`` was not sent;
    ``permanent`` when it was refused for good rather than given up after retries;
    ``emailed_to`` the contact it was emailed to instead (``senders.rules.email_fallback``)."""
    if emailed_to is not None:
        return _emailed_notice(
            job, emailed_to, from_address=from_address, now=now, hostname=hostname
        )
    headline = f"Your text to {job.to_number} was not sent."
    paragraphs = [
        headline,
        f"Why: {_sentence(job.error)}",
        f"What you can do: {advice_for(job.error_code, permanent=permanent)}",
        *_given_up(job, now),
    ]
    notice = _about(job, headline, paragraphs)
    return _compose(notice, from_address=from_address, now=now, hostname=hostname)


def _emailed_notice(
    job: SmsJob, contact: Contact, *, from_address: str, now: datetime, hostname: str
) -> bytes:
    """The failure notice when the text went to the customer by email instead."""
    who = f"{contact.name} <{contact.email}>" if contact.name else contact.email
    headline = f"Your text to {job.to_number} was not sent; it was emailed to {who} instead."
    paragraphs = [
        headline,
        f"Why the text was not sent: {_sentence(job.error)}",
        f"What happened instead: your text was emailed to {who}, the address the address book"
        f" has for {job.to_number}, from {from_address}. Nothing more is needed unless it must"
        " arrive as a text.",
        *_given_up(job, now),
    ]
    notice = _about(job, headline, paragraphs)
    return _compose(notice, from_address=from_address, now=now, hostname=hostname)


def _given_up(job: SmsJob, now: datetime) -> list[str]:
    """How a notice of a text given up ends: its start, a reference, who wrote the notice."""
    return [
        "Your text began:\n" + _quote(_excerpt(job.text)),
        f"Reference for support: job {job.id}, received {_utc(job.created_at)},"
        f" given up {_utc(now)}.",
        "This message was sent automatically by the SMS bridge.",
    ]


def truncation_notice(
    job: NewSmsJob, *, original_length: int, now: datetime, from_address: str, hostname: str
) -> bytes:
    """The email telling the author their text was cut to fit the segment limit, and where."""
    headline = f"Your text to {job.to_number} was shortened before it was sent."
    paragraphs = [
        headline,
        f"Why: it was {original_length:,} characters long, more than fits in the number of SMS"
        f" segments allowed, so only the first {len(job.text):,} characters were sent.",
        "The text that was sent ended:\n" + _quote(_ending(job.text)),
        "What you can do: if the rest matters, send it in a second, shorter email.",
        f"Reference for support: your email {job.message_id}, at {_utc(now)}.",
        "This message was sent automatically by the SMS bridge.",
    ]
    notice = _about(job, headline, paragraphs)
    return _compose(notice, from_address=from_address, now=now, hostname=hostname)


def mailbox_notice(
    *,
    author: str,
    subject: str,
    message_id: str,
    problems: list[str],
    sent: int,
    now: datetime,
    from_address: str,
    hostname: str,
) -> bytes:
    """The email telling an author why (part of) their email to the SMS mailbox was not sent."""
    headline = (
        "Some of your texts were not sent."
        if sent
        else "Your email to the SMS mailbox was not sent as a text."
    )
    paragraphs = [
        headline,
        *[f"Why: {_sentence(problem)}" for problem in problems],
        f"{sent} text(s) from the same email were sent." if sent else "Nothing was sent.",
        "What you can do: correct the address or the text and send a new email.",
        f"Reference for support: your email {message_id}, at {_utc(now)}.",
        "This message was sent automatically by the SMS bridge.",
    ]
    notice = _Notice(
        author=author,
        to_number="",
        subject=subject,
        message_id=message_id,
        headline=headline,
        body=_join(paragraphs),
    )
    return _compose(notice, from_address=from_address, now=now, hostname=hostname)


def attachments_notice(
    job: NewSmsJob,
    *,
    names: tuple[str, ...],
    now: datetime,
    from_address: str,
    hostname: str,
    pictures: tuple[str, ...] = (),
) -> bytes:
    """The email telling the author that their email's attachments were not sent, by name;
    ``pictures`` says why pictures among them did not go as MMS (``bridge.media.outbound``)."""
    headline = "The attachments of your email were not sent; its text was."
    paragraphs = [
        headline,
        f"Why: a text message carries words only. Not sent: {', '.join(names)}.",
    ]
    if pictures:  # some may have gone as MMS to some recipients: say which did not, and why
        paragraphs.append("Pictures: " + " ".join(pictures))
    paragraphs += [
        "What you can do: if the recipient needs them, send them another way, or put a link"
        " to them in the text.",
        f"Reference for support: your email {job.message_id}, at {_utc(now)}.",
        "This message was sent automatically by the SMS bridge.",
    ]
    notice = _about(job, headline, paragraphs)
    return _compose(notice, from_address=from_address, now=now, hostname=hostname)


def advice_for(error_code: str | None, *, permanent: bool = False) -> str:
    """One "what you can do" sentence for a provider error code; generic when unknown, and
    never "try again later" for a refusal that would be the same later."""
    kind = _KIND_BY_CODE.get((error_code or "").strip().lower())
    return _ADVICE.get(kind or "", _PERMANENT_ADVICE if permanent else _GENERIC_ADVICE)


def _about(job: NewSmsJob | SmsJob, headline: str, paragraphs: list[str]) -> _Notice:
    """A notice about one of ``job``'s texts, threaded under the email that made it."""
    return _Notice(
        author=job.author,
        to_number=job.to_number,
        subject=job.subject,
        message_id=job.message_id,
        headline=headline,
        body=_join(paragraphs),
    )


def cap_warning(
    *, to: str, subject: str, text: str, from_address: str, now: datetime, hostname: str
) -> bytes:
    """A spend cap's warning to the team's admin: not about one email, so not threaded."""
    notice = _Notice(
        author=to, to_number="", subject="", message_id="", headline=subject, body=_join([text])
    )
    return _compose(notice, from_address=from_address, now=now, hostname=hostname)


def schedule_confirmation(
    *,
    author: str,
    subject: str,
    message_id: str,
    texts: list[str],
    reply_to: str,
    now: datetime,
    from_address: str,
    hostname: str,
) -> bytes:
    """The email telling an author which of their texts go when (``texts``: one line each),
    and that replying CANCEL (to ``reply_to``, the batch's control address) cancels them."""
    noun = "text is" if len(texts) == 1 else f"{len(texts)} texts are"
    headline = f"Your {noun} scheduled."
    paragraphs = [
        headline,
        "\n".join(f"- {line}" for line in texts),
        "To cancel them, reply to this email with the word CANCEL. Texts already sent by"
        " then cannot be called back; the answer says how many were cancelled.",
        f"Reference for support: your email {message_id}, at {_utc(now)}.",
        "This message was sent automatically by the SMS bridge.",
    ]
    notice = _Notice(
        author=author,
        to_number="",
        subject=subject,
        message_id=message_id,
        headline=headline,
        body=_join(paragraphs),
    )
    return _compose(
        notice, from_address=from_address, now=now, hostname=hostname, reply_to=reply_to
    )


def bulk_email(
    *,
    author: str,
    subject: str,
    message_id: str,
    headline: str,
    body: str,
    attachment: tuple[str, bytes] | None,
    reply_to: str,
    now: datetime,
    from_address: str,
    hostname: str,
) -> bytes:
    """An email about a bulk send (its preview, its summary, why its file cannot be used),
    threaded under the author's email; ``attachment`` is a CSV file (name, bytes)."""
    notice = _Notice(
        author=author,
        to_number="",
        subject=subject,
        message_id=message_id,
        headline=headline,
        body=body,
    )
    return _compose(
        notice,
        from_address=from_address,
        now=now,
        hostname=hostname,
        reply_to=reply_to,
        attachment=attachment,
    )


def _compose(
    notice: _Notice,
    *,
    from_address: str,
    now: datetime,
    hostname: str,
    reply_to: str = "",
    attachment: tuple[str, bytes] | None = None,
) -> bytes:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    msg = EmailMessage(policy=policy.default)
    msg["From"] = Address(display_name=DISPLAY_NAME, addr_spec=from_address)
    msg["To"] = notice.author
    msg["Subject"] = _subject(notice)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid(domain=hostname)
    if reply_to:
        msg["Reply-To"] = reply_to
    _thread_under(msg, notice.message_id)
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Auto-Response-Suppress"] = "All"  # Exchange's own flag for the same request
    body = notice.body
    msg.set_content(body, cte=None if body.isascii() else "quoted-printable")
    if attachment is not None:
        name, data = attachment
        msg.add_attachment(data, maintype="text", subtype="csv", filename=name)
    return msg.as_bytes()


def _subject(notice: _Notice) -> str:
    """Use "Re: <their subject>" so Gmail threads it too; without one, the headline itself."""
    original = " ".join(notice.subject.split())
    if not original:
        return notice.headline.removesuffix(".")
    if re.match(r"(?i)re\s*:", original):
        return original
    return f"Re: {original}"


def _thread_under(msg: EmailMessage, message_id: str) -> None:
    reference = _reference(message_id)
    if reference is not None:
        msg["In-Reply-To"] = reference
        msg["References"] = reference


def _reference(message_id: str) -> str | None:
    """The ``<id>`` in a Message-ID header's value, tolerating a missing pair of brackets."""
    found = re.search(r"<[^<>\s]+>", message_id)
    if found is not None:
        return found.group(0)
    bare = message_id.strip()
    return f"<{bare}>" if bare and not re.search(r"[\s<>]", bare) else None


def _sentence(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if not text:
        return "The SMS provider did not say why."
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def _excerpt(text: str) -> str:
    text = text.strip()
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS].rstrip() + "…"


def _ending(text: str, chars: int = 100) -> str:
    text = text.strip()
    return text if len(text) <= chars else "…" + text[-chars:].lstrip()


def _quote(text: str) -> str:
    lines = text.splitlines() or [""]
    return "\n".join(
        textwrap.fill(line, _WIDTH, initial_indent="> ", subsequent_indent="> ") or ">"
        for line in lines
    )


def _join(paragraphs: list[str]) -> str:
    return "\n\n".join(_wrap(p) for p in paragraphs) + "\n"


def _wrap(paragraph: str) -> str:
    """Wrap prose to a readable width; quoted blocks (already wrapped) pass through."""
    if "\n" in paragraph:
        return paragraph
    return textwrap.fill(paragraph, _WIDTH, break_long_words=False, break_on_hyphens=False)


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
