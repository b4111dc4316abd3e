"""Vonage's ``sig``: how signed requests and signed webhooks are computed and checked.

Vonage's documentation ("Signing requests") describes one string for both directions: every
parameter except ``sig``, sorted by name, each written as ``&name=value`` with any ``&`` or
``=`` inside a value replaced by ``_``. With the ``md5hash`` method the signature secret is
appended and the MD5 of the whole taken; with ``md5``, ``sha1``, ``sha256`` or ``sha512`` the
string is an HMAC keyed by the secret. Hex digits are compared without regard to case, in
constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

__all__ = ["valid_vonage_signature", "vonage_signature"]


def _payload(params: Mapping[str, str]) -> str:
    return "".join(
        f"&{name}={str(params[name]).replace('&', '_').replace('=', '_')}"
        for name in sorted(params)
        if name != "sig"
    )


def vonage_signature(params: Mapping[str, str], secret: str, method: str) -> str:
    """The ``sig`` for ``params`` (lower-case hex)."""
    payload = _payload(params)
    if method == "md5hash":
        return hashlib.md5((payload + secret).encode(), usedforsecurity=False).hexdigest()
    return hmac.new(secret.encode(), payload.encode(), getattr(hashlib, method)).hexdigest()


def valid_vonage_signature(params: Mapping[str, str], secret: str, method: str) -> bool:
    """True only when ``params["sig"]`` was made with ``secret`` over the other parameters."""
    given = params.get("sig")
    if not given or not secret:
        return False
    expected = vonage_signature(params, secret, method)
    # bytes: compare_digest refuses str with non-ASCII characters, and a forger may send them
    return hmac.compare_digest(expected.lower().encode(), str(given).lower().encode())
