"""DKIM signatures on the bridge's own email ([mail.dkim]), verified as a receiver would.

The key is made with ``openssl genrsa``; dkimpy's ``verify`` checks the signature against the
public key, handed to it by its ``dnsfunc`` hook as the TXT record ``selector._domainkey.domain``
would publish it.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import dkim
import pytest

from bridge.settings.load import load_settings
from tests.conftest import IN_CI, settings_toml
from tests.support.bridge_process import BridgeProcess
from tests.support.smtp_sink import SmtpSink, ThreadedSmtpSink

REPLY, CUSTOMER = "+447700900100", "+447700900123"


def _openssl() -> str:
    found = shutil.which("openssl")
    if found is None:
        if IN_CI:
            pytest.fail("openssl is missing: .ci/test installs it")
        pytest.skip("openssl is not installed")
    return found


@pytest.fixture(scope="module")
def key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """A private key file and the TXT record that publishes its public half."""
    folder = tmp_path_factory.mktemp("dkim")
    private = folder / "dkim.pem"
    subprocess.run([_openssl(), "genrsa", "-out", private, "2048"], check=True, capture_output=True)
    der = subprocess.run(
        [_openssl(), "rsa", "-in", private, "-pubout", "-outform", "DER"],
        check=True,
        capture_output=True,
    ).stdout
    return private, b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)


def _dns(record: bytes) -> Callable[..., bytes | None]:
    def lookup(name: bytes, timeout: int = 5) -> bytes | None:
        return record if name == b"bridge2026._domainkey.sms.example.com." else None

    return lookup


def _dkim(private: Path) -> str:
    return (
        f'[mail.dkim]\nselector = "bridge2026"\ndomain = "sms.example.com"\n'
        f'private_key_file = "{private}"\n'
    )


@pytest.fixture
def sink() -> Iterator[ThreadedSmtpSink]:
    with SmtpSink.threaded() as running:
        yield running


def test_a_customers_text_emailed_by_smtp_is_signed(
    tmp_path: Path, key: tuple[Path, bytes], sink: ThreadedSmtpSink
) -> None:
    private, record = key
    bridge = BridgeProcess(
        tmp_path,
        mail={"transport": "smtp"},
        extra=f'[[numbers]]\nnumber = "{REPLY}"\ninbox = ["team@example.com"]\n'
        f'[mail.smtp]\nhost = "127.0.0.1"\nport = {sink.port}\nstarttls = false\n' + _dkim(private),
    )
    with bridge:
        said = bridge.cli("simulate-inbound", "--from", CUSTOMER, "--to", REPLY, "Yes please")
        assert said.returncode == 0, said.stderr
        [received] = sink.wait_for(1, timeout=30)
    content = received.content
    assert content.startswith(b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;")
    assert b"d=sms.example.com" in content and b"s=bridge2026" in content
    assert dkim.verify(content, dnsfunc=_dns(record))
    forged = content.replace(b"Yes please", b"Yes pleasf")
    assert not dkim.verify(forged, dnsfunc=_dns(record))
    assert received.parsed()["To"] == "team@example.com"


def test_a_key_that_cannot_sign_is_a_settings_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    config = tmp_path / "bridge.toml"
    config.write_text(settings_toml(tmp_path / "var", extra=_dkim(bad)))
    checked = subprocess.run(
        [sys.executable, "-m", "bridge", "check-config", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 2
    assert "mail.dkim.private_key_file" in checked.stdout + checked.stderr


def test_dkim_settings_load_from_a_key_file(tmp_path: Path, key: tuple[Path, bytes]) -> None:
    config = tmp_path / "bridge.toml"
    config.write_text(settings_toml(tmp_path / "var", extra=_dkim(key[0])))
    settings = load_settings(config)
    assert settings.mail.dkim is not None and settings.mail.dkim.private_key is not None
