"""A bridge killed (SIGKILL) while it reads a bulk send's file: the next start takes the
file again at once, the texts the first stored are not stored twice, and one preview
follows."""

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


def test_killed_while_reading_the_file(tmp_path: Path) -> None:
    bridge = BridgeProcess(
        tmp_path, extra=RULES, queue={"poll_seconds": 0.2}, smtp={"max_message_size": 4_000_000}
    )
    msg = bulk_email(_file(), filename="rota.csv", subject="Rota", body="Hi {name}, see you at 9.")
    with bridge:
        said = send_bulk(bridge.smtp_address, msg)
        assert said.data is not None and said.data[0] == 250
        stored = bridge.wait_until(
            lambda: len(bridge.jobs()) or None, timeout=60, what="a first chunk stored"
        )
        bridge.kill()
    assert stored < ROWS and _previews(bridge) == []  # killed mid-way, before the preview
    with bridge:
        [preview] = bridge.wait_until(lambda: _previews(bridge), timeout=120, what="a preview")
        assert f"Texts to send: {ROWS:,}" in str(
            preview.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        )
        jobs = bridge.jobs()
        assert len(jobs) == ROWS and len({j["to_number"] for j in jobs}) == ROWS
        assert {j["state"] for j in jobs} == {"held"}
        assert sorted(j["bulk_line"] for j in jobs) == list(range(2, ROWS + 2))
