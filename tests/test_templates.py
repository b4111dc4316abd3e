"""Named templates: the pure parts by tables of cases, then through the bridge's own SMTP
listener (a subject tag, a missing field, an unknown name, a canned answer in a reply), the
settings check and the ``smsbridge templates`` command."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import make_msgid
from pathlib import Path

import httpx
import pytest

from bridge.app import Bridge
from bridge.errors import Refused
from bridge.models import Contact, JobState, SmsJob
from bridge.parsing.commands import split_commands
from bridge.parsing.placeholders import syntax_problems
from bridge.parsing.tags import template_tags
from bridge.settings.root import Settings
from bridge.templates.fields import body_fields, contact_fields, merged
from bridge.templates.loader import load_library
from tests.conftest import make_settings
from tests.support.cli import run_cli
from tests.support.smtp_client import Dialogue, converse, message

ANN, NAMELESS, STRANGER = "+447700900123", "+447700900124", "+447700900125"
SALES = "+447700900100"
TEMPLATES = f"""
[templates]
folder = "templates"

[templates.entries]
parcel = "Hi {{first_name}}, parcel {{parcel}} arrives at {{time|noon}}."
hours = "Hello {{first_name|there}}, we are open 9:00 to 17:00 on weekdays."

[[numbers]]
number = "{SALES}"
inbox = ["sales@example.com"]
timezone = "Europe/London"
"""


# -- the pure parts ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Hi {first_name}, {order|soon}.", ""),
        ("Braces {{as written}}", ""),
        ("Hi {first name", "line 1: a brace that opens or closes no placeholder"),
        ("fine\nHi first_name}", "line 2: a brace that opens or closes no placeholder"),
        ("Hi {}", "line 1: a placeholder names no field"),
    ],
)
def test_syntax_problems_find_what_a_customer_would_see_as_written(text: str, problem: str) -> None:
    found = syntax_problems(text)
    assert found[0].startswith(problem) if problem else found == (), found


def test_body_fields_are_field_lines_and_anything_else_is_refused() -> None:
    assert body_fields("First name: Ann\n\nOrder-No: 12:30 today\n") == {
        "first_name": "Ann",
        "order_no": "12:30 today",
    }
    with pytest.raises(Refused) as refused:
        body_fields("parcel: AB12\nSee you soon")
    assert refused.value.status == "5.6.0" and "'See you soon' is not one" in refused.value.reason


def test_the_body_wins_over_the_contact_but_an_empty_field_does_not_hide_it() -> None:
    contact = contact_fields(Contact(number=ANN, name="Ann Marie Smith", email="ann@example.org"))
    assert contact == {
        "name": "Ann Marie Smith",
        "first_name": "Ann",
        "last_name": "Marie Smith",
        "email": "ann@example.org",
    }
    assert contact_fields(Contact(number=ANN)) == {}
    assert merged({"first_name": "Annie", "name": ""}, contact)["first_name"] == "Annie"
    assert merged({"first_name": "Annie", "name": ""}, contact)["name"] == "Ann Marie Smith"


def test_template_tags_and_canned_lines_name_the_template() -> None:
    assert template_tags("[Template Parcel] Your parcel") == (("Parcel",), "Your parcel")
    assert template_tags("[templates x] [template] y") == ((), "[templates x] [template] y")
    commands, rest = split_commands("/canned hours\norder: 12\n\n> quoted")
    assert commands.canned == "hours" and not commands and rest == "order: 12\n\n> quoted"
    with pytest.raises(Refused):
        split_commands("/canned\nHello")


def test_the_loader_reads_a_folder_and_entries_and_names_each_problem(tmp_path: Path) -> None:
    (tmp_path / "hours.txt").write_text("\ufeffOpen {days}.\n", encoding="utf-8")
    (tmp_path / "parcel.txt").write_text("From the file", encoding="utf-8")
    (tmp_path / "broken.txt").write_text("ok\nHi {first name", encoding="utf-8")
    (tmp_path / "latin.txt").write_bytes("Caf\xe9".encode("latin-1"))
    (tmp_path / "notes.md").write_text("not a template", encoding="utf-8")
    library, problems = load_library(tmp_path, {"Parcel": "From the entry", "no way": "x"})
    assert [t.name for t in library] == ["hours", "parcel"]
    assert library.named("HOURS").text == "Open {days}." and library.named("hours").template.fields
    assert library.named("parcel").text == "From the entry"  # an entry wins over a file
    assert sorted(problems) == sorted(
        [
            f"{tmp_path / 'broken.txt'}: line 2: a brace that opens or closes no placeholder;"
            " write {field_name}, or {{ and }} for a brace itself",
            f"{tmp_path / 'latin.txt'}: not UTF-8 text; save it as UTF-8",
            "templates.entries.no way: 'no way' is not a template name: use letters, digits,"
            " - and _ (at most 64), starting with a letter or digit, e.g. reminder",
        ]
    )
    with pytest.raises(Refused) as refused:
        library.named("nope")
    assert (
        refused.value.reason
        == "There is no template called 'nope'; the templates are: hours, parcel."
    )


# -- through the SMTP listener ---------------------------------------------------------------


def _settings(tmp_path: Path) -> Settings:
    folder = tmp_path / "templates"
    folder.mkdir(exist_ok=True)
    (folder / "welcome.txt").write_text("Welcome, {name}!\n", encoding="utf-8")
    return make_settings(tmp_path, extra=TEMPLATES)


async def _send(bridge: Bridge, msg: EmailMessage, rcpts: list[str]) -> Dialogue:
    return await asyncio.to_thread(
        converse,
        bridge.smtp_address,
        mail_from="alice@example.com",
        rcpts=rcpts,
        content=msg.as_bytes(),
    )


async def _texts(bridge: Bridge) -> dict[str, SmsJob]:
    return {job.to_number: job for job in await bridge.store.recent_sms(limit=50)}


def _at(number: str) -> str:
    return f"{number}@sms.example.com"


async def test_a_subject_tag_texts_the_template_filled_from_the_body_and_the_contact(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path)
    async with Bridge(settings) as bridge:
        await bridge.store.save_contacts(
            [Contact(number=ANN, name="Ann Smith")], now=datetime.now(UTC)
        )
        email = message(subject="[template parcel] Your parcel", body="parcel: AB12\n")
        said = await _send(bridge, email, [_at(ANN)])
        assert said.data is not None and said.data[0] == 250, said
        job = (await _texts(bridge))[ANN]
        assert job.text == "Hi Ann, parcel AB12 arrives at noon."
        assert job.subject == "Your parcel"  # the tag is taken out
        # a field the email gives wins over the contact's; a file's template by its name
        email = message(subject="[template PARCEL]", body="First name: Annie\nparcel: CD34\n")
        said = await _send(bridge, email, [_at(ANN)])
        assert said.data is not None and said.data[0] == 250, said
        texts = [j.text for j in await bridge.store.recent_sms(limit=50)]
        assert "Hi Annie, parcel CD34 arrives at noon." in texts
        said = await _send(bridge, message(subject="[template welcome]", body=""), [_at(ANN)])
        assert said.data is not None and said.data[0] == 250, said
        assert "Welcome, Ann Smith!" in [j.text for j in await bridge.store.recent_sms(limit=50)]


async def test_a_missing_field_refuses_the_email_naming_it_and_sends_nothing(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path)
    async with Bridge(settings) as bridge:
        await bridge.store.save_contacts(
            [Contact(number=ANN, name="Ann"), Contact(number=NAMELESS, email="x@example.org")],
            now=datetime.now(UTC),
        )
        email = message(subject="[template parcel] Parcel", body="parcel: AB12")
        said = await _send(bridge, email, [_at(ANN), _at(NAMELESS), _at(STRANGER)])
        assert said.data is not None and said.data[0] == 550, said
        reason = said.data[1]
        assert reason.startswith("5.6.0 The template parcel needs {first_name}"), reason
        assert f"for {NAMELESS}, {STRANGER})" in reason and ANN not in reason
        assert await bridge.store.recent_sms(limit=50) == []
        # with a default in the template, a contact without a name is fine
        said = await _send(bridge, message(subject="[template hours]", body=""), [_at(STRANGER)])
        assert said.data is not None and said.data[0] == 250, said
        job = (await _texts(bridge))[STRANGER]
        assert job.text == "Hello there, we are open 9:00 to 17:00 on weekdays."
        assert "{" not in job.text


async def test_an_unknown_template_and_a_body_that_is_not_fields_are_refused(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path)
    async with Bridge(settings) as bridge:
        said = await _send(bridge, message(subject="[template parcle] Hi"), [_at(ANN)])
        assert said.data == (
            550,
            "5.6.0 There is no template called 'parcle'; the templates are: hours, parcel,"
            " welcome.",
        )
        email = message(subject="[template parcel]", body="parcel: 1\nfirst_name: Ann\nThanks!")
        said = await _send(bridge, email, [_at(ANN)])
        assert said.data is not None and said.data[0] == 550
        assert "'Thanks!' is not one" in said.data[1]
        assert await bridge.store.recent_sms(limit=50) == []


async def test_a_canned_answer_in_a_reply_texts_the_template_from_the_customers_number(
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path)
    async with Bridge(settings) as bridge:
        await bridge.store.save_contacts(
            [Contact(number=ANN, name="Ann Smith")], now=datetime.now(UTC)
        )
        url = f"http://{bridge.http_address}/webhooks/sandbox/inbound"
        fields = {"From": ANN, "To": SALES, "Body": "When are you open?"}
        answer = await asyncio.to_thread(httpx.post, url, data=fields, timeout=10)
        assert answer.status_code == 200, answer.text
        original = await _email_of_text(settings)
        reply = EmailMessage()
        reply["From"] = "alice@example.com"
        reply["To"] = original["From"]
        reply["Subject"] = f"Re: {original['Subject']}"
        reply["Message-ID"] = make_msgid(domain="example.com")
        reply["In-Reply-To"] = original["Message-ID"]
        reply.set_content(
            "/canned hours\n\nOn Mon, 7 Dec 2026, SMS Bridge wrote:\n> When are you open?\n"
        )
        to = str(original["From"].addresses[0].addr_spec)
        said = await _send(bridge, reply, [to])
        assert said.data is not None and said.data[0] == 250, said
        job = (await _texts(bridge))[ANN]
        assert job.text == "Hello Ann, we are open 9:00 to 17:00 on weekdays."
        assert job.sender == SALES  # the number the customer texted, as any reply
        assert "canned" not in job.text
        # with /close as well: the answer goes, and the conversation is closed
        reply.replace_header("Message-ID", make_msgid(domain="example.com"))
        reply.set_content("/close\n/canned hours\n")
        said = await _send(bridge, reply, [to])
        assert said.data is not None and said.data[0] == 250, said
        assert said.data[1].endswith("; conversation with +44 7700 900123 closed"), said
        assert len(await bridge.store.recent_sms(limit=50)) == 2
        for _ in range(100):
            if (await _texts(bridge))[ANN].state is JobState.SENT:
                break
            await asyncio.sleep(0.05)
        assert (await _texts(bridge))[ANN].state is JobState.SENT


async def _email_of_text(settings: Settings) -> EmailMessage:
    for _ in range(100):
        for path in (settings.bridge.data_dir / "mail").rglob("*"):
            if path.is_file():
                msg = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
                assert isinstance(msg, EmailMessage)
                return msg
        await asyncio.sleep(0.05)
    raise AssertionError("the customer's text was not emailed")


# -- the settings check and the command ------------------------------------------------------


def test_check_config_names_the_file_and_line_of_a_broken_template(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = _settings(tmp_path)
    assert settings.templates.entries["parcel"]
    (tmp_path / "templates" / "broken.txt").write_text("Hi\nHi {first name", encoding="utf-8")
    config = str(tmp_path / "bridge.toml")
    code, _, err = run_cli(capsys, config, "check-config")
    broken = tmp_path / "templates" / "broken.txt"
    assert code == 2, err
    assert f"templates.folder: {broken}: line 2: a brace that opens or closes no placeholder" in err
    assert f"{config}:" in err.splitlines()[1]  # with the line of the key in the settings file


def test_smsbridge_templates_lists_and_shows_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _settings(tmp_path)
    config = str(tmp_path / "bridge.toml")
    code, out, _ = run_cli(capsys, config, "templates")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["NAME", "FIELDS", "WHERE"]
    assert [line.split()[0] for line in lines[1:]] == ["hours", "parcel", "welcome"]
    assert "first_name, parcel, time" in lines[2] and "templates.entries.parcel" in lines[2]
    code, out, _ = run_cli(capsys, config, "templates", "show", "parcel")
    assert code == 0
    assert out.splitlines() == [
        "Template parcel (templates.entries.parcel)",
        "Fields:",
        "  first_name: from a line of the email, else the contact",
        "  parcel: from a line of the email",
        "  time: from a line of the email",
        "Text:",
        "Hi {first_name}, parcel {parcel} arrives at {time|noon}.",
    ]
    code, out, _ = run_cli(capsys, config, "templates", "show", "nope")
    assert code == 1 and "the templates are: hours, parcel, welcome" in out
