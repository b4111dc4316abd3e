"""Dialogue flows through the running bridge: texts to the sandbox's inbound webhook, the
answers read from its journal, the emails from the Maildir. A rebooking to its end (the
answers emailed), a hand-over (the transcript emailed to the route's inbox, the flow silent
while a person owns the conversation, resumed after /close), and STOP during a flow."""

from __future__ import annotations

import sqlite3
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import make_msgid
from pathlib import Path

import httpx

from tests.support.bridge_process import BridgeProcess
from tests.support.smtp_client import converse

CUSTOMER, NUMBER = "+447700900123", "+447700900100"
FLOWS = (Path(__file__).parent / "flows" / "restaurant.toml").read_text(encoding="utf-8")
EXTRA = f"""
[[numbers]]
number = "{NUMBER}"
inbox = ["team@example.com"]
{FLOWS}"""
MENU = "Hi from Luigi's! Reply 1 for opening hours, 2 to rebook, 3 to ask a question."
HOURS = "We're open Tuesday to Sunday, 12:00 to 22:00."
HANDED = "Thanks, a member of our team will text you back shortly."


def _texted(bridge: BridgeProcess, body: str) -> None:
    """Text the bridge and wait until the text is routed (its answer queued, if any)."""
    before = len(bridge.inbound())
    fields = {"From": CUSTOMER, "To": NUMBER, "Body": body}
    url = f"{bridge.public_url}/webhooks/sandbox/inbound"
    assert httpx.post(url, data=fields, timeout=10).status_code == 200
    bridge.wait_until(
        lambda: (rows := bridge.inbound()) and len(rows) > before and rows[-1]["state"] == "routed",
        what=f"{body!r} routed",
    )


def _answers(bridge: BridgeProcess, count: int) -> list[str]:
    """The texts the customer's phone got, once there are ``count``."""
    sent = bridge.wait_until(
        lambda: len(s := bridge.sandbox_sent()) >= count and s, what=f"{count} text(s)"
    )
    return [entry["text"] for entry in sent]


def _emails(bridge: BridgeProcess, to: str, count: int = 1) -> list[EmailMessage]:
    def found() -> list[EmailMessage]:
        parsed = [
            BytesParser(policy=policy.default).parsebytes(raw) for raw in bridge.maildir_messages()
        ]
        return [m for m in parsed if isinstance(m, EmailMessage) and to in str(m["To"])]

    return bridge.wait_until(lambda: len(f := found()) >= count and f, what=f"email to {to}")


def _flow_states(bridge: BridgeProcess) -> list[tuple[str, str, str]]:
    path = bridge.data_dir / "smsbridge.db"
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as conn:
        return list(conn.execute("SELECT flow, step, status FROM flow_states"))


def _reply(bridge: BridgeProcess, original: EmailMessage, body: str) -> None:
    """alice answers the hand-over's email from her mail client."""
    reply = EmailMessage()
    reply["From"] = "alice@example.com"
    reply["To"] = original["From"]
    reply["Subject"] = f"Re: {original['Subject']}"
    reply["Message-ID"] = make_msgid(domain="example.com")
    reply["In-Reply-To"] = original["Message-ID"]
    reply.set_content(body)
    to = str(original["From"].addresses[0].addr_spec)
    said = converse(
        bridge.smtp_address, mail_from="alice@example.com", rcpts=[to], content=reply.as_bytes()
    )
    assert said.accepted, said


def test_a_rebooking_runs_to_its_end_and_the_answers_are_emailed(tmp_path: Path) -> None:
    with BridgeProcess(tmp_path, extra=EXTRA, queue={"poll_seconds": 0.1}) as bridge:
        for text in ("MENU", "2", "whenever", "01/02/2099", "Ann Smith"):
            _texted(bridge, text)
        assert _answers(bridge, 5) == [
            MENU,
            "Which day would you like instead? (e.g. 24/12)",
            "Sorry, that is not a date I can read: try 24/12 or 24 December.",
            "And the name of the booking?",
            "Thanks! We'll confirm your new booking by text shortly.",
        ]
        [done] = _emails(bridge, "bookings@example.com")
        body = done.get_content()
        assert "date: 2099-02-01" in body and "name: Ann Smith" in body
        assert _flow_states(bridge) == []  # the flow is over
        # nothing of the flow reached the team's inbox: only a hand-over does
        assert _emails_to_team(bridge) == []
        inbound = bridge.inbound()
        assert inbound[1]["route"] == "flow restaurant"
        assert "choice 2 (exact match on '2'" in inbound[1]["explanation"]


def _emails_to_team(bridge: BridgeProcess) -> list[bytes]:
    return [raw for raw in bridge.maildir_messages() if b"team@example.com" in raw]


def test_a_handover_is_silent_while_a_person_owns_it_and_resumes_after_close(
    tmp_path: Path,
) -> None:
    with BridgeProcess(tmp_path, extra=EXTRA, queue={"poll_seconds": 0.1}) as bridge:
        _texted(bridge, "MENU")
        _texted(bridge, "I'd like to talk to a person")
        assert _answers(bridge, 2)[1] == HANDED
        [handed] = _emails(bridge, "team@example.com")
        body = handed.get_content()
        assert "handed this customer over to you: the customer asked for a person" in body
        assert MENU in body  # the transcript: what the flow said before
        assert _flow_states(bridge) == [("restaurant", "menu", "handed over")]
        # before anyone answers, the flow is silent: the text goes to the inbox
        _texted(bridge, "hello?")
        assert len(_emails(bridge, "team@example.com", 2)) == 2
        # alice answers by email: she owns the conversation, and the flow stays silent
        _reply(bridge, handed, "Hi, this is Alice. How can I help?")
        assert _answers(bridge, 3)[2] == "Hi, this is Alice. How can I help?"
        _texted(bridge, "1")
        assert bridge.inbound()[-1]["route"] == "conversation"
        _emails(bridge, "alice@example.com")
        # she closes it: the next text is the flow's again, at the step it stopped at
        _reply(bridge, handed, "/close")  # answered 250 once the close is committed
        _texted(bridge, "1")
        assert bridge.inbound()[-1]["route"] == "flow restaurant"
        assert _answers(bridge, 4)[3] == HOURS
        assert len(bridge.sandbox_sent()) == 4


def test_stop_during_a_flow_wins_and_ends_it(tmp_path: Path) -> None:
    with BridgeProcess(tmp_path, extra=EXTRA, queue={"poll_seconds": 0.1}) as bridge:
        _texted(bridge, "MENU")
        _texted(bridge, "2")
        _texted(bridge, "STOP")
        answers = _answers(bridge, 3)
        assert answers[:2] == [MENU, "Which day would you like instead? (e.g. 24/12)"]
        assert "STOP" not in answers[1] and answers[2] != "And the name of the booking?"
        assert bridge.inbound()[-1]["route"] == "opt-out (STOP)"
        assert _flow_states(bridge) == []
        _texted(bridge, "24/12")  # no longer in the flow: routed, never answered
        assert bridge.inbound()[-1]["route"] != "flow restaurant"
        _texted(bridge, "MENU")  # a new start is refused by the outbound chain's opt-out rule
        assert bridge.inbound()[-1]["route"] == "flow restaurant"
        assert "not sent" in bridge.inbound()[-1]["explanation"]
        assert len(bridge.sandbox_sent()) == 3
