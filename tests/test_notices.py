"""Failure and truncation notices: what the author reads, and how their mail client threads it."""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from bridge.mail.notices import advice_for, failure_notice, truncation_notice
from bridge.models import JobState, NewSmsJob, SmsJob
from tests.support.jobs import claimed_job

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def _job(**changes: object) -> SmsJob:
    failed: dict[str, object] = dict(
        id="s0123",
        idempotency_key="<m1@example.com>|+447700900999",
        message_id="<m1@example.com>",
        subject="Your delivery",
        to_number="+447700900999",
        sender="Example",
        text="Your parcel arrives at 10:00 today.",
        state=JobState.FAILED,
        created_at=datetime(2026, 11, 22, 9, 0, tzinfo=UTC),
        updated_at=NOW,
        error="the number is not in service",
        error_code="21211",
    )
    return claimed_job(**{**failed, **changes})


def _parse(raw: bytes) -> EmailMessage:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    return msg


def _body(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def test_failure_notice_names_number_reason_advice_and_text() -> None:
    msg = _parse(
        failure_notice(
            _job(), permanent=False, from_address="sms@example.net", now=NOW, hostname="h"
        )
    )
    body = _body(msg)
    assert msg["To"] == "alice@example.com"
    assert "+447700900999" in body.splitlines()[0]
    assert "Why: The number is not in service." in body
    assert "Check the number" in body
    assert "> Your parcel arrives at 10:00 today." in body
    assert "job s0123" in body


def test_failure_notice_threads_under_the_original_and_never_loops() -> None:
    msg = _parse(
        failure_notice(
            _job(), permanent=False, from_address="sms@example.net", now=NOW, hostname="h"
        )
    )
    assert msg["In-Reply-To"] == "<m1@example.com>"
    assert msg["References"] == "<m1@example.com>"
    assert msg["Subject"] == "Re: Your delivery"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert str(msg["Message-ID"]).endswith("@h>")


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: Your delivery", "Re: Your delivery"),
        ("", "Your text to +447700900999 was not sent"),
    ],
)
def test_subject_is_not_doubled_and_never_empty(subject: str, expected: str) -> None:
    raw = failure_notice(
        _job(subject=subject), permanent=False, from_address="a@b.c", now=NOW, hostname="h"
    )
    assert _parse(raw)["Subject"] == expected


def test_a_bare_message_id_still_threads() -> None:
    raw = failure_notice(
        _job(message_id="m1@example.com"),
        permanent=False,
        from_address="a@b.c",
        now=NOW,
        hostname="h",
    )
    assert _parse(raw)["In-Reply-To"] == "<m1@example.com>"


def test_long_text_is_excerpted_and_unicode_survives() -> None:
    text = "Dydd da! Mae’r tŷ yn barod. " * 20
    msg = _parse(
        failure_notice(
            _job(text=text), permanent=False, from_address="a@b.c", now=NOW, hostname="h"
        )
    )
    body = _body(msg)
    assert "Mae’r tŷ" in body
    assert "…" in body
    assert text.strip() not in body


def test_missing_reason_and_unknown_code_give_generic_words() -> None:
    raw = failure_notice(
        _job(error=None, error_code="e999"),
        permanent=False,
        from_address="a@b.c",
        now=NOW,
        hostname="h",
    )
    body = _body(_parse(raw))
    assert "The SMS provider did not say why." in body
    assert advice_for("e999") in " ".join(body.split())


def test_opt_out_advice_says_only_they_can_undo_it() -> None:
    assert "START" in advice_for("21610")


def test_truncation_notice_says_how_long_and_what_was_sent() -> None:
    new = NewSmsJob(
        idempotency_key="k",
        message_id="<m2@example.com>",
        author="bob@example.com",
        subject="Rota",
        to_number="+447700900123",
        sender="Example",
        text="Shift starts at 9...",
        encoding="GSM-7",
        segments=1,
    )
    msg = _parse(
        truncation_notice(new, original_length=2400, now=NOW, from_address="a@b.c", hostname="h")
    )
    body = " ".join(_body(msg).split())
    assert "2,400 characters" in body
    assert "> Shift starts at 9..." in _body(msg)
    assert msg["In-Reply-To"] == "<m2@example.com>"


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError):
        failure_notice(
            _job(), permanent=False, from_address="a@b.c", now=datetime(2026, 1, 1), hostname="h"
        )


def test_a_permanent_failure_never_says_try_again_later() -> None:
    """Sending the same email again fails the same way; after retries ran out, it may not."""
    refused = _job(error="the provider refused it", error_code="e999")
    permanent = _body(
        _parse(failure_notice(refused, permanent=True, from_address="a@b.c", now=NOW, hostname="h"))
    )
    words = " ".join(permanent.split())
    assert "again later" not in words and "will fail the same way" in words
    retried = _body(
        _parse(
            failure_notice(refused, permanent=False, from_address="a@b.c", now=NOW, hostname="h")
        )
    )
    assert "Try sending your email again later" in " ".join(retried.split())
