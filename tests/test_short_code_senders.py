"""A short code the bridge owns as an author's sender: accepted by the settings only when it is
one of ``[[numbers]]`` (with its country), refused otherwise at its line with what to write,
and texts go out from it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.errors import ConfigError
from tests.conftest import IN_CI, free_port, make_settings, require_shared
from tests.support.bridge_process import BridgeProcess
from tests.support.prism import RecordingProxy, prism_command, run_prism
from tests.support.smtp_client import converse, message

SHORT, CUSTOMER = "60777", "+447700900123"
OWNED = f"""
[[numbers]]
number = "{SHORT}"
country = "GB"
inbox = ["offers@example.com"]
"""
RULE = f"""
[[senders.rules]]
match = "offers.example.com"
sender = "{SHORT}"
"""


def test_an_owned_short_code_is_a_sender_rules_sender(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, extra=OWNED + RULE)
    assert [rule.sender for rule in settings.senders.rules] == [SHORT]
    default = make_settings(tmp_path, extra=OWNED, senders={"default": SHORT})
    assert default.senders.default == SHORT


@pytest.mark.parametrize(
    ("extra", "at", "key", "words"),
    [
        (RULE, "sender =", "senders.rules.0.sender", "60777 is a short code but not one of"),
        (
            '[[numbers]]\nnumber = "60777"\n' + RULE,
            "[[numbers]]",
            "numbers.0",
            "'60777' is a short code: say its country",
        ),
        (
            RULE.replace(SHORT, "6077"),
            "sender =",
            "senders.rules.0.sender",
            'add it there with its country (number = "6077", country = "GB")',
        ),
    ],
)
def test_a_short_code_sender_that_is_not_owned_is_refused_at_its_line(
    tmp_path: Path, extra: str, at: str, key: str, words: str
) -> None:
    with pytest.raises(ConfigError) as info:
        make_settings(tmp_path, extra=extra)
    report = info.value.report()
    lines = (tmp_path / "bridge.toml").read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if text.startswith(at))
    [fault] = [f for f in report.splitlines() if f": {key}: " in f]
    assert words in fault, report
    assert f"bridge.toml:{line}: " in fault, report


def test_a_text_from_a_short_code_rule_goes_out_from_it(tmp_path: Path) -> None:
    bridge = BridgeProcess(tmp_path, extra=OWNED + RULE, queue={"poll_seconds": 0.1})
    with bridge:
        to = f"{CUSTOMER}@sms.example.com"
        said = converse(
            bridge.smtp_address,
            mail_from="ann@offers.example.com",
            rcpts=[to],
            content=message(to=to, sender="ann@offers.example.com").as_bytes(),
        )
        assert said.data[0] == 250, said
        [sent] = bridge.wait_until(bridge.sandbox_sent, what="the text")
        # marked sent just after the provider took it: the end of this block kills the bridge
        [job] = bridge.wait_until(
            lambda: [j for j in bridge.jobs() if j["state"] != "sending"], what="its mark"
        )
    assert sent["sender"] == SHORT and sent["to"] == CUSTOMER
    assert (job["sender"], job["state"]) == (SHORT, "sent")


@pytest.fixture
def prism() -> Iterator[str]:
    if prism_command() is None:
        if IN_CI:
            pytest.fail("prism is missing: .ci/test installs it")
        pytest.skip("prism is not installed (bash .ci/test installs it)")
    spec = require_shared("specs", "twilio_api_v2010.json")
    with run_prism(spec, free_port()) as url:
        yield url


def test_twilios_contract_takes_a_short_code_as_from(tmp_path: Path, prism: str) -> None:
    sid = f"AC{'0' * 32}"
    with RecordingProxy(prism) as proxy:
        bridge = BridgeProcess(
            tmp_path,
            provider={"name": "twilio"},
            extra=OWNED
            + RULE
            + f'[provider.twilio]\naccount_sid = "{sid}"\nbase_url = "{proxy.url}"\n',
            env={"SMSBRIDGE_PROVIDER__TWILIO__AUTH_TOKEN": "test-token-not-secret"},
        )
        with bridge:
            to = f"{CUSTOMER}@sms.example.com"
            said = converse(
                bridge.smtp_address,
                mail_from="ann@offers.example.com",
                rcpts=[to],
                content=message(to=to, sender="ann@offers.example.com").as_bytes(),
            )
            assert said.accepted, said
            bridge.wait_until(
                lambda: [j for j in bridge.jobs() if j["state"] == "sent"], what="the text sent"
            )
    [post] = [r for r in proxy.requests if r.method == "POST"]
    assert post.status == 201 and post.form["From"] == [SHORT] and post.form["To"] == [CUSTOMER]
