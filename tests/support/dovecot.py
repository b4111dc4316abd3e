"""A real Dovecot IMAP server on a loopback port, with its own configuration and users.

Debian's ``dovecot-imapd`` runs in the foreground (``dovecot -F``) from a private folder: no
system service, no TLS (the tests use plain IMAP on loopback), passwords from a passwd-file.
Dovecot will not run mail processes as root, so when the tests run as root the mail belongs
to Debian's ``dovecot`` user. ``append`` and ``messages`` use the standard library's imaplib,
a client independent of the bridge's own.
"""

from __future__ import annotations

import imaplib
import json
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

from tests.support.certificates import make_certificate

__all__ = ["Dovecot", "dovecot_command"]


def dovecot_command() -> str | None:
    return shutil.which("dovecot") or (
        "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None
    )


class Dovecot:
    def __init__(
        self,
        *,
        port: int,
        users: dict[str, str],
        tls: bool = False,
        oauth: bool = False,
        starttls: bool = False,
    ) -> None:
        """``oauth``: users log in with AUTHENTICATE XOAUTH2, the values of ``users`` being
        their access tokens, checked by a token-introspection endpoint this object serves."""
        self.port = port
        self.users = users
        self.tls = tls
        self.starttls = starttls  # plain port, TLS required before login
        self._introspection = _Introspection(users) if oauth else None
        self.folder = Path(tempfile.mkdtemp(prefix="smsbridge-dovecot-"))
        self.folder.chmod(0o755)
        self._proc: subprocess.Popen[bytes] | None = None
        self._write_config()

    def __enter__(self) -> Dovecot:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        if self._introspection is not None:
            self._introspection.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def start(self, timeout: float = 20.0) -> None:
        command = dovecot_command()
        if command is None:
            raise FileNotFoundError("dovecot is not installed (apt-get install dovecot-imapd)")
        (self.folder / "run" / "master.pid").unlink(missing_ok=True)
        self._proc = subprocess.Popen(
            [command, "-F", "-c", str(self.folder / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"dovecot did not listen on {self.port}:\n{self.log()}")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(timeout=20)
        self._proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        path = self.folder / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    @property
    def certificate(self) -> Path:
        """The server's self-signed certificate (tls=True), for a client's trust store."""
        return self.folder / "cert.pem"

    def client(self, user: str) -> imaplib.IMAP4:
        if self.tls:
            context = ssl.create_default_context(cafile=str(self.certificate))
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL("127.0.0.1", self.port, ssl_context=context)
        else:
            client = imaplib.IMAP4("127.0.0.1", self.port)
            if self.starttls:
                client.starttls(
                    ssl_context=ssl.create_default_context(cafile=str(self.certificate))
                )
        if self._introspection is not None:
            token = self.users[user]
            client.authenticate(
                "XOAUTH2", lambda _: f"user={user}\1auth=Bearer {token}\1\1".encode()
            )
        else:
            client.login(user, self.users[user])
        return client

    def append(self, user: str, message: bytes, folder: str = "INBOX") -> None:
        client = self.client(user)
        try:
            client.append(folder, "", imaplib.Time2Internaldate(time.time()), message)
        finally:
            client.logout()

    def messages(self, user: str, folder: str) -> list[bytes]:
        """Every message in ``folder`` ('/' as the separator), or [] if it does not exist."""
        client = self.client(user)
        try:
            status, _ = client.select('"' + folder.replace("/", ".") + '"', readonly=True)
            if status != "OK":
                return []
            _, data = client.uid("SEARCH", "ALL")
            uids = data[0].split() if data and data[0] else []
            found = []
            for uid in uids:
                _, parts = client.uid("FETCH", uid, "(RFC822)")
                found += [p[1] for p in parts if isinstance(p, tuple)]
            return found
        finally:
            client.logout()

    def _write_config(self) -> None:
        for sub in ("run", "state", "mail", "home"):
            (self.folder / sub).mkdir()
        owner = "dovecot" if os.getuid() == 0 else pwd.getpwuid(os.getuid()).pw_name
        if os.getuid() == 0:
            entry = pwd.getpwnam("dovecot")
            for sub in ("mail", "home"):
                os.chown(self.folder / sub, entry.pw_uid, entry.pw_gid)
        if self.tls or self.starttls:
            make_certificate(self.folder, name="127.0.0.1")
        lines = [f"{user}:{{PLAIN}}{password}" for user, password in self.users.items()]
        (self.folder / "users").write_text("\n".join(lines) + "\n")
        ports = (0, self.port) if self.tls else (self.port, 0)
        passdb, mechanisms = _PASSWORDS.format(folder=self.folder), "plain login"
        if self._introspection is not None:
            (self.folder / "oauth2.conf").write_text(_OAUTH2.format(url=self._introspection.url))
            passdb, mechanisms = _OAUTH_PASSDB.format(folder=self.folder), "xoauth2"
        tls = (
            f"ssl = required\nssl_cert = <{self.folder}/cert.pem\nssl_key = <{self.folder}/key.pem"
            if self.tls or self.starttls
            else "ssl = no"
        )
        (self.folder / "dovecot.conf").write_text(
            _CONFIG.format(
                folder=self.folder,
                imap=ports[0],
                imaps=ports[1],
                tls=tls,
                owner=owner,
                passdb=passdb,
                mechanisms=mechanisms,
                me=pwd.getpwuid(os.getuid()).pw_name,
            )
        )


_CONFIG = """
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
protocols = imap
listen = 127.0.0.1
{tls}
disable_plaintext_auth = no
auth_mechanisms = {mechanisms}
default_internal_user = {me}
default_login_user = dovenull
mail_location = maildir:{folder}/mail/%u
mail_uid = {owner}
mail_gid = {owner}
first_valid_uid = 1
{passdb}
userdb {{
  driver = static
  args = uid={owner} gid={owner} home={folder}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps}
  }}
}}
service anvil {{
  chroot =
}}
protocol imap {{
  mail_max_userip_connections = 100
  imap_idle_notify_interval = 1 secs
}}
"""

_PASSWORDS = """passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/users
}}"""
_OAUTH_PASSDB = """passdb {{
  driver = oauth2
  mechanisms = xoauth2
  args = {folder}/oauth2.conf
}}"""
_OAUTH2 = """introspection_mode = post
introspection_url = {url}
username_attribute = username
active_attribute = active
active_value = true
"""


class _Introspection:
    """RFC 7662 token introspection for Dovecot's oauth2 passdb: active iff a known token."""

    def __init__(self, tokens: dict[str, str]) -> None:
        by_token = {token: user for user, token in tokens.items()}

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                token = parse_qs(body).get("token", [""])[0]
                user = by_token.get(token)
                answer = {"active": "true", "username": user} if user else {"active": "false"}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/introspect"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
