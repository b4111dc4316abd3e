"""The SMTP AUTH users file: ``address:hash`` lines, as ``smsbridge hash-password`` makes them.

Read by the settings (so ``check-config`` finds a broken file) and by the SMTP listener's
user table; one reading, so both refuse exactly the same files.
"""

from __future__ import annotations

__all__ = ["parse_users"]


def parse_users(text: str) -> dict[str, str]:
    """Lower-cased address to its encoded hash; ``ValueError`` naming the first bad line."""
    users = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, encoded = line.partition(":")
        if not sep or not name.strip() or not encoded.strip().startswith("scrypt$"):
            raise ValueError(
                f"line {number} is not 'address:scrypt$...': make each line with"
                " smsbridge hash-password ADDRESS"
            )
        users[name.strip().lower()] = encoded.strip()
    return users
