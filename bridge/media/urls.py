"""Where the bridge serves a picture for an MMS: the one definition of its path."""

from __future__ import annotations

__all__ = ["MEDIA_PREFIX", "media_url"]

MEDIA_PREFIX = "/media/"


def media_url(public_url: str, token: str) -> str:
    """``https://sms.example.com/media/<token>``: what the provider is told to fetch."""
    return public_url.rstrip("/") + MEDIA_PREFIX + token
