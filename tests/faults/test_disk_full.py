"""The database's disk full: the SMTP listener answers 451 and stores nothing of that email;
once there is room again, the mail server's retry is accepted and each text is sent once.

The bridge's data folder is a 4 MB tmpfs, filled up while the bridge runs. Mounting needs
root: in CI (which runs as root) a failure to mount is a failure; elsewhere it is a skip.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.support.bridge_process import BridgeProcess, read_journal
from tests.support.smtp_client import Dialogue, converse, message


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        if IN_CI:
            pytest.fail(f"cannot mount a tmpfs for the disk-full test: {done.stderr}")
        pytest.skip(f"cannot mount a tmpfs (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _email(bridge: BridgeProcess, n: int) -> tuple[Dialogue, bytes]:
    to = f"+4477009002{n % 100:02d}@sms.example.com"
    content = message(to=to, body=f"Disk text {n} " + "x" * 400).as_bytes()
    return converse(
        bridge.smtp_address, mail_from="alice@example.com", rcpts=[to], content=content
    ), content


def test_a_full_disk_gets_451_and_nothing_half_written(tmp_path: Path, small_disk: Path) -> None:
    journal = tmp_path / "sandbox.jsonl"
    bridge = BridgeProcess.on_data_dir(tmp_path, small_disk, journal)
    with bridge:
        assert _email(bridge, 0)[0].accepted
        filler = small_disk / "filler"
        subprocess.run(
            ["dd", "if=/dev/zero", f"of={filler}", "bs=64k"], capture_output=True, check=False
        )  # until the disk is full
        accepted, refused = {0}, {}
        for n in range(1, 400):
            said, content = _email(bridge, n)
            if said.accepted:
                accepted.add(n)
                continue
            assert said.data is not None and said.data[0] == 451, said
            assert said.data[1].startswith("4.3.0")
            refused[n] = content
            if len(refused) >= 3:
                break
        assert refused, "the disk never filled up"
        texts = {j["body"].split()[2] for j in bridge.jobs()}
        assert texts == {str(n) for n in accepted}  # nothing of a refused email was kept
        filler.unlink()
        for n in refused:  # the mail server tries again later
            assert _email(bridge, n)[0].accepted
        everything = accepted | set(refused)
        bridge.wait_until(
            lambda: len([j for j in bridge.jobs() if j["state"] == "sent"]) == len(everything),
            timeout=60,
            what="every text to be sent",
        )
    assert {j["body"].split()[2] for j in bridge.jobs()} == {str(n) for n in everything}
    assert len(read_journal(journal)) == len(
        everything
    )  # each once, the one whose mark failed included
