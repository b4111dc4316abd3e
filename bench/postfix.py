"""SMTP ingest side by side with Postfix: the same client, the same message, the same machine.

The script configures a private Postfix instance (Debian's ``postfix``; installed with
apt-get when missing, which needs root) in a temporary folder: it listens on a loopback port,
accepts mail for ``sms.example.com`` from 127.0.0.0/8 and delivers it to ``discard:``. Postfix
writes and fsyncs each queue file before its 250, as the bridge commits before its own. Then
Postfix's ``smtp-source`` sends the same emails (20 sessions, a 120-character body, a unique
Message-ID each) to Postfix and to ``smsbridge run`` (sandbox provider, SQLite), alternately,
``--rounds`` times, and the script prints emails/s for each and the ratio bridge/Postfix.
``--processes`` is the bridge's ``smtp.processes`` and ``--loop`` its ``bridge.loop``; a
bridge of several processes is measured once every one of them listens.

    sudo .venv/bin/python bench/postfix.py [--emails 5000] [--rounds 3] [--processes 2]
        [--loop uvloop]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

from harness import (
    DOMAIN,
    QUEUE,
    free_port,
    running,
    smtp_source,
    wait_greeting,
    wait_journal,
    wait_listeners,
    write_config,
)

RCPT = f"+447700900123@{DOMAIN}"
MAIN_CF = """compatibility_level = 3.6
queue_directory = {root}/queue
data_directory = {root}/data
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = postfix.example.com
mydestination =
relay_domains = {domain}
transport_maps = inline:{{ {domain}=discard: }}
mynetworks = 127.0.0.0/8
smtpd_recipient_restrictions = permit_mynetworks, reject
maillog_file_prefixes = {root}
maillog_file = {root}/maillog
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
"""


def _install_postfix() -> None:
    if shutil.which("smtp-source") and shutil.which("postfix"):
        return
    if os.geteuid() != 0:
        raise SystemExit("Postfix is not installed and installing it needs root: run with sudo")
    subprocess.run(
        ["debconf-set-selections"],
        check=True,
        text=True,
        input="postfix postfix/main_mailer_type select No configuration\n",
    )
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postfix"],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )


def _postfix(root: Path, *command: str) -> None:
    """``postfix -c`` on the private instance; ``script`` gives it the terminal it reports to."""
    line = " ".join(["postfix", "-c", str(root / "conf"), *command])
    done = subprocess.run(["script", "-qec", line, "/dev/null"], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{line} failed: {done.stdout}{done.stderr}")


def _configure(root: Path, port: int) -> None:
    root.chmod(0o755)  # Postfix's daemons run as the postfix user
    conf = root / "conf"
    conf.mkdir(parents=True)
    (root / "queue").mkdir()  # root's; postfix makes its subfolders
    (root / "data").mkdir()
    shutil.chown(root / "data", user="postfix")
    (conf / "main.cf").write_text(MAIN_CF.format(root=root, domain=DOMAIN))
    master = []
    for line in Path("/etc/postfix/master.cf").read_text().splitlines():
        fields = line.split()
        if fields[:2] == ["smtp", "inet"]:
            line = f"127.0.0.1:{port} inet n - n - - smtpd"
        elif len(fields) >= 8 and not line.startswith(("#", " ")) and fields[4] == "y":
            fields[4] = "n"  # no chroot: the private queue is outside /var/spool/postfix
            line = " ".join(fields)
        master.append(line)
    (conf / "master.cf").write_text("\n".join(master) + "\n")


def _bridge_round(emails: int, processes: int, loop: str) -> float:
    with tempfile.TemporaryDirectory(prefix="smsbridge-bench-") as tmp:
        config, port, _ = write_config(Path(tmp), QUEUE, processes=processes, loop=loop)
        with running(config, port):
            wait_listeners(port, processes)
            rate = smtp_source(port, emails)
            wait_journal(Path(tmp) / "var" / "sandbox" / "sent.jsonl", emails)  # all distinct
        return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--processes", type=int, default=1, help="smtp.processes")
    parser.add_argument("--loop", default="asyncio", choices=["asyncio", "uvloop"])
    args = parser.parse_args()
    _install_postfix()
    with tempfile.TemporaryDirectory(prefix="postfix-bench-") as tmp:
        root, port = Path(tmp), free_port()
        _configure(root, port)
        _postfix(root, "start")
        try:
            wait_greeting(port)
            postfix, bridge = [], []
            for n in range(args.rounds):
                postfix.append(smtp_source(port, args.emails))
                bridge.append(_bridge_round(args.emails, args.processes, args.loop))
                print(
                    f"round {n + 1}: Postfix {postfix[-1]:.0f} emails/s,"
                    f" bridge {bridge[-1]:.0f} emails/s"
                )
        finally:
            _postfix(root, "stop")
    p, b = statistics.median(postfix), statistics.median(bridge)
    print(
        f"median of {args.rounds}: Postfix {p:.0f} emails/s, bridge {b:.0f} emails/s,"
        f" ratio bridge/Postfix {b / p:.2f} ({args.emails} emails, 20 sessions, smtp-source,"
        f" {args.processes} SMTP process(es), {args.loop})"
    )


if __name__ == "__main__":
    main()
