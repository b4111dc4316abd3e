"""Short-link codes: seven letters and digits, drawn at random (62**7, about 3.5 * 10**12).

Random, not counted: a code says nothing of how many texts were sent, and one cannot be
guessed from another. Stored with their job, in the transaction that stores it; a clash with
a stored code (about one in 10**6 after a million codes) fails that store, and the edge's
retry draws new codes.
"""

from __future__ import annotations

import re
import secrets
import string

__all__ = ["CODE", "LENGTH", "new_code"]

LENGTH = 7
_ALPHABET = string.ascii_letters + string.digits
CODE = re.compile(rf"^[A-Za-z0-9]{{{LENGTH}}}$")


def new_code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(LENGTH))
