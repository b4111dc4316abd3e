"""Short, time-ordered ids for jobs: readable in an SMTP reply and sortable in the outbox."""

from __future__ import annotations

import secrets
import time

__all__ = ["new_id"]

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def _base32(value: int, width: int) -> str:
    chars = []
    for _ in range(width):
        value, digit = divmod(value, 32)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))


def new_id(prefix: str) -> str:
    """``prefix`` + 9 characters of milliseconds + 6 random characters (30 bits)."""
    return prefix + _base32(time.time_ns() // 1_000_000, 9) + _base32(secrets.randbits(30), 6)
