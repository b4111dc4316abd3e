"""How a picture is named in a sentence: its kind, type and size, as an author reads them."""

from __future__ import annotations

__all__ = ["describe", "megabytes", "noun"]

MB = 1024 * 1024


def megabytes(size: int) -> str:
    """``7549747`` as ``7.2 MB``, ``5242880`` as ``5 MB``, under a megabyte in KB (``3.9 KB``)."""
    value, unit = (size / MB, "MB") if size >= MB else (size / 1024, "KB")
    shown = f"{value:.1f}".removesuffix(".0")
    return f"{shown} {unit}"


def noun(content_type: str) -> str:
    """``picture``, ``video``, ``sound recording`` or ``file``, by the type's family."""
    family = content_type.partition("/")[0]
    return {"image": "picture", "video": "video", "audio": "sound recording"}.get(family, "file")


def describe(content_type: str, size: int | None) -> str:
    """``A picture (image/png, 7.2 MB)``; without the size when it is not known."""
    detail = content_type if size is None else f"{content_type}, {megabytes(size)}"
    return f"A {noun(content_type)} ({detail})"
