"""Counts in words for the bulk emails: "1 text", "2,000 texts"."""

from __future__ import annotations

__all__ = ["counted", "figure"]


def figure(value: int) -> str:
    """``100000`` as people read it: ``100,000``."""
    return f"{value:,}"


def counted(value: int, noun: str, plural: str = "") -> str:
    """``1 text``, ``0 texts``, ``2,000 texts``; ``plural`` when adding an s is wrong."""
    return f"{figure(value)} {noun if value == 1 else plural or noun + 's'}"
