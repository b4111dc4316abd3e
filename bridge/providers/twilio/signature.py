"""Is a webhook really from Twilio? ``X-Twilio-Signature`` checked as Twilio computes it.

Twilio signs the URL it called followed by every form parameter, names sorted, each name
immediately followed by its value, with HMAC-SHA1 keyed by the account's auth token, in
Base64. Behind a proxy the bridge does not see the URL Twilio called, so it is rebuilt from
``bridge.public_url``; Twilio's own validators accept the URL with and without the default
port (``:443`` for https, ``:80`` for http), and so does this.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

__all__ = ["twilio_signature", "valid_twilio_signature"]

_DEFAULT_PORTS = {"https": 443, "http": 80}


def twilio_signature(url: str, params: Iterable[tuple[str, str]], token: str) -> str:
    """The signature Twilio would send for a POST of ``params`` to ``url``."""
    payload = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def valid_twilio_signature(
    url: str, params: Iterable[tuple[str, str]], token: str, signature: str | None
) -> bool:
    """True only for a signature made with ``token`` over this URL and these parameters."""
    if not signature or not token:
        return False
    items = list(params)
    return any(
        hmac.compare_digest(twilio_signature(candidate, items, token).encode(), signature.encode())
        for candidate in _url_variants(url)
    )


def _url_variants(url: str) -> list[str]:
    """The URL as given, with its default port added, and with it removed."""
    parts = urlsplit(url)
    default = _DEFAULT_PORTS.get(parts.scheme)
    host = parts.hostname or ""
    variants = [url]
    if default is not None and parts.port in (None, default):
        with_port = parts._replace(netloc=f"{_userinfo(parts.netloc)}{host}:{default}")
        without = parts._replace(netloc=f"{_userinfo(parts.netloc)}{host}")
        variants += [urlunsplit(with_port), urlunsplit(without)]
    return variants


def _userinfo(netloc: str) -> str:
    return netloc.rpartition("@")[0] + "@" if "@" in netloc else ""
