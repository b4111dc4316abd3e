"""``[smtp.sender_auth]``: an allowed sender needs a DMARC-aligned pass for its domain.

Every record (SPF, the DKIM key, DMARC) is published by a DNS server the test starts on the
loopback address (``tests/support/dns_server.py``), and the bridge is pointed at it with
``sender_auth.nameservers``: nothing here asks the internet. The emails come from 127.0.0.1,
which is in the bridge's trusted networks, so before this only the allow-list stood between a
forged From and a text.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dkim
import pytest

from tests.conftest import IN_CI, free_port
from tests.support.bridge_process import BridgeProcess
from tests.support.dns_server import DnsServer
from tests.support.smtp_client import Dialogue, converse, message

TO = "+447700900123@sms.example.com"
DOMAINS = ["example.com", "signed.example", "nopolicy.example", "forged.example"]


def _openssl() -> str:
    found = shutil.which("openssl")
    if found is None:
        if IN_CI:
            pytest.fail("openssl is missing: .ci/test installs it")
        pytest.skip("openssl is not installed")
    return found


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BridgeProcess, bytes]]:
    """The DNS server with four domains' records, a DKIM key for one, and a bridge using it."""
    folder = tmp_path_factory.mktemp("sender-auth")
    private = folder / "dkim.pem"
    subprocess.run([_openssl(), "genrsa", "-out", private, "2048"], check=True, capture_output=True)
    public = subprocess.run(
        [_openssl(), "rsa", "-in", private, "-pubout", "-outform", "DER"],
        check=True,
        capture_output=True,
    ).stdout
    zone = {
        # example.com sends from 127.0.0.1 (its mail server); SPF aligned: DMARC passes
        "example.com": [("TXT", "v=spf1 ip4:127.0.0.1 -all")],
        "_dmarc.example.com": [("TXT", "v=DMARC1; p=reject")],
        # signed.example sends from elsewhere, but signs: DKIM aligned
        "signed.example": [("TXT", "v=spf1 ip4:192.0.2.10 -all")],
        "_dmarc.signed.example": [("TXT", "v=DMARC1; p=reject")],
        "s1._domainkey.signed.example": [
            ("TXT", "v=DKIM1; k=rsa; p=" + base64.b64encode(public).decode())
        ],
        # nopolicy.example: SPF passes, no DMARC record
        "nopolicy.example": [("TXT", "v=spf1 ip4:127.0.0.1 -all")],
        # forged.example: someone else's domain, used from here
        "forged.example": [("TXT", "v=spf1 ip4:198.51.100.7 -all")],
        "_dmarc.forged.example": [("TXT", "v=DMARC1; p=reject")],
    }
    with DnsServer(zone) as dns:
        bridge = BridgeProcess(
            folder,
            smtp={"allowed_senders": DOMAINS},
            extra=f'[smtp.sender_auth]\nenabled = true\nnameservers = ["127.0.0.1"]\n'
            f"dns_port = {dns.port}\ntimeout_seconds = 3\n",
        )
        with bridge:
            yield bridge, private.read_bytes()


def _send(bridge: BridgeProcess, sender: str, content: bytes) -> Dialogue:
    return converse(bridge.smtp_address, mail_from=sender, rcpts=[TO], content=content)


def test_an_spf_aligned_sender_is_texted_and_the_result_recorded(world: Any) -> None:
    bridge, _ = world
    email = message(sender="alice@example.com")
    said = _send(bridge, "alice@example.com", email.as_bytes())
    assert said.accepted, said
    [check] = [c for c in bridge._rows("sender_checks") if c["message_id"] == email["Message-ID"]]
    assert check["results"].startswith("Authentication-Results: sms.example.com; spf=pass")
    assert "dmarc=pass" in check["results"] and "header.from=example.com" in check["results"]
    assert not check["refused"] and check["author"] == "alice@example.com"
    [job] = [job for job in bridge.jobs() if job["message_id"] == email["Message-ID"]]
    assert job["author"] == "alice@example.com"


def test_a_dkim_aligned_sender_passes_although_spf_fails(world: Any) -> None:
    bridge, key = world
    content = message(sender="bob@signed.example").as_bytes().replace(b"\n", b"\r\n")
    signature = dkim.sign(
        content, b"s1", b"signed.example", key, include_headers=[b"From", b"To", b"Subject"]
    )
    said = _send(bridge, "bob@signed.example", signature + content)
    assert said.accepted, said


def test_a_forged_sender_is_refused_with_what_failed(world: Any) -> None:
    bridge, _ = world
    said = _send(bridge, "ceo@forged.example", message(sender="ceo@forged.example").as_bytes())
    assert said.data is not None and said.data[0] == 550, said
    sentence = said.data[1]
    assert sentence.startswith("5.7.1 The bridge could not confirm that this email came from")
    assert "forged.example" in sentence and "DMARC fail" in sentence and "SPF fail" in sentence
    assert not [job for job in bridge.jobs() if job["author"] == "ceo@forged.example"]
    refused = [c for c in bridge._rows("sender_checks") if c["author"] == "ceo@forged.example"]
    assert refused and refused[0]["refused"] and "dmarc=fail" in refused[0]["results"]


def test_a_domain_without_a_dmarc_policy_is_refused(world: Any) -> None:
    bridge, _ = world
    said = _send(bridge, "x@nopolicy.example", message(sender="x@nopolicy.example").as_bytes())
    assert said.data is not None and said.data[0] == 550, said
    assert "nopolicy.example publishes no DMARC policy" in " ".join(said.data[1].split())


def test_a_from_header_of_another_domain_is_refused(world: Any) -> None:
    bridge, _ = world
    content = message(sender="boss@forged.example").as_bytes()
    said = _send(bridge, "alice@example.com", content)  # envelope allowed, From someone else's
    assert said.data is not None and said.data[0] == 550, said
    assert "its From header is at forged.example, not example.com" in " ".join(said.data[1].split())


async def test_sender_checks_are_kept_by_message_id(store: Any) -> None:
    at = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    results = "Authentication-Results: sms.example.com; spf=pass; dmarc=pass"
    await store.add_sender_check("<m1@example.com>", author="a@example.com", results=results,
                                 refused=False, now=at)  # fmt: skip
    assert await store.sender_checks("<m1@example.com>") == [results]
    assert await store.sender_checks("<m2@example.com>") == []


def test_dns_that_does_not_answer_is_a_temporary_refusal(tmp_path: Path) -> None:
    """No answer from the resolvers: 451, so the sending server tries again later."""
    silent = free_port()  # nothing listens there
    bridge = BridgeProcess(
        tmp_path,
        extra=f'[smtp.sender_auth]\nenabled = true\nnameservers = ["127.0.0.1"]\n'
        f"dns_port = {silent}\ntimeout_seconds = 1\n",
    )
    with bridge:
        said = _send(bridge, "alice@example.com", message(sender="alice@example.com").as_bytes())
    assert said.data is not None and said.data[0] == 451, said
    assert not bridge.jobs()
