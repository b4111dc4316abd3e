"""Reply from a shared inbox: the text goes from the number the customer texted, in every client.

A customer texts one of two reply numbers; the bridge emails the team. Somebody in the team,
with no sender rule of their own (the default sender is the alphanumeric "ExampleCo", which
nobody can answer), presses Reply in their client. Each client builds that reply its own way
(Gmail, Outlook, Apple Mail, Thunderbird, an iPhone; Outlook behind a gateway that drops
In-Reply-To and References). The text must still go from the number the customer texted,
make the replier the conversation's owner, and thread the customer's next text under it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import make_msgid

import httpx
import pytest

from tests.support.bridge_process import BridgeProcess
from tests.support.smtp_client import converse

SALES, SUPPORT = "+447700900100", "+447700900200"
NUMBERS = f"""
[[numbers]]
number = "{SALES}"
inbox = ["sales@example.com"]
timezone = "Europe/London"

[[numbers]]
number = "{SUPPORT}"
inbox = ["support@example.com"]
timezone = "Europe/London"
"""


@pytest.fixture(scope="module")
def bridge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BridgeProcess]:
    with BridgeProcess(tmp_path_factory.mktemp("replies"), extra=NUMBERS) as running:
        yield running


def customer_texts(bridge: BridgeProcess, customer: str, to: str, text: str) -> EmailMessage:
    """The customer texts ``to``; the email the bridge writes of it."""
    before = len(bridge.maildir_messages())
    url = f"http://127.0.0.1:{bridge.http_port}/webhooks/sandbox/inbound"
    answer = httpx.post(url, data={"From": customer, "To": to, "Body": text}, timeout=10)
    assert answer.status_code == 200, answer.text
    raw = bridge.wait_until(
        lambda: len(bridge.maildir_messages()) > before and bridge.maildir_messages()[before],
        what="the email of the customer's text",
    )
    return parse(raw)


def parse(raw: bytes) -> EmailMessage:
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    return msg


def _reply_headers(original: EmailMessage, prefix: str, *, threaded: bool = True) -> EmailMessage:
    reply = EmailMessage()
    reply["From"] = "Bob <bob@example.com>"
    reply["To"] = original["From"]
    reply["Subject"] = f"{prefix} {original['Subject']}"
    reply["Message-ID"] = make_msgid(domain="example.com")
    if threaded:
        reply["In-Reply-To"] = original["Message-ID"]
        reply["References"] = original["Message-ID"]
    return reply


def gmail(original: EmailMessage, words: str) -> EmailMessage:
    reply = _reply_headers(original, "Re:")
    quoted = f"On Wed, 2 Dec 2026 at 10:00, {original['From']} wrote:\n> {_text(original)}"
    reply.set_content(f"{words}\n\n{quoted}\n")
    reply.add_alternative(
        f'<div dir="ltr">{words}</div><br><div class="gmail_quote">'
        f'<div class="gmail_attr">{quoted.splitlines()[0]}</div>'
        f'<blockquote class="gmail_quote">{_text(original)}</blockquote></div>',
        subtype="html",
    )
    return reply


def outlook(original: EmailMessage, words: str, *, threaded: bool = True) -> EmailMessage:
    """Outlook: "RE:", Thread-Index, and the original as a header block, not quoted."""
    reply = _reply_headers(original, "RE:", threaded=threaded)
    reply["Thread-Topic"] = str(original["Subject"])
    reply["Thread-Index"] = "AdtE2n3Kx1VQk7uGQ0ab0v0Wf3Y1Ag=="
    block = (
        "________________________________\n"
        f"From: {original['From']}\nSent: 02 December 2026 10:00\n"
        f"To: {original['To']}\nSubject: {original['Subject']}\n\n{_text(original)}"
    )
    reply.set_content(f"{words}\n\n{block}\n")
    return reply


def apple_mail(original: EmailMessage, words: str) -> EmailMessage:
    reply = _reply_headers(original, "Re:")
    reply.set_content(
        f"{words}\n\n> On 2 Dec 2026, at 10:00, {original['From']} wrote:\n> \n"
        f"> {_text(original)}\n"
    )
    return reply


def thunderbird(original: EmailMessage, words: str) -> EmailMessage:
    reply = _reply_headers(original, "Re:")
    reply.set_content(
        f"On 02/12/2026 10:00, {original['From']} wrote:\n> {_text(original)}\n\n{words}\n"
    )
    return reply


def iphone(original: EmailMessage, words: str) -> EmailMessage:
    reply = _reply_headers(original, "Re:")
    reply.set_content(
        f"{words}\n\nSent from my iPhone\n\n> On 2 Dec 2026, at 10:00, {original['From']}"
        f" wrote:\n> \n> {_text(original)}\n"
    )
    return reply


def outlook_without_thread_headers(original: EmailMessage, words: str) -> EmailMessage:
    """Outlook behind a gateway that dropped In-Reply-To and References: only the address
    the reply goes to says which number."""
    return outlook(original, words, threaded=False)


def _text(msg: EmailMessage) -> str:
    body = msg.get_body(("plain",))
    assert body is not None
    return str(body.get_content()).split("\n-- \n")[0].strip()


def send(bridge: BridgeProcess, reply: EmailMessage, to: str) -> tuple[int, str]:
    said = converse(
        bridge.smtp_address,
        mail_from="bob@example.com",
        rcpts=[to],
        content=reply.as_bytes(),
    )
    assert all(code == 250 for code, _ in said.rcpts), said
    assert said.data is not None, said
    return said.data


def sent_to(bridge: BridgeProcess, customer: str) -> list[dict[str, str]]:
    return [s for s in bridge.sandbox_sent() if s["to"] == customer]


CLIENTS: dict[str, Callable[[EmailMessage, str], EmailMessage]] = {
    "gmail": gmail,
    "outlook": outlook,
    "apple-mail": apple_mail,
    "thunderbird": thunderbird,
    "iphone": iphone,
    "outlook-no-thread-headers": outlook_without_thread_headers,
}


@pytest.mark.parametrize("client", sorted(CLIENTS))
def test_reply_from_a_shared_inbox_texts_from_the_number_the_customer_texted(
    bridge: BridgeProcess, client: str
) -> None:
    customer = f"+4477009{sorted(CLIENTS).index(client) + 10:05d}"  # one customer per client
    original = customer_texts(bridge, customer, SUPPORT, "Is my order ready?")
    assert original["To"] == "support@example.com"
    assert f"{customer}.via.{SUPPORT[1:]}@sms.example.com" in str(original["From"])

    # Plain address where the client threads (the headers must decide), the From otherwise.
    threaded = client != "outlook-no-thread-headers"
    to = f"{customer}@sms.example.com" if threaded else str(original["From"]).split("<")[1][:-1]
    reply = CLIENTS[client](original, "Yes, it is ready to collect.")
    code, answer = send(bridge, reply, to)
    assert code == 250, answer

    [text] = bridge.wait_until(lambda: sent_to(bridge, customer), what="the reply texted")
    assert text["sender"] == SUPPORT  # not ExampleCo, not the other number
    assert text["text"] == "Yes, it is ready to collect."

    # bob owns the conversation now: the customer's answer goes to him, threaded under his reply.
    answer_email = customer_texts(bridge, customer, SUPPORT, "Great, thanks")
    assert answer_email["To"] == "bob@example.com"
    assert answer_email["In-Reply-To"] == reply["Message-ID"]
    body = _full(answer_email)
    assert "bob@example.com: Yes, it is ready to collect." in body  # the thread so far
    assert "Is my order ready?" in body


def _full(msg: EmailMessage) -> str:
    body = msg.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def test_a_reply_to_a_customer_who_replied_stop_is_refused(bridge: BridgeProcess) -> None:
    customer = "+447700900301"
    original = customer_texts(bridge, customer, SALES, "Do you deliver?")
    httpx.post(
        f"http://127.0.0.1:{bridge.http_port}/webhooks/sandbox/inbound",
        data={"From": customer, "To": SALES, "Body": "STOP"},
        timeout=10,
    )
    bridge.wait_until(lambda: sent_to(bridge, customer), what="the STOP confirmation")
    reply = gmail(original, "Yes we do")
    said = converse(
        bridge.smtp_address,
        mail_from="bob@example.com",
        rcpts=[f"{customer}@sms.example.com"],  # RCPT cannot know the thread yet
        content=reply.as_bytes(),
    )
    # but a STOP stops every sender (compliance.opt_out_scope): refused at RCPT already
    [(code, answer)] = said.rcpts
    assert code == 550 and f"replied STOP to {SALES}" in answer and said.data is None
    assert len(sent_to(bridge, customer)) == 1  # the confirmation only


def test_an_unknown_thread_with_two_numbers_is_refused_with_how_to_choose(
    bridge: BridgeProcess,
) -> None:
    customer = "+447700900302"
    customer_texts(bridge, customer, SALES, "Hello sales")
    customer_texts(bridge, customer, SUPPORT, "Hello support")
    reply = EmailMessage()
    reply["From"] = "bob@example.com"
    reply["To"] = f"{customer}@sms.example.com"
    reply["Subject"] = "RE: your question"
    reply.set_content("We will call you.")
    said = converse(
        bridge.smtp_address,
        mail_from="bob@example.com",
        rcpts=[f"{customer}@sms.example.com"],
        content=reply.as_bytes(),
    )
    assert said.data is not None
    code, answer = said.data
    assert code == 550
    assert "in conversation with several of your numbers" in answer
    assert f"{customer}.via.447700900100@sms.example.com" in answer
    assert not sent_to(bridge, customer)


def test_a_forward_is_not_a_reply(bridge: BridgeProcess) -> None:
    customer = "+447700900303"
    original = customer_texts(bridge, customer, SALES, "Price list please")
    forward = EmailMessage()
    forward["From"] = "bob@example.com"
    forward["To"] = f"{customer}@sms.example.com"
    forward["Subject"] = f"Fwd: {original['Subject']}"
    forward["In-Reply-To"] = original["Message-ID"]
    forward["Message-ID"] = make_msgid(domain="example.com")
    forward.set_content("Our prices are on the website.")
    code, _ = send(bridge, forward, f"{customer}@sms.example.com")
    assert code == 250
    [text] = bridge.wait_until(lambda: sent_to(bridge, customer), what="the forward texted")
    assert text["sender"] == "ExampleCo"  # the sender rules decide


def test_owner_hands_over_and_closes_with_a_line(bridge: BridgeProcess) -> None:
    customer = "+447700900304"
    original = customer_texts(bridge, customer, SALES, "Can someone call me?")
    reply = gmail(original, "/owner jane@example.com\nJane will call you this afternoon.")
    code, answer = send(bridge, reply, f"{customer}@sms.example.com")
    assert code == 250 and "handed over to jane@example.com" in answer, answer
    [text] = bridge.wait_until(lambda: sent_to(bridge, customer), what="the reply texted")
    assert text["text"] == "Jane will call you this afternoon."  # the command is not texted

    assert customer_texts(bridge, customer, SALES, "Thanks")["To"] == "jane@example.com"

    closing = gmail(original, "/close")
    code, answer = send(bridge, closing, f"{customer}@sms.example.com")
    assert code == 250 and answer == "2.0.0 No text sent; conversation with +44 7700 900304 closed"
    assert len(sent_to(bridge, customer)) == 1
    assert customer_texts(bridge, customer, SALES, "Hello?")["To"] == "sales@example.com"


def test_smsbridge_thread_prints_the_conversation(bridge: BridgeProcess) -> None:
    customer = "+447700900305"
    original = customer_texts(bridge, customer, SALES, "Need a quote")
    send(bridge, gmail(original, "Sending it now"), f"{customer}@sms.example.com")
    bridge.wait_until(lambda: sent_to(bridge, customer), what="the reply texted")
    shown = bridge.cli("thread", customer)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].startswith(
        "+44 7700 900305 and +44 7700 900100: live, owned by bob@example.com (conversation c"
    )
    assert lines[1].endswith("<- +44 7700 900305: Need a quote")
    assert lines[2].endswith("-> bob@example.com: Sending it now")


def test_a_command_for_no_conversation_is_refused_and_nothing_is_texted(
    bridge: BridgeProcess,
) -> None:
    """A new email (no thread, a plain address) goes from the sender rules' "ExampleCo", which
    has no conversation to hand over: the author is told, rather than the line ignored."""
    customer = "+447700900306"
    email = EmailMessage()
    email["From"] = "bob@example.com"
    email["To"] = f"{customer}@sms.example.com"
    email["Subject"] = "Your delivery"
    email.set_content("/owner jane@example.com\nYour parcel arrives tomorrow.")
    said = converse(
        bridge.smtp_address,
        mail_from="bob@example.com",
        rcpts=[f"{customer}@sms.example.com"],
        content=email.as_bytes(),
    )
    assert said.data is not None
    code, answer = said.data
    assert code == 550 and "do not say which conversation" in answer
    assert not sent_to(bridge, customer)
