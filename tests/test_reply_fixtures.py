"""Every reply in ../shared/fixtures against what a person reading it sees as the new text.

The expectations are those of ../shared/fixtures/README.md. One correction: the README says
the HTML replies' new text is "Reply", but every HTML file's new text is "Hi. I am fine.
Thanks, Alex" above a quoted "Hello! How are you? ... Sasha."; the test checks what a
person sees in the files.
"""

from __future__ import annotations

import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from bridge.parsing.message import TextOptions, extract_text
from tests.conftest import SHARED, require_shared

PLAIN = SHARED / "fixtures" / "plain-replies"
HTML = SHARED / "fixtures" / "html-replies"
EXACT = {
    "email_2_1.txt": "Outlook with a reply",
    "email_2_2.txt": "Outlook with a reply directly above line",
    "email_2_3.txt": "Outlook with a reply directly above line",
    "email_iPhone.txt": "Here is another email",
    "email_BlackBerry.txt": "Here is another email",
    "email_multi_word_sent_from_my_mobile_device.txt": "Here is another email",
    "email_sent_from_my_not_signature.txt": (
        "Here is another email\n\nSent from my desk, is much easier then my mobile phone."
    ),
    "correct_sig.txt": "this is an email with a correct -- signature.",
}
STARTS = {
    "email_1_3.txt": "Oh thanks.\n\nHaving",
    "email_1_4.txt": "Awesome",
    "email_1_6.txt": "I get",
}
QUOTED_HTML = ("Hello", "How are you", "Sasha", "From:", "wrote", "Subject")


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else ["(missing)"]


def _email(body: str, subtype: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = "Re: test"
    msg.set_content(body, subtype=subtype)
    return msg


def _text(path: Path, subtype: str = "plain") -> str:
    body = path.read_text(encoding="utf-8", errors="replace")
    return extract_text(_email(body, subtype), options=TextOptions())


@pytest.mark.parametrize("name", _files(PLAIN))
def test_plain_reply(name: str) -> None:
    path = require_shared("fixtures", "plain-replies", name)
    started = time.perf_counter()
    text = _text(path)
    assert time.perf_counter() - started < 0.5, "parsing took too long"
    assert text, "every fixture has some new text"
    if name in EXACT:
        assert text == EXACT[name]
    if name in STARTS:
        assert text.startswith(STARTS[name])
    assert "wrote:" not in text and not any(line.startswith(">") for line in text.splitlines())


def test_email_1_3_leaves_out_the_dash_signature() -> None:
    text = _text(require_shared("fixtures", "plain-replies", "email_1_3.txt"))
    assert text == "Oh thanks.\n\nHaving the function would be great."


def test_email_1_7_keeps_the_emoji_code_with_windows_line_endings() -> None:
    assert _text(require_shared("fixtures", "plain-replies", "email_1_7.txt")) == ":+1:"


def test_a_dash_dash_inside_a_line_is_not_a_signature() -> None:
    path = require_shared("fixtures", "plain-replies", "email_sig_delimiter_in_middle_of_line.txt")
    assert _text(path).endswith("And here is a fix -- this is not a signature.\n\nkthxbai")


@pytest.mark.parametrize("name", _files(HTML))
def test_html_reply(name: str) -> None:
    path = require_shared("fixtures", "html-replies", name)
    text = _text(path, "html")
    assert text.replace("\n\n", "\n") == "Hi. I am fine.\nThanks,\nAlex"
    assert not any(word in text for word in QUOTED_HTML)
