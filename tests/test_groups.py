"""Group addresses through the bridge's own SMTP listener: ``drivers@`` texts the contacts
tagged drivers (imported with ``smsbridge contacts import``), each through the outbound chain
(an opted-out driver is skipped and named in the author's notice); a group the author's
sender rule does not name, an unknown group and a group too large are refused at RCPT TO."""

from __future__ import annotations

import asyncio
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from bridge.app import Bridge
from bridge.settings.root import Settings
from tests.conftest import make_settings
from tests.support.cli import run_cli
from tests.support.smtp_client import Dialogue, converse, message

ANN, BOB, CAT, DAN = "+447700900201", "+447700900202", "+447700900203", "+447700900204"
BOOK = (
    "number,name,tags\n"
    f"{ANN},Ann Archer,drivers\n"
    f"{BOB},Bob Baker,drivers|night\n"
    f"{CAT},Cat Cole,drivers\n"
    f"{DAN},Dan Dale,office\n"
)
RULES = """
[[senders.rules]]
match = "alice@example.com"
sender = "ExampleCo"
groups = ["drivers", "office"]

[[senders.rules]]
match = "carol@example.com"
sender = "ExampleCo"
groups = ["*"]

[[senders.rules]]
match = "example.com"
sender = "ExampleCo"

[templates.entries]
shift = "Hi {first_name}, your shift starts at {time}."
"""


async def _settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], *, max_size: int = 500
) -> Settings:
    settings = make_settings(tmp_path, extra=RULES, groups={"max_size": max_size})
    config = str(tmp_path / "bridge.toml")
    book = tmp_path / "book.csv"
    book.write_text(BOOK, encoding="utf-8")
    code, out, err = await asyncio.to_thread(
        run_cli, capsys, config, "contacts", "import", str(book)
    )
    assert code == 0, (out, err)
    code, out, err = await asyncio.to_thread(
        run_cli,
        capsys,
        config,
        "consent",
        "opt-out",
        CAT,
        "--by",
        "admin@example.com",
        "--reason",
        "asked by phone",
    )
    assert code == 0, (out, err)
    return settings


async def _send(
    bridge: Bridge, rcpts: list[str], *, author: str = "alice@example.com", **fields: str
) -> Dialogue:
    msg = message(sender=author, to=", ".join(rcpts), **fields)
    return await asyncio.to_thread(
        converse, bridge.smtp_address, mail_from=author, rcpts=rcpts, content=msg.as_bytes()
    )


async def _notice(settings: Settings) -> EmailMessage:
    for _ in range(100):
        for path in (settings.bridge.data_dir / "mail").rglob("*"):
            if path.is_file():
                msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
                assert isinstance(msg, EmailMessage)
                return msg
        await asyncio.sleep(0.05)
    raise AssertionError("no notice was emailed")


async def test_a_group_texts_its_members_through_the_chain_skipping_an_opted_out_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = await _settings(tmp_path, capsys)
    async with Bridge(settings) as bridge:
        said = await _send(
            bridge,
            ["Drivers@sms.example.com"],
            subject="[template shift] Rota",
            body="time: 06:00",
        )
        assert said.rcpts == [(250, "2.1.5 Group drivers: 3 contacts")]
        assert said.data is not None and said.data[0] == 250, said
        assert "Queued 2 texts" in said.data[1] and "1 refused (a notice follows)" in said.data[1]
        jobs = {j.to_number: j for j in await bridge.store.recent_sms(limit=50)}
        assert set(jobs) == {ANN, BOB}  # Cat opted out; Dan is not a driver
        assert jobs[ANN].text == "Hi Ann, your shift starts at 06:00."
        assert jobs[BOB].text == "Hi Bob, your shift starts at 06:00."
        notice = await _notice(settings)
        assert notice["To"] == "alice@example.com"
        body = notice.get_body(("plain",))
        assert body is not None
        content = " ".join(str(body.get_content()).split())
        assert f"{CAT} is on the organisation's opt-out list" in content, content
        assert ANN not in content and BOB not in content


async def test_a_group_and_its_member_written_again_text_them_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = await _settings(tmp_path, capsys)
    async with Bridge(settings) as bridge:
        said = await _send(bridge, ["office@sms.example.com", f"{DAN}@sms.example.com"])
        assert said.rcpts[0] == (250, "2.1.5 Group office: 1 contact")
        assert said.data is not None and said.data[0] == 250, said
        assert [j.to_number for j in await bridge.store.recent_sms(limit=50)] == [DAN]


async def test_groups_not_allowed_unknown_or_too_large_are_refused_at_rcpt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = await _settings(tmp_path, capsys, max_size=3)
    async with Bridge(settings) as bridge:
        said = await _send(bridge, ["drivers@sms.example.com"], author="bob@example.com")
        [(code, reply)] = said.rcpts
        assert code == 550 and reply.startswith(
            "5.7.1 bob@example.com may not text the group drivers."
        ), reply
        said = await _send(bridge, ["nobody@sms.example.com"], author="carol@example.com")
        [(code, reply)] = said.rcpts
        assert code == 550 and reply.startswith('5.1.3 "nobody" is not a phone number'), reply
        assert reply.endswith("Nor is it a group: no contact is tagged nobody."), reply
        # three drivers fit, but not with the office as well
        said = await _send(
            bridge,
            ["drivers@sms.example.com", "office@sms.example.com"],
            author="carol@example.com",
        )
        assert said.rcpts[0] == (250, "2.1.5 Group drivers: 3 contacts")
        code, reply = said.rcpts[1]
        assert code == 550 and reply.startswith(
            "5.5.3 The group office (1 contact) and the groups before it"
        ), reply
        assert "groups.max_size" in reply
        assert said.data is not None and said.data[0] == 250  # the drivers went
        assert len(await bridge.store.recent_sms(limit=50)) == 2
    settings = make_settings(tmp_path, extra=RULES, groups={"max_size": 2})
    async with Bridge(settings) as bridge:
        said = await _send(bridge, ["drivers@sms.example.com"])
        [(code, reply)] = said.rcpts
        assert code == 550 and reply.startswith(
            "5.5.3 The group drivers has more than 2 contacts"
        ), reply


def test_a_sender_rule_naming_a_tag_no_address_can_hold_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_settings(tmp_path)
    path = tmp_path / "bridge.toml"
    with path.open("a", encoding="utf-8") as file:
        file.write('[[senders.rules]]\nmatch = "a@example.com"\nsender = "X"\n')
        file.write('groups = ["night shift"]\n')
    code, _, err = run_cli(capsys, str(path), "check-config")
    assert code == 2
    assert "senders.rules.0.groups: 'night shift' cannot be a group address" in err, err
