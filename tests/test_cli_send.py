"""``smsbridge send`` passes the same outbound chain as an email from a mail client.

Each refusal here once went through: the CLI texted a customer who had replied STOP, sent an
empty text, sent from a number the bridge does not own, and ignored a sender's segment limit.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bridge.store.sqlite import SqliteStore
from tests.support.bridge_process import BridgeProcess
from tests.support.smtp_client import converse, message

REPLY, CUSTOMER = "+447700900100", "+447700900123"
SETTINGS = f"""
[[numbers]]
number = "{REPLY}"
inbox = ["team@example.com"]
[[senders.rules]]
match = "sales.example.com"
sender = "{REPLY}"
max_segments = 1
"""


@pytest.fixture
def bridge(tmp_path: Path) -> BridgeProcess:
    return BridgeProcess(tmp_path, extra=SETTINGS)


def _opt_out(bridge: BridgeProcess, customer: str) -> None:
    async def stop() -> None:
        store = SqliteStore(bridge.data_dir / "smsbridge.db")
        await store.open()
        try:
            at = datetime(2026, 12, 1, 18, 30, tzinfo=UTC)
            await store.suppress(reply_number=REPLY, customer=customer, now=at)
        finally:
            await store.close()

    asyncio.run(stop())


def test_an_opted_out_customer_is_refused_with_the_sentence_smtp_gives(
    bridge: BridgeProcess,
) -> None:
    with bridge:  # creates the store
        pass
    _opt_out(bridge, CUSTOMER)
    cli = bridge.cli("send", "--to", CUSTOMER, "--from", REPLY, "Your parcel is here")
    assert cli.returncode == 1
    assert "replied STOP on 2026-12-01 18:30 UTC" in cli.stderr
    with bridge:
        said = converse(
            bridge.smtp_address,
            mail_from="rep@sales.example.com",
            rcpts=[f"{CUSTOMER}@sms.example.com"],
            content=message(to=f"{CUSTOMER}@sms.example.com").as_bytes(),
        )
    [(code, text)] = said.rcpts
    status, _, sentence = text.partition(" ")
    assert (code, status) == (550, "5.7.1")
    assert cli.stderr.strip() == f"smsbridge: not queued: {' '.join(sentence.split())}"
    assert not bridge.jobs()


def test_an_empty_text_is_refused(bridge: BridgeProcess) -> None:
    for text in ("", "   \n  ", "\x07\x1b"):
        cli = bridge.cli("send", "--to", CUSTOMER, text)
        assert cli.returncode == 1 and "The text is empty" in cli.stderr, cli.stderr


def test_a_sender_the_bridge_does_not_own_is_refused(bridge: BridgeProcess) -> None:
    cli = bridge.cli("send", "--to", CUSTOMER, "--from", "+447700900777", "Hello")
    assert cli.returncode == 1
    assert "does not send texts from +447700900777" in cli.stderr
    owned = bridge.cli("send", "--to", CUSTOMER, "--from", REPLY, "Hello")
    assert owned.returncode == 0, owned.stderr


def test_a_senders_segment_limit_holds_for_the_cli(bridge: BridgeProcess) -> None:
    long = "A sentence that repeats. " * 10  # 250 characters: two segments
    limited = bridge.cli("send", "--to", CUSTOMER, "--from", REPLY, long)
    assert limited.returncode == 1 and "the limit is 1" in limited.stderr, limited.stderr
    default = bridge.cli("send", "--to", CUSTOMER, long)  # ExampleCo: the general limit, 6
    assert default.returncode == 0, default.stderr


def test_the_outbox_shows_what_the_chain_did(bridge: BridgeProcess) -> None:
    sent = bridge.cli("send", "--to", CUSTOMER, "--notify", "rep@sales.example.com", "It’s here")
    assert sent.returncode == 0, sent.stderr
    [record] = [json.loads(line) for line in bridge.cli("outbox", "--json").stdout.splitlines()]
    actions = {(hit["rule"], hit["action"]) for hit in record["chain"]}
    assert ("sender", "rewrite") in actions  # the rule for sales.example.com chose the sender
    assert ("segments", "rewrite") in actions  # the typographic apostrophe made plain


def test_outbound_explain_gives_every_rule(bridge: BridgeProcess) -> None:
    with bridge:
        pass
    _opt_out(bridge, CUSTOMER)
    author = ("--author", "rep@sales.example.com")
    refused = bridge.cli("outbound", "explain", *author, "--to", CUSTOMER, "--text", "Hello")
    assert refused.returncode == 1
    assert "sender: rewrite: from +447700900100 (the rule for sales.example.com)" in refused.stdout
    assert "opt-out: refuse" in refused.stdout and "Refused: 550 5.7.1" in refused.stdout
    # the STOP to +447700900100 stops every sender (compliance.opt_out_scope): another customer
    accepted = bridge.cli(
        "outbound",
        "explain",
        "--author",
        "alice@example.com",
        "--to",
        "+447700900456",
        "--text",
        "Hi",
    )
    assert accepted.returncode == 0, accepted.stderr
    for rule in ("sender", "owned-sender", "opt-out", "content", "segments"):
        assert f"  {rule}: " in accepted.stdout
    assert "rate-limit" not in accepted.stdout  # no limit is set: the rule is left out
    assert "Accepted, to be sent at once." in accepted.stdout


def test_send_fills_a_named_template_as_an_email_does(tmp_path: Path) -> None:
    """``--template`` with ``--field``s and the contact's name; a field left without a value
    is refused with the email's sentence, and nothing is queued."""
    entries = '[templates.entries]\nready = "Hi {first_name}, order {order} is ready."\n'
    bridge = BridgeProcess(tmp_path, extra=SETTINGS + entries)
    book = tmp_path / "book.csv"
    book.write_text(f"number,name\n{CUSTOMER},Ann Archer\n", encoding="utf-8")
    assert bridge.cli("contacts", "import", str(book)).returncode == 0
    args = ("send", "--to", CUSTOMER, "--template", "ready")
    short = bridge.cli(*args)
    assert short.returncode == 1 and "needs {order}" in short.stderr, short.stderr
    unknown = bridge.cli("send", "--to", CUSTOMER, "--template", "gone")
    assert "There is no template called 'gone'" in unknown.stderr
    both = bridge.cli(*args, "--field", "order=1", "Hello")
    assert both.returncode == 2 and "not both" in both.stderr
    sent = bridge.cli(*args, "--field", "order=A-1234")
    assert sent.returncode == 0, sent.stderr
    assert [job["body"] for job in bridge.jobs()] == ["Hi Ann, order A-1234 is ready."]
