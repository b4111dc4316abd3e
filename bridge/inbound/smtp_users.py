"""SMTP AUTH users: a file of ``address:hash`` lines, hashed with scrypt from the stdlib.

Passwords are never stored in clear; ``smsbridge hash-password`` makes a line for the file.
Successful checks are remembered (by a digest of the password) so a busy client that logs in
on every connection does not cost an scrypt run each time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from pathlib import Path

from bridge.parsing.users import parse_users

__all__ = ["UserTable", "hash_password"]

_N, _R, _P = 2**14, 8, 1


def _scrypt(password: bytes, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32)


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$hash`` (base64), the form the users file expects."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password.encode(), salt, _N, _R, _P)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def _verify(password: bytes, encoded: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
        if scheme != "scrypt":
            return False
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, base64.b64decode(digest))


class UserTable:
    """Checks logins against the users file, which is read once at start."""

    def __init__(self, users: dict[str, str]) -> None:
        self._users = users
        self._verified: set[tuple[str, bytes]] = set()

    @classmethod
    def load(cls, path: Path) -> UserTable:
        """The file as the settings checked it (``bridge.parsing.users``)."""
        return cls(parse_users(path.read_text(encoding="utf-8")))

    def check(self, login: str, password: bytes) -> bool:
        login = login.lower()
        encoded = self._users.get(login)
        if encoded is None:
            return False
        key = (login, hashlib.sha256(password).digest())
        if key in self._verified:
            return True
        if _verify(password, encoded):
            self._verified.add(key)
            return True
        return False
