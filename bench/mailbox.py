"""Mailbox benchmark: from APPEND into the watched IMAP folder to the provider call, with IDLE.

Starts a real Dovecot (``tests.support.dovecot``) and ``smsbridge run`` with one mailbox and
the sandbox provider, appends emails one at a time, and compares each APPEND's completion
time with the sandbox journal's timestamp for the text it became (both wall-clock, same
machine).

    .venv/bin/python bench/mailbox.py                # 100 emails, 0.2 s apart
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from harness import free_port, write_config

from tests.support.dovecot import Dovecot

USER, PASSWORD = "sms@company.example", "bench-secret"


def _config(folder: Path, imap_port: int) -> Path:
    (folder / "imap-password").write_text(PASSWORD)
    path, _, _ = write_config(
        folder,
        f"""
[[mailboxes]]
host = "127.0.0.1"
port = {imap_port}
security = "none"
username = "{USER}"
password_file = "{folder / "imap-password"}"
address = "{USER}"
""",
    )
    return path


def _email(n: int) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"] = "alice@example.com", f"sms+4477009{n % 1000:05d}@company.example"
    msg["Subject"], msg["Message-ID"] = "bench", f"<mailbox-bench-{n}-{time.time_ns()}@example.com>"
    msg.set_content(f"Mailbox benchmark text {n}")
    return msg.as_bytes(policy=SMTP)


def _journal(var: Path) -> dict[str, float]:
    path = var / "sandbox" / "sent.jsonl"
    if not path.exists():
        return {}
    entries = [json.loads(line) for line in path.read_text().splitlines() if line]
    return {e["text"]: e["at"] for e in entries}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=100)
    parser.add_argument("--gap", type=float, default=0.2, help="seconds between APPENDs")
    args = parser.parse_args()
    with (
        Dovecot(port=free_port(), users={USER: PASSWORD}) as dovecot,
        tempfile.TemporaryDirectory() as tmp,
    ):
        config = _config(Path(tmp), dovecot.port)
        proc = subprocess.Popen(
            [sys.executable, "-m", "bridge", "run", "--config", str(config)], env=dict(os.environ)
        )
        try:
            time.sleep(3)  # connected and in IDLE
            appended = {}
            for n in range(args.emails):
                dovecot.append(USER, _email(n))
                appended[f"Mailbox benchmark text {n}"] = time.time()
                time.sleep(args.gap)
            deadline = time.monotonic() + 60
            while len(_journal(Path(tmp) / "var")) < args.emails and time.monotonic() < deadline:
                time.sleep(0.2)
            sent = _journal(Path(tmp) / "var")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    latencies = sorted(sent[text] - at for text, at in appended.items() if text in sent)
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    print(
        f"mailbox: {len(latencies)} of {args.emails} emails, APPEND to provider call with IDLE:"
        f" p50 {statistics.median(latencies) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
