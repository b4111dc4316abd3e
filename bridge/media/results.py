"""What fetching a text's pictures gives: a picture to attach, or the sentence that replaces it.

Apart from ``fetch.py`` so that the inbound worker and the email that carries the pictures
can name them without importing httpx, which only a fetch needs.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.errors import TemporaryFailure

__all__ = ["Fetched", "MediaNotReady", "NotAttached"]


@dataclass(frozen=True, slots=True)
class Fetched:
    """A picture to attach."""

    content_type: str
    content: bytes
    filename: str


@dataclass(frozen=True, slots=True)
class NotAttached:
    """A picture left out, and the sentence saying so in the email."""

    sentence: str


class MediaNotReady(TemporaryFailure):
    """A picture could not be fetched this time; the inbound text is tried again later
    (``retry_after`` seconds)."""
