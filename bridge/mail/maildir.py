"""The local mail transport: each message written into one Maildir, as a delivery agent would.

"Delivered" means the message is on disk for good: the file and its directory are fsynced.
``OSError`` is translated here, once, into ``TemporaryFailure``.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

from bridge.errors import TemporaryFailure
from bridge.store.ids import new_id

__all__ = ["MaildirTransport"]

log = logging.getLogger(__name__)

_MAILDIR_SUBDIRS = ("tmp", "new", "cur")


class MaildirTransport:
    """Write each message into one Maildir, as a local delivery agent would.

    Every recipient shares the one Maildir: it is the bridge's own mailbox (for a single-host
    setup or for inspection), not a router. The message gets the ``Return-Path`` an MDA adds,
    and LF line endings, which is what Maildir readers expect.

    A message with a ``key`` is filed as ``<key>.smsbridge`` (the key is a time-ordered job id,
    so names still sort by time), and a retry first looks for that name in ``new/`` and, as a
    reader may have moved it, in ``cur/`` (``<name>:2,<flags>``): a bridge killed between the
    rename and recording the delivery does not file the message twice. The name carries no
    host, so a bridge that takes over another's job on a shared Maildir finds it too.
    """

    name = "maildir"

    def __init__(self, path: Path) -> None:
        self.path = path

    async def aclose(self) -> None:
        return None  # nothing is kept open between messages

    async def deliver(
        self,
        *,
        envelope_from: str,
        recipients: tuple[str, ...],
        content: bytes,
        key: str | None = None,
        retry: bool = False,
    ) -> None:
        data = _with_return_path(envelope_from, content)
        name = f"{key or new_id('m')}.smsbridge"  # one unkeyed (a test's) gets a fresh id
        try:
            written = await asyncio.to_thread(self._write, name, data, retry)
        except OSError as exc:
            raise TemporaryFailure(
                f"cannot write to the Maildir {self.path}: {exc.strerror or exc}"
            ) from exc
        what = "written to" if written else "already in"
        log.debug("mail for %d recipient(s) %s %s as %s", len(recipients), what, self.path, name)

    def _write(self, name: str, data: bytes, retry: bool) -> bool:
        """Write to tmp/, fsync, move into new/, fsync new/: the Maildir way to be atomic.
        False if a retry finds the message already delivered."""
        self._ensure_maildir()
        if retry and self._delivered(name):
            return False
        tmp_path = self.path / "tmp" / name
        _write_synced(tmp_path, data)
        os.rename(tmp_path, self.path / "new" / name)
        _fsync_dir(self.path / "new")
        return True

    def _delivered(self, name: str) -> bool:
        if (self.path / "new" / name).exists():
            return True
        moved = name + ":"
        with os.scandir(self.path / "cur") as entries:
            return any(entry.name.startswith(moved) for entry in entries)

    def _ensure_maildir(self) -> None:
        if all((self.path / sub).is_dir() for sub in _MAILDIR_SUBDIRS):
            return
        for sub in _MAILDIR_SUBDIRS:
            (self.path / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
        _fsync_dir(self.path)
        _fsync_dir(self.path.parent)


def _with_return_path(envelope_from: str, content: bytes) -> bytes:
    header = f"Return-Path: <{envelope_from}>\n".encode()
    return header + content.replace(b"\r\n", b"\n")


def _write_synced(path: Path, data: bytes) -> None:
    """Write and fsync; a file left in tmp/ by an attempt that died is written over."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
