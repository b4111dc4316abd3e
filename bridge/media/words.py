"""How a picture is named in a sentence: its kind, type and size, as an author reads them."""

from __future__ import annotations

__all__ = ["describe", "megabytes", "noun"]

MB = 1024 * 1024


def megabytes(size: int) -> str:
    """``7549747`` as ``7.2 MB``; whole numbers without a decimal (``5 MB``)."""
    value = size / MB
    return f"{value:.0f} MB" if value == int(value) else f"{value:.1f} MB"


def noun(content_type: str) -> str:
    """``picture``, ``video``, ``sound recording`` or ``file``, by the type's family."""
    family = content_type.partition("/")[0]
    return {"image": "picture", "video": "video", "audio": "sound recording"}.get(family, "file")


def describe(content_type: str, size: int | None) -> str:
    """``A picture (image/png, 7.2 MB)``; without the size when it is not known."""
    detail = content_type if size is None else f"{content_type}, {megabytes(size)}"
    return f"A {noun(content_type)} ({detail})"
