"""A bridge killed (SIGKILL) while it stores a bulk send's texts after the preview: the next
start takes the file again at once, stores every text once (those the first stored are not
stored twice), and sends no second preview."""

from __future__ import annotations

import csv
import io
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from tests.support.bridge_process import BridgeProcess
from tests.support.bulk_mail import bulk_email, send_bulk

ROWS = 20_000
RULES = '[[senders.rules]]\nmatch = "example.com"\nsender = "ExampleCo"\n'


def _file() -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(("number", "name"))
    writer.writerows((f"07911 1{i:05d}", f"Customer {i}") for i in range(ROWS))
    return out.getvalue().encode("cp1252")


def _previews(bridge: BridgeProcess) -> list[EmailMessage]:
    found = []
    for raw in bridge.maildir_messages():
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(msg, EmailMessage)
        body = msg.get_body(preferencelist=("plain",))
        if body is not None and "is ready to check" in body.get_content():
            found.append(msg)
    return found


def _storing(bridge: BridgeProcess) -> bool:
    """The preview delivered (its job done, so a restart delivers it no second time) and
    the texts stored in part."""
    mails = bridge.mail_jobs()
    delivered = bool(mails) and all(m["state"] not in ("queued", "sending") for m in mails)
    return delivered and 0 < len(bridge.jobs()) < ROWS


def test_killed_while_storing_the_texts_after_the_preview(tmp_path: Path) -> None:
    bridge = BridgeProcess(
        tmp_path, extra=RULES, queue={"poll_seconds": 0.2}, smtp={"max_message_size": 4_000_000}
    )
    msg = bulk_email(_file(), filename="rota.csv", subject="Rota", body="Hi {name}, see you at 9.")
    with bridge:
        said = send_bulk(bridge.smtp_address, msg)
        assert said.data is not None and said.data[0] == 250
        bridge.wait_until(lambda: _storing(bridge), timeout=60, what="the texts being stored")
        bridge.kill()
    stored = len(bridge.jobs())
    assert 0 < stored < ROWS and len(_previews(bridge)) == 1  # the preview came first
    with bridge:
        jobs = bridge.wait_until(
            lambda: (
                (j := bridge.jobs())
                and len(j) == ROWS
                and {x["state"] for x in j} == {"held"}
                and j
            ),
            timeout=120,
            what="every text held",
        )
        assert len({j["to_number"] for j in jobs}) == ROWS
        assert sorted(j["bulk_line"] for j in jobs) == list(range(2, ROWS + 2))
        [preview] = _previews(bridge)  # and no second one
        assert f"Texts to send: {ROWS:,}" in str(
            preview.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        )
