"""Short, time-ordered ids for jobs: readable in an SMTP reply and sortable in the outbox."""

from __future__ import annotations

import os
import time

__all__ = ["new_id", "new_ids"]

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_PAIRS = tuple(a + b for a in _ALPHABET for b in _ALPHABET)  # two characters for ten bits


def _base32(value: int, width: int) -> str:
    chars = []
    for _ in range(width):
        value, digit = divmod(value, 32)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))


def new_id(prefix: str) -> str:
    """``prefix`` + 9 characters of milliseconds + 6 random characters (30 bits of the
    operating system's random bytes, as ``secrets`` reads them)."""
    return new_ids(prefix, 1)[0]


def new_ids(prefix: str, count: int) -> list[str]:
    """``count`` different ids of ``new_id``'s form, of one millisecond, their random parts
    from one read of the operating system's random bytes: a bulk send stores a thousand texts
    a statement, and a read a text was a tenth of storing one. Drawn again until no two of
    them are the same, as a thousand ids of one millisecond would be about once in 2,000."""
    stamp = prefix + _base32(time.time_ns() // 1_000_000, 9)
    tails: dict[str, None] = {}
    while len(tails) < count:
        random = os.urandom(4 * (count - len(tails)))
        for i in range(0, len(random), 4):
            bits = int.from_bytes(random[i : i + 4]) >> 2  # 30 bits: three pairs
            tails[_PAIRS[bits >> 20] + _PAIRS[bits >> 10 & 1023] + _PAIRS[bits & 1023]] = None
    return [stamp + tail for tail in tails]
