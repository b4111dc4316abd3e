"""The bridge as its users run it: a subprocess started from the ``smsbridge`` command."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import free_port, settings_toml


def read_journal(path: Path) -> list[dict[str, Any]]:
    """A sandbox journal's lines: what the phones got (several bridges may share one)."""
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def assert_webhook_unavailable(bridge: BridgeProcess) -> None:
    """An inbound text while nothing can be stored: 503 with a sentence and a Retry-After."""
    answer = httpx.post(
        f"{bridge.public_url}/webhooks/sandbox/inbound",
        timeout=10,
        data={"From": "+447700900123", "To": "+447700900100", "Body": "Hi"},
    )
    assert answer.status_code == 503, answer.text
    assert answer.headers["Retry-After"] == "30" and "could not store" in answer.text


def assert_unhealthy(bridge: BridgeProcess) -> None:
    """/healthz while the store refuses writes: 503, so a load balancer stops sending here."""
    answer = bridge.health()
    assert answer.status_code == 503, answer.text
    assert answer.json() == {"status": "error", "store": "not writable"}


class BridgeProcess:
    """Write a settings file, run ``smsbridge run`` on it, and look at what it stored."""

    def __init__(
        self,
        tmp_path: Path,
        *,
        extra: str = "",
        env: dict[str, str] | None = None,
        public: bool = False,
        **sections: dict[str, Any],
    ) -> None:
        """``public`` makes the bridge's own HTTP address its public URL, so that emulated
        providers on this machine can call its webhooks."""
        tmp_path.mkdir(parents=True, exist_ok=True)
        self.data_dir = tmp_path / "var"
        self.smtp_port = free_port()
        self.http_port = free_port()
        self.public_url = f"http://127.0.0.1:{self.http_port}"
        if public:
            sections["bridge"] = {"public_url": self.public_url, **sections.get("bridge", {})}
        smtp = {"port": self.smtp_port, **sections.pop("smtp", {})}
        http = {"port": self.http_port}
        self.config = tmp_path / "bridge.toml"
        self.config.write_text(
            settings_toml(self.data_dir, extra=extra, smtp=smtp, http=http, **sections),
            encoding="utf-8",
        )
        self.log = tmp_path / "bridge.log"
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None

    @classmethod
    def on_data_dir(cls, tmp_path: Path, data_dir: Path, journal: Path) -> BridgeProcess:
        """A bridge whose store lives in ``data_dir`` (a disk a fault test breaks) while the
        sandbox's journal and the Maildir stay in ``tmp_path``. A text sent while its "sent"
        mark could not be written stays leased for 3 s, then is found in the journal."""
        bridge = cls(
            tmp_path,
            bridge={"data_dir": str(data_dir)},
            queue={"lease_seconds": 3, "poll_seconds": 0.2},
            extra=f'[provider.sandbox]\njournal = "{journal}"\n'
            f'[mail.maildir]\npath = "{tmp_path / "mail"}"\n',
        )
        bridge.data_dir = data_dir
        return bridge

    @property
    def smtp_address(self) -> str:
        return f"127.0.0.1:{self.smtp_port}"

    def start(self, timeout: float = 30.0) -> BridgeProcess:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bridge", "run", "--config", str(self.config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
            )
        deadline = time.monotonic() + timeout
        waiting = [self.smtp_port, self.http_port]  # SMTP listens first, then HTTP
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"the bridge exited at start:\n{self.log_text()}")
            try:
                socket.create_connection(("127.0.0.1", waiting[0]), timeout=1).close()
                waiting.pop(0)
                if not waiting:
                    return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"the bridge did not listen within {timeout} s:\n{self.log_text()}")

    def kill(self) -> None:
        """SIGKILL: no clean-up at all, as when the machine loses power."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def freeze(self) -> None:
        """SIGSTOP, returning once the process is stopped: every thread stands still, as in a
        VM stall, while its sockets stay open and the database goes on without it."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)
        stat = Path(f"/proc/{self.proc.pid}/stat")
        deadline = time.monotonic() + 10
        while stat.read_text().rsplit(")", 1)[1].split()[0] != "T":
            if time.monotonic() > deadline:
                raise AssertionError("the bridge did not stop on SIGSTOP")
            time.sleep(0.001)

    def thaw(self) -> None:
        """SIGCONT: the process carries on where it stood, unaware of the time that passed."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)

    def stop(self) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)

    def __enter__(self) -> BridgeProcess:
        """Start (again, after a kill or stop) for the length of a ``with`` block: once both its
        SMTP and its HTTP listener answer."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def health(self) -> httpx.Response:
        return httpx.get(f"{self.public_url}/healthz", timeout=10)

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bridge", *args, "--config", str(self.config)],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=60,
            check=False,
        )

    def jobs(self) -> list[dict[str, Any]]:
        """Every SMS job in the store, read as any SQLite client would while the bridge runs."""
        return self._rows("sms_jobs")

    def mail_jobs(self) -> list[dict[str, Any]]:
        """Every email the bridge sends (notices, inbound texts), with its state and attempts."""
        return self._rows("mail_jobs")

    def inbound(self) -> list[dict[str, Any]]:
        """Every inbound text in the store."""
        return self._rows("inbound_sms")

    def _rows(self, table: str) -> list[dict[str, Any]]:
        path = self.data_dir / "smsbridge.db"
        if not path.exists():
            return []
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as conn:
            conn.row_factory = sqlite3.Row
            query = f"SELECT * FROM {table} ORDER BY created_at"
            return [dict(r) for r in conn.execute(query)]

    def sandbox_sent(self) -> list[dict[str, Any]]:
        """What the sandbox provider 'sent' (its durable journal): what the phones got."""
        return read_journal(self.data_dir / "sandbox" / "sent.jsonl")

    def maildir_messages(self) -> list[bytes]:
        new = self.data_dir / "mail" / "new"
        return [p.read_bytes() for p in sorted(new.iterdir())] if new.exists() else []

    def wait_until(self, predicate: Any, timeout: float = 30.0, what: str = "it") -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}:\n{self.log_text()[-4000:]}")
