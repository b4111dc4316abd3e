"""A private Debian Postfix on loopback, relaying a domain to the bridge, as admins set it up.

It has its own configuration folder, queue and log (``postfix -c DIR``), listens on one
loopback port, delivers the SMS domain to the bridge by a transport map and every other
domain (the bounces to the author) to a test SMTP sink, and is stopped and removed by the
test. It never touches ``/etc/postfix`` or port 25. The configuration is the guide's
(docs/mail-servers.md) with test folders and ports, and short retry times so that a deferred
email is tried again within seconds.

Postfix runs its daemons as the ``postfix`` user, which must be able to enter the queue: the
folder is made under ``/tmp`` with mode 0755 rather than under pytest's private tmp folder.
Starting a Postfix needs root (CI runs as root); elsewhere the tests skip and say why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Self

from tests.conftest import free_port

__all__ = ["POSTFIX", "Postfix", "postfix_missing"]

POSTFIX = "/usr/sbin/postfix"
_SERVICES = """\
{listen} inet n - n - - smtpd
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
tlsmgr unix - - n 1000? 1 tlsmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
"""


def postfix_missing() -> str | None:
    """Why no Postfix can be started here, or None."""
    if not Path(POSTFIX).exists():
        return "Postfix is not installed (apt-get install postfix; .ci/test does)"
    if os.geteuid() != 0:
        return "starting a Postfix needs root (CI runs as root)"
    return None


class Postfix:
    """``with Postfix(domain=..., bridge=..., others=...) as mta``: mta.port takes mail."""

    def __init__(self, *, domain: str, bridge: str, others: str, tls: bool = False) -> None:
        """``bridge`` and ``others`` are ``host:port``: where mail for ``domain`` goes, and
        where everything else goes (the bounces). ``tls``: to the bridge only over STARTTLS."""
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="smsbridge-postfix-"))
        self.root.chmod(0o755)
        self.config = self.root / "etc"
        self.log = self.root / "maillog"
        self._domain, self._bridge, self._others, self._tls = domain, bridge, others, tls

    def _write_config(self) -> None:
        self.config.mkdir()
        (self.root / "queue").mkdir(mode=0o755)  # root's; Postfix makes its folders inside
        (self.root / "data").mkdir(mode=0o700)
        shutil.chown(self.root / "data", user="postfix")
        bridge_host, bridge_port = self._bridge.rsplit(":", 1)
        other_host, other_port = self._others.rsplit(":", 1)
        (self.config / "transport").write_text(
            f"{self._domain}  smtp:[{bridge_host}]:{bridge_port}\n"
            f"*  smtp:[{other_host}]:{other_port}\n"
        )
        # TLS to the bridge only (the guide's per-destination policy); the rest as it can.
        (self.config / "tls_policy").write_text(
            f"[{bridge_host}]:{bridge_port}  {'encrypt' if self._tls else 'may'}\n"
        )
        settings = {
            "compatibility_level": "3.6",
            "queue_directory": self.root / "queue",
            "data_directory": self.root / "data",
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "syslog_name": f"postfix-test-{self.port}",
            "maillog_file": self.log,
            "maillog_file_prefixes": self.root,
            "myhostname": "mx.example.com",
            "mydomain": "example.com",
            "myorigin": "example.com",
            "mydestination": "",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            # The guide's lines: the SMS domain is relayed, by the transport map, to the bridge.
            "relay_domains": self._domain,
            "transport_maps": f"texthash:{self.config / 'transport'}",
            "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
            "smtp_tls_security_level": "may",
            "smtp_tls_policy_maps": f"texthash:{self.config / 'tls_policy'}",
            "smtp_tls_loglevel": "1",
            "smtp_dns_support_level": "disabled",
            "alias_maps": "",
            "alias_database": "",
            "local_recipient_maps": "",
            "biff": "no",
            # A deferred email is tried again within seconds, not minutes.
            "queue_run_delay": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
        }
        (self.config / "main.cf").write_text(
            "".join(f"{key} = {value}\n" for key, value in settings.items())
        )
        (self.config / "master.cf").write_text(_SERVICES.format(listen=f"127.0.0.1:{self.port}"))

    def _postfix(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [POSTFIX, "-c", str(self.config), *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def flush(self) -> None:
        """Try every deferred email now (``postqueue -f``)."""
        subprocess.run(
            ["/usr/sbin/postqueue", "-c", str(self.config), "-f"],
            capture_output=True,
            timeout=30,
            check=False,
        )

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_for_log(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            log = self.log_text()
            if text in log:
                return log
            time.sleep(0.1)
        raise AssertionError(f"Postfix did not log {text!r} within {timeout} s:\n{self.log_text()}")

    def __enter__(self) -> Self:
        self._write_config()
        started = self._postfix("start")
        if started.returncode != 0:
            raise AssertionError(f"postfix -c {self.config} start failed:\n{started.stderr}")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if "daemon started" in self.log_text():
                return self
            time.sleep(0.1)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._postfix("stop")
        shutil.rmtree(self.root, ignore_errors=True)
