"""URLs in a text: where they are, whether they may be shortened, and their UTM parameters.

A URL is ``http://`` or ``https://`` and what follows up to a space; punctuation that ends
a sentence (``.``, ``,``, ``!``, ``?``, ``;``, ``:``, quotes) is not part of it, nor a closing
bracket it does not open, so ``(see https://example.com/a).`` gives ``https://example.com/a``.
Bare ``www.example.com`` is left alone: a phone links it, but it is not a URL to redirect to.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bridge.parsing.addresses import matches

__all__ = ["FoundUrl", "find_urls", "host_of", "may_shorten", "with_utm"]

_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_TRAILING = ".,!?;:'\"’”»"
_PAIRS = {")": "(", "]": "[", "}": "{"}


@dataclass(frozen=True, slots=True)
class FoundUrl:
    start: int
    end: int
    url: str


def find_urls(text: str) -> list[FoundUrl]:
    """Every URL of ``text``, in order, without the punctuation around it."""
    found = []
    for match in _URL.finditer(text):
        url = _trimmed(match.group(0))
        if urlsplit(url).hostname:
            found.append(FoundUrl(match.start(), match.start() + len(url), url))
    return found


def _trimmed(url: str) -> str:
    while url:
        last = url[-1]
        if last in _TRAILING or (last in _PAIRS and url.count(_PAIRS[last]) < url.count(last)):
            url = url[:-1]
        else:
            return url
    return url


def host_of(url: str) -> str:
    """The URL's host, lower-case, without a port; "" when it has none."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:  # a port that is not a number
        return ""


def may_shorten(url: str, *, allow: Collection[str], deny: Collection[str], own: str) -> bool:
    """Whether ``url`` is shortened: not one of ours (``own``, the links' host), its host not
    under a ``deny`` domain, and under an ``allow`` domain when any is listed. A domain covers
    its subdomains (``bridge.parsing.addresses``, the one rule for domains)."""
    host = host_of(url)
    if not host or host == own:
        return False
    probe = f"x@{host}"
    if deny and matches(probe, deny):
        return False
    return not allow or matches(probe, allow)


def with_utm(url: str, utm: Mapping[str, str]) -> str:
    """``url`` with ``utm_<name>=value`` for each of ``utm`` it does not already carry."""
    if not utm:
        return url
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {name for name, _ in query}
    added = [(f"utm_{k}", v) for k, v in utm.items() if f"utm_{k}" not in present and v]
    if not added:
        return url
    tail = urlencode(added)
    joined = f"{parts.query}&{tail}" if parts.query else tail
    return urlunsplit((parts.scheme, parts.netloc, parts.path, joined, parts.fragment))
