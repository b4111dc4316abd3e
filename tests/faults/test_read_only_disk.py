"""The database's file system turning read-only under a running bridge: the SMTP listener
answers 451 and stores nothing of that email; after repair, the retries are accepted and each
text is sent once.

This is what ext4 does on an I/O error when mounted ``errors=remount-ro`` (the default on
many distributions): the kernel makes it read-only at once, open files included. The data
folder here is a 16 MB ext4 image on a loop device, and the error is raised through ext4's
own ``trigger_fs_error``. Loop devices and mounting need root: in CI (which runs as root) a
failure to set it up is a failure; elsewhere it is a skip.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.support.bridge_process import (
    BridgeProcess,
    assert_unhealthy,
    assert_webhook_unavailable,
    read_journal,
)
from tests.support.smtp_client import Dialogue, converse, message


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False)


class Ext4Disk:
    """A small ext4 file system on a loop device, mounted with ``errors=remount-ro``."""

    def __init__(self, image: Path, mount: Path) -> None:
        self.image, self.mount = image, mount

    def attach(self) -> None:
        done = _run("mount", "-o", "loop,errors=remount-ro", str(self.image), str(self.mount))
        if done.returncode != 0:
            raise OSError(done.stderr.strip())

    def fail(self) -> None:
        """An ext4 error: the kernel remounts the file system read-only, as on a bad sector."""
        device = Path(_run("findmnt", "-n", "-o", "SOURCE", str(self.mount)).stdout.strip())
        Path(f"/sys/fs/ext4/{device.name}/trigger_fs_error").write_text("fault test\n")

    def repair(self) -> None:
        """What an administrator does: unmount, fsck, mount again."""
        _run("umount", str(self.mount))
        assert _run("e2fsck", "-fy", str(self.image)).returncode in (0, 1)  # 1: fixed
        self.attach()

    def detach(self) -> None:
        _run("umount", "-l", str(self.mount))


@pytest.fixture
def ext4_disk(tmp_path: Path) -> Iterator[Ext4Disk]:
    disk = Ext4Disk(tmp_path / "disk.img", tmp_path / "disk")
    disk.mount.mkdir()
    try:
        for command in (
            ("truncate", "-s", "16M", str(disk.image)),
            ("mkfs.ext4", "-q", "-F", str(disk.image)),
        ):
            if (done := _run(*command)).returncode != 0:
                raise OSError(f"{command[0]}: {done.stderr.strip()}")
        disk.attach()
    except OSError as exc:
        if IN_CI:
            pytest.fail(f"cannot mount an ext4 image for the read-only test: {exc}")
        pytest.skip(f"cannot mount an ext4 image (needs root and loop devices): {exc}")
    try:
        yield disk
    finally:
        disk.detach()


def _email(bridge: BridgeProcess, n: int) -> Dialogue:
    to = f"+4477009003{n:02d}@sms.example.com"
    content = message(to=to, body=f"Read-only text {n}").as_bytes()
    return converse(bridge.smtp_address, mail_from="alice@example.com", rcpts=[to], content=content)


def test_a_file_system_gone_read_only_gets_451_and_nothing_half_written(
    tmp_path: Path, ext4_disk: Ext4Disk
) -> None:
    journal = tmp_path / "sandbox.jsonl"
    data = ext4_disk.mount / "var"
    bridge = BridgeProcess.on_data_dir(tmp_path, data, journal)
    with bridge:
        accepted = {n for n in range(3) if _email(bridge, n).accepted}
        assert accepted == {0, 1, 2}
        bridge.wait_until(lambda: len(read_journal(journal)) == 3, what="the first texts")
        assert bridge.health().status_code == 200
        ext4_disk.fail()
        assert_unhealthy(bridge)
        refused = []
        for n in range(3, 6):
            said = _email(bridge, n)
            assert said.data is not None and said.data[0] == 451, said
            assert said.data[1].startswith("4.3.0")
            refused.append(n)
        assert_webhook_unavailable(bridge)
        bridge.stop()
    ext4_disk.repair()
    texts = {j["body"].split()[2] for j in bridge.jobs()}
    assert texts == {str(n) for n in accepted}  # nothing of a refused email was kept
    with bridge:
        for n in refused:  # the mail server tries again later
            assert _email(bridge, n).accepted
        bridge.wait_until(lambda: len(read_journal(journal)) >= 6, what="every text")
        bridge.wait_until(
            lambda: all(j["state"] == "sent" for j in bridge.jobs()),
            what="every job recorded as sent",
        )
    sent = sorted(line["text"] for line in read_journal(journal))
    assert sent == [f"Read-only text {n}" for n in range(6)]  # each once
